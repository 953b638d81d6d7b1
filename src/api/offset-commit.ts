/** OffsetCommit (key 8): members (or tools, for empty groups) commit offsets; answered once durable. */
import type { OffsetCommitRequest, OffsetCommitResponseInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ApiHandler } from './handler.js';
import { authorizedNames, groupRefusal, Op, ResourceType } from './authorize.js';

export const offsetCommitHandler: ApiHandler<OffsetCommitRequest, OffsetCommitResponseInput> = {
  apiKey: 8,
  name: 'OffsetCommit',
  minVersion: 0,
  maxVersion: 9,
  async handle(ctx, request) {
    const refused = groupRefusal(ctx, request.groupId);
    if (refused) return this.errorResponse(request, refused.errorCode, refused.message, ctx.apiVersion);
    const flat = request.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, p })));
    const readable = authorizedNames(ctx, Op.READ, ResourceType.TOPIC, request.topics.map((t) => t.name));
    // The cluster's topics, not this broker's replicas: the coordinator need not host the partition.
    const known = flat.map(({ topic, p }) => {
      if (!readable.has(topic)) return false;
      const record = ctx.broker.topics.get(topic);
      return record !== undefined && p.partitionIndex >= 0 && p.partitionIndex < record.partitions;
    });
    const entries = flat
      .filter((_, i) => known[i])
      .map(({ topic, p }) => ({ topic, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata }));
    // v2-4 carry a retention time; -1 means the broker's offsets.retention.minutes.
    const retention = ctx.apiVersion >= 2 && ctx.apiVersion <= 4 ? Number(request.retentionTimeMs) : -1;
    const expireTimestamp = retention >= 0 ? ctx.broker.now() + retention : -1;
    const generation = ctx.apiVersion >= 1 ? request.generationIdOrMemberEpoch : -1;
    const memberId = ctx.apiVersion >= 1 ? request.memberId : '';
    const codes = await ctx.broker.groups.commitOffsets(request.groupId, memberId, request.groupInstanceId, generation, entries, expireTimestamp);
    let next = 0;
    const codeFor = (i: number) => (known[i] ? codes[next++] : readable.has(flat[i].topic) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    let i = 0;
    const topics = request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: codeFor(i++) })) }));
    return { throttleTimeMs: 0, topics };
  },
  errorResponse(request, errorCode) {
    return { throttleTimeMs: 0, topics: request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })) };
  },
};
