/** DeleteTopics (key 20): by name (v0-5) or by topic id (v6). */
import type { DeleteTopicsRequest, DeleteTopicsResponseInput, DeleteTopicsResponseDeletableTopicResultInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ApiHandler } from './handler.js';
import { ZERO_UUID } from './constants.js';

/** The names or ids a request asks to delete: `topicNames` up to v5, `topics` (name or id) in v6. */
function wanted(request: DeleteTopicsRequest): { name: string | null; topicId: string }[] {
  if (request.topics.length > 0) return request.topics.map((t) => ({ name: t.name, topicId: t.topicId }));
  return request.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
}

export const deleteTopicsHandler: ApiHandler<DeleteTopicsRequest, DeleteTopicsResponseInput> = {
  apiKey: 20,
  name: 'DeleteTopics',
  minVersion: 0,
  maxVersion: 6,
  async handle(ctx, request) {
    const responses: DeleteTopicsResponseDeletableTopicResultInput[] = [];
    for (const w of wanted(request)) {
      const name = w.name ?? ctx.broker.topics.getById(w.topicId)?.name ?? null;
      if (name === null) {
        responses.push({ name: null, topicId: w.topicId, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, errorMessage: `Topic id ${w.topicId} does not exist.` });
        continue;
      }
      const outcome = await ctx.broker.topics.delete(name);
      if (outcome.errorCode === ErrorCode.NONE) ctx.log.info({ topic: name }, 'topic deleted');
      responses.push({ name, topicId: outcome.topic?.topicId ?? w.topicId, errorCode: outcome.errorCode, errorMessage: outcome.errorMessage });
    }
    return { throttleTimeMs: 0, responses };
  },
  errorResponse(request, errorCode, message) {
    return { throttleTimeMs: 0, responses: wanted(request).map((w) => ({ name: w.name, topicId: w.topicId, errorCode, errorMessage: message })) };
  },
};
