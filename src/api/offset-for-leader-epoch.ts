/**
 * OffsetForLeaderEpoch (key 23): for each partition, the end offset of the requested leader
 * epoch in the leader's log, which a follower truncates to before it fetches (KIP-101/KIP-279)
 * and a consumer compares with its position after a leader change (KIP-320). In Kafka's order: the
 * partition must be hosted (UNKNOWN_TOPIC_OR_PARTITION), the caller's current_leader_epoch (v2+,
 * -1 skips it) must be ours (UNKNOWN_LEADER_EPOCH when newer, FENCED_LEADER_EPOCH when older), and
 * this broker must lead it (NOT_LEADER_OR_FOLLOWER). replica_id (v3+) changes nothing: Kafka gives
 * consumers the same answer as followers, not capped at the high watermark.
 */
import type { OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponseEpochEndOffsetInput, OffsetForLeaderEpochResponseInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { epochEndOffset } from '../partition/epoch-end-offset.js';
import type { ApiHandler, RequestContext } from './handler.js';
import { authorize, authorizeCluster, Op, ResourceType } from './authorize.js';

type PartitionAnswer = OffsetForLeaderEpochResponseEpochEndOffsetInput;
type PartitionAsked = OffsetForLeaderEpochRequest['topics'][number]['partitions'][number];

/** current_leader_epoch -1: the caller does not know the epoch (Kafka's NO_PARTITION_LEADER_EPOCH). */
const NO_LEADER_EPOCH = -1;

function failed(partition: number, errorCode: number): PartitionAnswer {
  return { partition, errorCode, leaderEpoch: -1, endOffset: -1n };
}

function answer(ctx: RequestContext, topic: string, asked: PartitionAsked): PartitionAnswer {
  const p = ctx.broker.replicas.get(topic, asked.partition);
  if (!p) return failed(asked.partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (asked.currentLeaderEpoch !== NO_LEADER_EPOCH && asked.currentLeaderEpoch !== p.leaderEpoch) {
    return failed(asked.partition, asked.currentLeaderEpoch > p.leaderEpoch ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.FENCED_LEADER_EPOCH);
  }
  if (!p.isLeader) return failed(asked.partition, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  const found = epochEndOffset(p, asked.leaderEpoch);
  return { partition: asked.partition, errorCode: ErrorCode.NONE, leaderEpoch: found.epoch, endOffset: BigInt(found.endOffset) };
}

export const offsetForLeaderEpochHandler: ApiHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponseInput> = {
  apiKey: 23,
  name: 'OffsetForLeaderEpoch',
  minVersion: 0,
  maxVersion: 4,
  handle(ctx, request) {
    // Kafka: a follower (replica id set) needs CLUSTER_ACTION, a consumer DESCRIBE on the topic.
    const follower = request.replicaId >= 0 && authorizeCluster(ctx, Op.CLUSTER_ACTION, false);
    const allowed = (topic: string) => follower || authorize(ctx, Op.DESCRIBE, ResourceType.TOPIC, topic);
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({ topic: t.topic, partitions: allowed(t.topic) ? t.partitions.map((p) => answer(ctx, t.topic, p)) : t.partitions.map((p) => failed(p.partition, ErrorCode.TOPIC_AUTHORIZATION_FAILED)) })),
    };
  },
  errorResponse(request, errorCode) {
    return { throttleTimeMs: 0, topics: request.topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => failed(p.partition, errorCode)) })) };
  },
};
