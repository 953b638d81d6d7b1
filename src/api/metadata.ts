/** Metadata (key 3): brokers, cluster id, controller, and topics with their partitions. */
import type { MetadataRequest, MetadataResponseInput, MetadataResponseMetadataResponseTopicInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { topicNameError, isInternalTopic } from '../metadata/topic-names.js';
import type { TopicRecord } from '../metadata/local-store.js';
import type { ApiHandler, RequestContext } from './handler.js';
import { liveBrokers, reachableOnListener } from './live-brokers.js';
import { ALL_TOPIC_OPERATIONS, AUTHORIZED_OPERATIONS_OMITTED, ZERO_UUID } from './constants.js';
import { authorize, authorizeCluster, authorizedOperations, Op, ResourceType } from './authorize.js';


function topicEntry(ctx: RequestContext, topic: TopicRecord, includeOps: boolean): MetadataResponseMetadataResponseTopicInput {
  const cluster = ctx.broker.cluster;
  const partitions = [];
  for (let p = 0; p < topic.partitions; p++) {
    const state = cluster.partition(topic.topicId, p)?.state;
    if (!state) {
      // Recorded but its state not seen yet (another broker is creating it): clients retry.
      partitions.push({ errorCode: ErrorCode.LEADER_NOT_AVAILABLE, partitionIndex: p, leaderId: -1, leaderEpoch: -1, replicaNodes: [], isrNodes: [], offlineReplicas: [] });
      continue;
    }
    const offline = state.replicas.filter((id) => !cluster.isAlive(id));
    const liveLeader = state.leader >= 0 && cluster.isAlive(state.leader);
    // A live leader without the listener the client is on (a cluster part way through a listener
    // change) cannot be reached: Kafka answers LISTENER_NOT_FOUND from v6, LEADER_NOT_AVAILABLE before.
    const reachable = liveLeader && reachableOnListener(ctx, state.leader);
    const unreachable = ctx.apiVersion >= 6 ? ErrorCode.LISTENER_NOT_FOUND : ErrorCode.LEADER_NOT_AVAILABLE;
    partitions.push({
      // As Kafka: a partition without a live leader is LEADER_NOT_AVAILABLE, with its replicas listed.
      errorCode: reachable ? ErrorCode.NONE : liveLeader ? unreachable : ErrorCode.LEADER_NOT_AVAILABLE,
      partitionIndex: p,
      leaderId: reachable ? state.leader : -1,
      leaderEpoch: state.leaderEpoch,
      replicaNodes: [...state.replicas],
      isrNodes: [...state.isr],
      offlineReplicas: offline,
    });
  }
  return {
    errorCode: ErrorCode.NONE,
    name: topic.name,
    topicId: topic.topicId,
    isInternal: isInternalTopic(topic.name),
    partitions,
    topicAuthorizedOperations: includeOps ? authorizedOperations(ctx, ResourceType.TOPIC, topic.name, ALL_TOPIC_OPERATIONS) : AUTHORIZED_OPERATIONS_OMITTED,
  };
}

/** A response topic's name may be null only from v12; earlier versions carry it as "". */
function nameForVersion(name: string | null, apiVersion: number): string | null {
  return name === null && apiVersion < 12 ? '' : name;
}

function missing(name: string | null, topicId: string, errorCode: number): MetadataResponseMetadataResponseTopicInput {
  return { errorCode, name, topicId, isInternal: false, partitions: [] };
}

export const metadataHandler: ApiHandler<MetadataRequest, MetadataResponseInput> = {
  apiKey: 3,
  name: 'Metadata',
  minVersion: 0,
  maxVersion: 12,
  async handle(ctx, request) {
    const { broker } = ctx;
    const includeOps = request.includeTopicAuthorizedOperations;
    // v0 asks for all topics with an empty list; v1+ with null.
    const all = request.topics === null || (ctx.apiVersion === 0 && request.topics.length === 0);
    const topics: MetadataResponseMetadataResponseTopicInput[] = [];
    if (all) {
      // Topics the principal may not describe are left out, silently (Kafka does not audit this filter).
      for (const t of broker.topics.list()) if (authorize(ctx, Op.DESCRIBE, ResourceType.TOPIC, t.name, false)) topics.push(topicEntry(ctx, t, includeOps));
    } else {
      const autoCreate = broker.config.bool('auto.create.topics.enable') && (ctx.apiVersion < 4 || request.allowAutoTopicCreation);
      for (const wanted of request.topics ?? []) {
        let topic: TopicRecord | undefined;
        // Only v10+ can name a topic by id (name null, or empty with an id); before v10 an empty
        // name is just an invalid topic name.
        if (wanted.name === null || (wanted.name === '' && ctx.apiVersion >= 10)) {
          topic = broker.topics.getById(wanted.topicId);
          if (!topic) {
            topics.push(missing(nameForVersion(null, ctx.apiVersion), wanted.topicId, ErrorCode.UNKNOWN_TOPIC_ID));
            continue;
          }
          if (!authorize(ctx, Op.DESCRIBE, ResourceType.TOPIC, topic.name)) {
            topics.push(missing(nameForVersion(null, ctx.apiVersion), wanted.topicId, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
            continue;
          }
        } else {
          topic = broker.topics.get(wanted.name);
          if (!topic && topicNameError(wanted.name) !== null) {
            topics.push(missing(wanted.name, ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION));
            continue;
          }
          if (!authorize(ctx, Op.DESCRIBE, ResourceType.TOPIC, wanted.name)) {
            topics.push(missing(wanted.name, ZERO_UUID, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
            continue;
          }
          // Auto-creation needs CREATE on the cluster or on the topic, as in Kafka.
          if (!topic && autoCreate && !isInternalTopic(wanted.name) && !authorizeCluster(ctx, Op.CREATE, false) && !authorize(ctx, Op.CREATE, ResourceType.TOPIC, wanted.name)) {
            topics.push(missing(wanted.name, ZERO_UUID, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
            continue;
          }
          if (!topic && autoCreate && !isInternalTopic(wanted.name)) {
            const created = await broker.topics.autoCreate(wanted.name);
            topic = created.topic;
            if (!topic && created.errorCode !== ErrorCode.NONE) {
              // As Kafka does when it cannot auto-create (INVALID_REPLICATION_FACTOR), the topic's
              // entry carries why: here a partition limit, which clients do not retry for ever.
              ctx.log.warn({ topic: wanted.name, errorCode: created.errorCode, reason: created.errorMessage }, 'topic not auto-created');
              topics.push(missing(wanted.name, ZERO_UUID, created.errorCode));
              continue;
            }
          }
          if (!topic) {
            topics.push(missing(wanted.name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
            continue;
          }
        }
        topics.push(topicEntry(ctx, topic, includeOps));
      }
    }
    return {
      throttleTimeMs: 0,
      brokers: liveBrokers(ctx),
      clusterId: broker.clusterId,
      controllerId: broker.cluster.controller()?.nodeId ?? -1,
      topics,
      clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    };
  },
  errorResponse(request, errorCode, _message, apiVersion) {
    return {
      brokers: [],
      clusterId: null,
      controllerId: -1,
      topics: (request.topics ?? []).map((t) => missing(nameForVersion(t.name, apiVersion), t.topicId, errorCode)),
    };
  },
};
