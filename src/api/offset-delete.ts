/** OffsetDelete (key 47): drops committed offsets of topics the group no longer subscribes to. */
import type { OffsetDeleteRequest, OffsetDeleteResponseInput } from '../protocol/generated/index.js';
import { decodeConsumerProtocolSubscription } from '../protocol/generated/index.js';
import { Reader } from '../protocol/reader.js';
import type { ApiHandler, RequestContext } from './handler.js';

/** Topics the members of a "consumer" group subscribe to, read from their subscription metadata. */
function subscribedTopics(ctx: RequestContext, groupId: string): Set<string> {
  const group = ctx.broker.groups.groups.get(groupId);
  const topics = new Set<string>();
  if (!group || group.protocolType !== 'consumer') return topics;
  for (const m of group.memberMetadata()) {
    try {
      const r = new Reader(m.metadata);
      const version = r.int16();
      for (const t of decodeConsumerProtocolSubscription(r, Math.min(version, 3)).topics) topics.add(t);
    } catch {
      // Unreadable metadata subscribes to nothing we can name.
    }
  }
  return topics;
}

export const offsetDeleteHandler: ApiHandler<OffsetDeleteRequest, OffsetDeleteResponseInput> = {
  apiKey: 47,
  name: 'OffsetDelete',
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, request) {
    const wanted = request.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex })));
    const { groupError, codes } = await ctx.broker.groups.deleteOffsets(request.groupId, wanted, subscribedTopics(ctx, request.groupId));
    let i = 0;
    const topics = groupError !== 0 ? [] : request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: codes[i++] })) }));
    return { errorCode: groupError, throttleTimeMs: 0, topics };
  },
  errorResponse(_request, errorCode) {
    return { errorCode, throttleTimeMs: 0, topics: [] };
  },
};
