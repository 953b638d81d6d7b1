/** DescribeConfigs (key 32): topic configs with their sources and synonyms; broker configs. */
import type {
  DescribeConfigsRequest,
  DescribeConfigsResponseInput,
  DescribeConfigsResponseDescribeConfigsResourceResultInput,
  DescribeConfigsResponseDescribeConfigsResultInput,
} from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { effectiveTopicConfig, SOURCE_DEFAULT, SOURCE_DYNAMIC_TOPIC, SOURCE_STATIC_BROKER } from '../config/topic-config-values.js';
import { ALL_BROKER_DEFS } from '../config/broker-configs.js';
import type { ApiHandler, RequestContext } from './handler.js';
import { RESOURCE_BROKER, RESOURCE_TOPIC } from './constants.js';
import { authorizeConfigResource, Op } from './authorize.js';

type Resource = DescribeConfigsRequest['resources'][number];
type ConfigEntry = DescribeConfigsResponseDescribeConfigsResourceResultInput;

function wantedKeys(resource: Resource): ((name: string) => boolean) {
  const keys = resource.configurationKeys;
  return keys === null || keys.length === 0 ? () => true : (name) => keys.includes(name);
}

function describeTopic(ctx: RequestContext, resource: Resource, includeSynonyms: boolean, includeDocs: boolean): DescribeConfigsResponseDescribeConfigsResultInput {
  const topic = ctx.broker.topics.get(resource.resourceName);
  if (!topic) {
    return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${resource.resourceName} does not exist.`, resourceType: RESOURCE_TOPIC, resourceName: resource.resourceName, configs: [] };
  }
  const wanted = wantedKeys(resource);
  const configs: ConfigEntry[] = [];
  for (const c of effectiveTopicConfig(ctx.broker.config, topic.configs)) {
    if (!wanted(c.def.name)) continue;
    const synonyms = [];
    if (includeSynonyms) {
      if (c.source === SOURCE_DYNAMIC_TOPIC) synonyms.push({ name: c.def.name, value: c.value, source: SOURCE_DYNAMIC_TOPIC });
      if (c.brokerValue) synonyms.push({ name: c.brokerValue.name, value: c.brokerValue.value, source: SOURCE_STATIC_BROKER });
      if (c.def.brokerSynonym) synonyms.push({ name: c.def.brokerSynonym, value: c.def.defaultValue, source: SOURCE_DEFAULT });
    }
    configs.push({
      name: c.def.name,
      value: c.value,
      readOnly: false,
      // v0 reports defaults with a flag; v1+ with the config source instead.
      isDefault: ctx.apiVersion === 0 && c.source === SOURCE_DEFAULT,
      configSource: c.source,
      isSensitive: false,
      synonyms,
      configType: c.def.type,
      documentation: includeDocs ? c.def.doc : null,
    });
  }
  return { errorCode: ErrorCode.NONE, errorMessage: null, resourceType: RESOURCE_TOPIC, resourceName: resource.resourceName, configs };
}

function describeBroker(ctx: RequestContext, resource: Resource, includeSynonyms: boolean, includeDocs: boolean): DescribeConfigsResponseDescribeConfigsResultInput {
  if (resource.resourceName !== '' && resource.resourceName !== String(ctx.broker.nodeId)) {
    return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Broker id ${resource.resourceName} is not this broker (${ctx.broker.nodeId}).`, resourceType: RESOURCE_BROKER, resourceName: resource.resourceName, configs: [] };
  }
  const wanted = wantedKeys(resource);
  // Every broker key, the ones that give topics their defaults (log.retention.ms, min.insync.replicas …) among them.
  const configs: ConfigEntry[] = [...ALL_BROKER_DEFS.values()].filter((d) => wanted(d.name)).map((d) => {
    const explicit = ctx.broker.config.explicit(d.name);
    // As Kafka: the value's own source first, then the default below it (Redpanda Console shows this list).
    const synonyms = [];
    if (includeSynonyms && d.sensitive !== true) {
      if (explicit !== undefined) synonyms.push({ name: d.name, value: explicit, source: SOURCE_STATIC_BROKER });
      if (d.defaultValue !== null) synonyms.push({ name: d.name, value: d.defaultValue, source: SOURCE_DEFAULT });
    }
    return {
      name: d.name,
      // As Kafka: a password's value never leaves the broker, only whether one is set.
      value: d.sensitive === true ? null : (explicit ?? d.defaultValue),
      readOnly: true,
      isDefault: ctx.apiVersion === 0 && explicit === undefined,
      configSource: explicit === undefined ? SOURCE_DEFAULT : SOURCE_STATIC_BROKER,
      isSensitive: d.sensitive === true,
      synonyms,
      configType: d.type,
      documentation: includeDocs ? d.doc : null,
    };
  });
  return { errorCode: ErrorCode.NONE, errorMessage: null, resourceType: RESOURCE_BROKER, resourceName: resource.resourceName, configs };
}

export const describeConfigsHandler: ApiHandler<DescribeConfigsRequest, DescribeConfigsResponseInput> = {
  apiKey: 32,
  name: 'DescribeConfigs',
  minVersion: 0,
  maxVersion: 4,
  handle(ctx, request) {
    const results = request.resources.map((r) => {
      const refused = authorizeConfigResource(ctx, Op.DESCRIBE_CONFIGS, r.resourceType, r.resourceName);
      if (refused) return { ...refused, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] };
      if (r.resourceType === RESOURCE_TOPIC) return describeTopic(ctx, r, request.includeSynonyms, request.includeDocumentation);
      if (r.resourceType === RESOURCE_BROKER) return describeBroker(ctx, r, request.includeSynonyms, request.includeDocumentation);
      return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Resource type ${r.resourceType} has no configs here.`, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] };
    });
    return { throttleTimeMs: 0, results };
  },
  errorResponse(request, errorCode, message) {
    return { throttleTimeMs: 0, results: request.resources.map((r) => ({ errorCode, errorMessage: message, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] })) };
  },
};
