/**
 * DeleteTopics (key 20): by name (v0-5) or by name or topic id (v6). As in Kafka, a topic named
 * twice in one request gets INVALID_REQUEST, and deleting a topic that is already gone (also one
 * whose deletion another request just finished) answers UNKNOWN_TOPIC_OR_PARTITION, or
 * UNKNOWN_TOPIC_ID by id.
 */
import type { DeleteTopicsRequest, DeleteTopicsResponseInput, DeleteTopicsResponseDeletableTopicResultInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ApiHandler } from './handler.js';
import { ZERO_UUID } from './constants.js';
import { authorize, Op, ResourceType } from './authorize.js';

/** The names or ids a request asks to delete: `topicNames` up to v5, `topics` (name or id) in v6. */
function wanted(request: DeleteTopicsRequest): { name: string | null; topicId: string }[] {
  if (request.topics.length > 0) return request.topics.map((t) => ({ name: t.name, topicId: t.topicId }));
  return request.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
}

/** Why one entry of the request cannot be served, as Kafka's controller says it. */
function invalidEntry(w: { name: string | null; topicId: string }, seen: Map<string, number>): string | null {
  if (w.name === null && w.topicId === ZERO_UUID) return 'Neither topic name nor id were specified.';
  if (w.name !== null && w.topicId !== ZERO_UUID) return 'You may not specify both topic name and topic id.';
  if ((seen.get(w.name ?? w.topicId) ?? 0) > 1) return w.name !== null ? 'Duplicate topic name.' : 'Duplicate topic id.';
  return null;
}

export const deleteTopicsHandler: ApiHandler<DeleteTopicsRequest, DeleteTopicsResponseInput> = {
  apiKey: 20,
  name: 'DeleteTopics',
  minVersion: 0,
  maxVersion: 6,
  async handle(ctx, request) {
    const entries = wanted(request);
    const seen = new Map<string, number>();
    for (const w of entries) seen.set(w.name ?? w.topicId, (seen.get(w.name ?? w.topicId) ?? 0) + 1);
    const responses: DeleteTopicsResponseDeletableTopicResultInput[] = [];
    for (const w of entries) {
      const invalid = invalidEntry(w, seen);
      if (invalid) {
        responses.push({ name: w.name, topicId: w.topicId, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: invalid });
        continue;
      }
      const byId = w.name === null;
      const name = w.name ?? ctx.broker.topics.getById(w.topicId)?.name ?? null;
      if (name === null) {
        responses.push({ name: null, topicId: w.topicId, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, errorMessage: `Topic id ${w.topicId} does not exist.` });
        continue;
      }
      if (!authorize(ctx, Op.DELETE, ResourceType.TOPIC, name)) {
        responses.push({ name: w.name, topicId: w.topicId, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: `${ctx.principal} may not delete topic ${name}.` });
        continue;
      }
      // By id, the deletion applies only if the name still belongs to that id when its turn comes.
      const outcome = await ctx.broker.topics.delete(name, byId ? w.topicId : undefined);
      if (outcome.errorCode === ErrorCode.NONE) ctx.log.info({ topic: name }, 'topic deleted');
      else if (outcome.topic) ctx.log.error({ topic: name, error: outcome.errorMessage }, 'topic deleted, but its logs were not all set aside');
      responses.push({ name: byId && outcome.errorCode === ErrorCode.UNKNOWN_TOPIC_ID ? null : name, topicId: outcome.topic?.topicId ?? w.topicId, errorCode: outcome.errorCode, errorMessage: outcome.errorMessage });
    }
    return { throttleTimeMs: 0, responses };
  },
  errorResponse(request, errorCode, message) {
    return { throttleTimeMs: 0, responses: wanted(request).map((w) => ({ name: w.name, topicId: w.topicId, errorCode, errorMessage: message })) };
  },
};
