/** IncrementalAlterConfigs (key 44): SET, DELETE, APPEND and SUBTRACT on single topic config keys, or on a broker level's dynamic configs. */
import type { IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponseInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { ConfigType } from '../config/config-def.js';
import { TOPIC_CONFIG_BY_NAME } from '../config/topic-configs.js';
import { topicConfigValue } from '../config/topic-config-values.js';
import type { ApiHandler } from './handler.js';
import type { TopicRecord } from '../metadata/local-store.js';
import type { BrokerConfig } from '../config/broker-configs.js';
import { RESOURCE_BROKER, RESOURCE_TOPIC } from './constants.js';
import { editBrokerConfigs } from './broker-config-alter.js';
import { authorizeConfigResource, Op } from './authorize.js';

const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;

type Alteration = IncrementalAlterConfigsRequest['resources'][number]['configs'][number];
export type ConfigAlteration = Pick<Alteration, 'name' | 'configOperation' | 'value'>;

/** A topic's overrides after `ops` (SET, DELETE, APPEND, SUBTRACT), or an error text; the console's edits take this path too. */
export function applyConfigAlterations(broker: BrokerConfig, topic: TopicRecord, ops: readonly ConfigAlteration[]): Record<string, string> | string {
  return apply({ ...topic.configs }, ops, (name) => topicConfigValue(broker, topic.configs, name));
}

/** Applies the operations to a copy of the overrides; returns the new overrides or an error text. */
function apply(current: Record<string, string>, ops: readonly ConfigAlteration[], listValue: (name: string) => string): Record<string, string> | string {
  const next: Record<string, string> = { ...current };
  const seen = new Set<string>();
  for (const op of ops) {
    if (seen.has(op.name)) return `Duplicate operations on config ${op.name}.`;
    seen.add(op.name);
    const def = TOPIC_CONFIG_BY_NAME.get(op.name);
    if (!def) return `Unknown topic config name: ${op.name}`;
    switch (op.configOperation) {
      case SET:
        if (op.value === null) return `Null value not supported for ${op.name}`;
        next[op.name] = op.value;
        break;
      case DELETE:
        delete next[op.name];
        break;
      case APPEND:
      case SUBTRACT: {
        if (def.type !== ConfigType.List) return `Config ${op.name} is not a list: ${op.configOperation === APPEND ? 'APPEND' : 'SUBTRACT'} is not allowed.`;
        const items = listValue(op.name).split(',').map((s) => s.trim()).filter((s) => s !== '');
        const given = (op.value ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
        const result = op.configOperation === APPEND ? [...items, ...given.filter((g) => !items.includes(g))] : items.filter((i) => !given.includes(i));
        next[op.name] = result.join(',');
        break;
      }
      default:
        return `Unknown config operation ${op.configOperation} for ${op.name}.`;
    }
  }
  return next;
}

export const incrementalAlterConfigsHandler: ApiHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponseInput> = {
  apiKey: 44,
  name: 'IncrementalAlterConfigs',
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, request) {
    const responses = [];
    for (const r of request.resources) {
      const reply = (errorCode: number, errorMessage: string | null) => ({ errorCode, errorMessage, resourceType: r.resourceType, resourceName: r.resourceName });
      const refused = authorizeConfigResource(ctx, Op.ALTER_CONFIGS, r.resourceType, r.resourceName);
      if (refused) {
        responses.push(reply(refused.errorCode, refused.errorMessage));
        continue;
      }
      if (r.resourceType === RESOURCE_BROKER) {
        const outcome = await editBrokerConfigs(ctx, r.resourceName, r.configs, request.validateOnly);
        responses.push(reply(outcome.errorCode, outcome.errorMessage));
        continue;
      }
      if (r.resourceType !== RESOURCE_TOPIC) {
        responses.push(reply(ErrorCode.INVALID_REQUEST, `Unknown resource type ${r.resourceType}`));
        continue;
      }
      // The edit runs in the topic's turn, on the configs it has then (never on a stale copy).
      const edit = (topic: TopicRecord) => applyConfigAlterations(ctx.broker.config, topic, r.configs);
      const outcome = await ctx.broker.topics.editConfigs(r.resourceName, edit, request.validateOnly);
      responses.push(reply(outcome.errorCode, outcome.errorMessage));
    }
    return { throttleTimeMs: 0, responses };
  },
  errorResponse(request, errorCode, message) {
    return { throttleTimeMs: 0, responses: request.resources.map((r) => ({ errorCode, errorMessage: message, resourceType: r.resourceType, resourceName: r.resourceName })) };
  },
};
