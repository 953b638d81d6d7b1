/** DescribeConfigs (key 32): topic and broker configs with their sources and synonyms (dynamic broker configs among them). */
import type {
  DescribeConfigsRequest,
  DescribeConfigsResponseInput,
  DescribeConfigsResponseDescribeConfigsResourceResultInput,
  DescribeConfigsResponseDescribeConfigsResultInput,
} from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { effectiveTopicConfig } from '../config/topic-config-values.js';
import { ALL_BROKER_DEFS, SOURCE_DEFAULT, SOURCE_DYNAMIC_DEFAULT_BROKER } from '../config/broker-configs.js';
import { brokerConfigSynonyms } from '../config/config-synonyms.js';
import { isKafkaDynamic } from '../config/dynamic-broker-configs.js';
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
    configs.push({
      name: c.def.name,
      value: c.value,
      readOnly: false,
      // v0 reports defaults with a flag; v1+ with the config source instead.
      isDefault: ctx.apiVersion === 0 && c.source === SOURCE_DEFAULT,
      configSource: c.source,
      isSensitive: false,
      synonyms: includeSynonyms ? [...c.synonyms] : [],
      configType: c.def.type,
      documentation: includeDocs ? c.def.doc : null,
    });
  }
  return { errorCode: ErrorCode.NONE, errorMessage: null, resourceType: RESOURCE_TOPIC, resourceName: resource.resourceName, configs };
}

/**
 * As Kafka's ConfigHelper: a broker id describes every key with its effective value and the
 * layers below it; the cluster-wide resource "" only the dynamic defaults, each with that one
 * synonym. Keys Kafka cannot change at runtime are reported read-only.
 */
function describeBroker(ctx: RequestContext, resource: Resource, includeSynonyms: boolean, includeDocs: boolean): DescribeConfigsResponseDescribeConfigsResultInput {
  const perBroker = resource.resourceName !== '';
  if (perBroker && resource.resourceName !== String(ctx.broker.nodeId)) {
    const errorMessage = /^-?\d+$/.test(resource.resourceName)
      ? `Unexpected broker id, expected ${ctx.broker.nodeId} or empty string, but received ${resource.resourceName}`
      : `Broker id must be an integer, but it is: ${resource.resourceName}`;
    return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage, resourceType: RESOURCE_BROKER, resourceName: resource.resourceName, configs: [] };
  }
  const wanted = wantedKeys(resource);
  const config = ctx.broker.config;
  const names = perBroker ? [...ALL_BROKER_DEFS.keys()] : [...config.dynamicEntries(SOURCE_DYNAMIC_DEFAULT_BROKER).keys()];
  const configs: ConfigEntry[] = names.filter(wanted).map((name) => {
    const d = ALL_BROKER_DEFS.get(name);
    const sensitive = d?.sensitive === true;
    const all = brokerConfigSynonyms(config, name, sensitive).filter((s) => perBroker || s.source === SOURCE_DYNAMIC_DEFAULT_BROKER);
    const source = all[0]?.source ?? SOURCE_DEFAULT;
    // As Kafka: the key's own value (log.retention.ms stays null when only .hours is set).
    const own = perBroker ? config.get(name) : (all[0]?.value ?? null);
    return {
      name,
      // As Kafka: a password's value never leaves the broker, only whether one is set.
      value: sensitive ? null : own,
      readOnly: !isKafkaDynamic(name),
      isDefault: ctx.apiVersion === 0 && source === SOURCE_DEFAULT,
      configSource: source,
      isSensitive: sensitive,
      synonyms: includeSynonyms ? all : [],
      configType: d?.type ?? 0,
      documentation: includeDocs ? (d?.doc ?? null) : null,
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
