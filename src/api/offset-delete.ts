/** OffsetDelete (key 47): drops committed offsets of topics the group no longer subscribes to. */
import type { OffsetDeleteRequest, OffsetDeleteResponseInput } from '../protocol/generated/index.js';
import { decodeConsumerProtocolSubscription } from '../protocol/generated/index.js';
import { Reader } from '../protocol/reader.js';
import type { ApiHandler, RequestContext } from './handler.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { authorizedNames, groupRefusal, Op, ResourceType } from './authorize.js';

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
    const denied = groupRefusal(ctx, request.groupId, Op.DELETE);
    if (denied) return { errorCode: denied.errorCode, throttleTimeMs: 0, topics: [] };
    // Kafka: READ on each topic; a refused topic's partitions answer TOPIC_AUTHORIZATION_FAILED and are not deleted.
    const readable = authorizedNames(ctx, Op.READ, ResourceType.TOPIC, request.topics.map((t) => t.name));
    const wanted = request.topics.filter((t) => readable.has(t.name)).flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex })));
    const { groupError, codes } = await ctx.broker.groups.deleteOffsets(request.groupId, wanted, subscribedTopics(ctx, request.groupId));
    let i = 0;
    const topics =
      groupError !== 0
        ? []
        : request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: readable.has(t.name) ? codes[i++] : ErrorCode.TOPIC_AUTHORIZATION_FAILED })) }));
    return { errorCode: groupError, throttleTimeMs: 0, topics };
  },
  errorResponse(_request, errorCode) {
    return { errorCode, throttleTimeMs: 0, topics: [] };
  },
};
