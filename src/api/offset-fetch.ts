/**
 * OffsetFetch (key 9): committed offsets of one group (v0-7) or several (v8+); -1 where none.
 * With require_stable (v7+, KIP-447) a partition an open transaction has an offset for answers
 * UNSTABLE_OFFSET_COMMIT, so the consumer retries once the transaction ended; without it the
 * committed offset is answered.
 */
import type { OffsetFetchRequest, OffsetFetchResponseInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ApiHandler, RequestContext } from './handler.js';
import { ownershipError } from '../coordinator/group/ownership.js';
import { authorize, groupRefusal, Op, ResourceType } from './authorize.js';

interface PartitionAnswer {
  partitionIndex: number;
  committedOffset: bigint;
  committedLeaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

type TopicQuery = { name: string; partitionIndexes: number[] }[] | null;

function fetchGroup(ctx: RequestContext, groupId: string, topics: TopicQuery, requireStable: boolean): { name: string; partitions: PartitionAnswer[] }[] {
  const groups = ctx.broker.groups;
  const offsets = groups.offsets;
  const wanted: { name: string; partitionIndexes: number[] }[] =
    topics ?? [...offsets.all(groupId)].map(([name, partitions]) => ({ name, partitionIndexes: [...partitions.keys()].sort((a, b) => a - b) }));
  // Kafka: topics the principal may not describe answer TOPIC_AUTHORIZATION_FAILED when named, and are left out of "all".
  const describable = (name: string) => authorize(ctx, Op.DESCRIBE, ResourceType.TOPIC, name, topics !== null);
  return wanted.filter((t) => topics !== null || describable(t.name)).map((t) => ({
    name: t.name,
    partitions: t.partitionIndexes.map((p) => {
      if (topics !== null && !describable(t.name)) return { partitionIndex: p, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
      if (requireStable && groups.hasPendingOffsets(groupId, t.name, p)) {
        return { partitionIndex: p, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT };
      }
      const c = offsets.get(groupId, t.name, p);
      return { partitionIndex: p, committedOffset: c?.offset ?? -1n, committedLeaderEpoch: c?.leaderEpoch ?? -1, metadata: c?.metadata ?? '', errorCode: ErrorCode.NONE };
    }),
  }));
}

export const offsetFetchHandler: ApiHandler<OffsetFetchRequest, OffsetFetchResponseInput> = {
  apiKey: 9,
  name: 'OffsetFetch',
  minVersion: 0,
  maxVersion: 9,
  handle(ctx, request) {
    const epochs = (topics: { name: string; partitions: PartitionAnswer[] }[]) =>
      // The leader epoch is sent from v5 on; older versions must keep it at its default.
      ctx.apiVersion >= 5 ? topics : topics.map((t) => ({ ...t, partitions: t.partitions.map((p) => ({ ...p, committedLeaderEpoch: -1 })) }));
    // A group whose __consumer_offsets partition is not loaded here: NOT_COORDINATOR, or COORDINATOR_LOAD_IN_PROGRESS.
    const refusal = (groupId: string) => groupRefusal(ctx, groupId, Op.DESCRIBE)?.errorCode ?? ownershipError(ctx.broker.groups.owns(groupId));
    const requireStable = ctx.apiVersion >= 7 && request.requireStable;
    if (ctx.apiVersion < 8) {
      if (request.groupId === '') return { throttleTimeMs: 0, topics: [], errorCode: ErrorCode.INVALID_GROUP_ID };
      const refused = refusal(request.groupId);
      if (refused !== ErrorCode.NONE) {
        // v0-1 have no top-level error: it goes on every partition asked for, as Kafka sends it.
        const topics = ctx.apiVersion < 2 ? (request.topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: refused })) })) : [];
        return { throttleTimeMs: 0, topics, errorCode: refused };
      }
      return { throttleTimeMs: 0, topics: epochs(fetchGroup(ctx, request.groupId, request.topics, requireStable)), errorCode: ErrorCode.NONE };
    }
    return {
      throttleTimeMs: 0,
      groups: request.groups.map((g) => {
        const errorCode = g.groupId === '' ? ErrorCode.INVALID_GROUP_ID : refusal(g.groupId);
        return { groupId: g.groupId, topics: errorCode === ErrorCode.NONE ? fetchGroup(ctx, g.groupId, g.topics, requireStable) : [], errorCode };
      }),
    };
  },
  errorResponse(request, errorCode, _message, version) {
    if (version < 8) return { throttleTimeMs: 0, topics: [], errorCode };
    return { throttleTimeMs: 0, groups: request.groups.map((g) => ({ groupId: g.groupId, topics: [], errorCode })) };
  },
};
