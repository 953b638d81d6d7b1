/**
 * CreateTopics (key 19): validation with Kafka's error codes, `validate_only`, v5+ config echo;
 * a topic is laid out by partition count and replication factor, or by explicit `assignments`.
 */
import type { CreateTopicsRequest, CreateTopicsResponseInput, CreateTopicsResponseCreatableTopicResultInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { effectiveTopicConfig } from '../config/topic-config-values.js';
import type { ApiHandler, RequestContext } from './handler.js';
import type { TopicRecord } from '../metadata/local-store.js';
import { ZERO_UUID } from './constants.js';
import type { TopicLayout } from '../partition/topic-service.js';
import { authorize, authorizeCluster, Op, ResourceType } from './authorize.js';

type CreatableTopic = CreateTopicsRequest['topics'][number];

function result(name: string, errorCode: number, errorMessage: string | null): CreateTopicsResponseCreatableTopicResultInput {
  return { name, topicId: ZERO_UUID, errorCode, errorMessage, numPartitions: -1, replicationFactor: -1, configs: null };
}

function success(ctx: RequestContext, topic: TopicRecord, replicationFactor: number): CreateTopicsResponseCreatableTopicResultInput {
  const configs = effectiveTopicConfig(ctx.broker.config, topic.configs).map((c) => ({
    name: c.def.name,
    value: c.value,
    readOnly: false,
    configSource: c.source,
    isSensitive: false,
  }));
  return { name: topic.name, topicId: topic.topicId, errorCode: ErrorCode.NONE, errorMessage: null, numPartitions: topic.partitions, replicationFactor, configs };
}

async function createOne(ctx: RequestContext, t: CreatableTopic, validateOnly: boolean): Promise<CreateTopicsResponseCreatableTopicResultInput> {
  let layout: TopicLayout = { numPartitions: t.numPartitions, replicationFactor: t.replicationFactor };
  if (t.assignments.length > 0) {
    if (t.numPartitions !== -1 || t.replicationFactor !== -1) {
      return result(t.name, ErrorCode.INVALID_REQUEST, 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.');
    }
    layout = { assignments: t.assignments.map((a) => ({ partition: a.partitionIndex, brokerIds: a.brokerIds })) };
  }
  const configs: Record<string, string | null> = {};
  for (const c of t.configs) configs[c.name] = c.value;
  const outcome = await ctx.broker.topics.create(t.name, layout, configs, validateOnly);
  if (outcome.errorCode !== ErrorCode.NONE || !outcome.topic) return result(t.name, outcome.errorCode, outcome.errorMessage);
  ctx.log.info({ topic: t.name, partitions: outcome.topic.partitions, validateOnly }, validateOnly ? 'topic creation validated' : 'topic created');
  return success(ctx, outcome.topic, replicationFactorOf(ctx, layout));
}

/** The replication factor the response reports: the first partition's replica count, or the default. */
function replicationFactorOf(ctx: RequestContext, layout: TopicLayout): number {
  if ('assignments' in layout) return layout.assignments[0]?.brokerIds.length ?? -1;
  return layout.replicationFactor === -1 ? ctx.broker.config.int('default.replication.factor') : layout.replicationFactor;
}

export const createTopicsHandler: ApiHandler<CreateTopicsRequest, CreateTopicsResponseInput> = {
  apiKey: 19,
  name: 'CreateTopics',
  minVersion: 0,
  maxVersion: 7,
  async handle(ctx, request) {
    const counts = new Map<string, number>();
    for (const t of request.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const topics: CreateTopicsResponseCreatableTopicResultInput[] = [];
    // CREATE on the cluster covers every topic; else CREATE on each (Kafka's order: after the duplicate check).
    const onCluster = authorizeCluster(ctx, Op.CREATE, false);
    for (const t of request.topics) {
      if ((counts.get(t.name) ?? 0) > 1) {
        topics.push(result(t.name, ErrorCode.INVALID_REQUEST, `Create topics request from client contains a duplicate topic: ${t.name}`));
      } else if (!onCluster && !authorize(ctx, Op.CREATE, ResourceType.TOPIC, t.name)) {
        topics.push(result(t.name, ErrorCode.TOPIC_AUTHORIZATION_FAILED, `${ctx.principal} may not create topic ${t.name}.`));
      } else {
        topics.push(await createOne(ctx, t, request.validateOnly));
      }
    }
    return { throttleTimeMs: 0, topics };
  },
  errorResponse(request, errorCode, message) {
    return { throttleTimeMs: 0, topics: request.topics.map((t) => result(t.name, errorCode, message)) };
  },
};
