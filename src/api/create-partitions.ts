/** CreatePartitions (key 37): grow a topic's partition count. */
import type { CreatePartitionsRequest, CreatePartitionsResponseInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ApiHandler } from './handler.js';

export const createPartitionsHandler: ApiHandler<CreatePartitionsRequest, CreatePartitionsResponseInput> = {
  apiKey: 37,
  name: 'CreatePartitions',
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, request) {
    const results = [];
    for (const t of request.topics) {
      if (t.assignments !== null && t.assignments.some((a) => a.brokerIds.some((b) => b !== ctx.broker.nodeId))) {
        results.push({ name: t.name, errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: `Replica assignments may only name broker ${ctx.broker.nodeId}.` });
        continue;
      }
      const outcome = await ctx.broker.topics.addPartitions(t.name, t.count, request.validateOnly);
      results.push({ name: t.name, errorCode: outcome.errorCode, errorMessage: outcome.errorMessage });
    }
    return { throttleTimeMs: 0, results };
  },
  errorResponse(request, errorCode, message) {
    return { throttleTimeMs: 0, results: request.topics.map((t) => ({ name: t.name, errorCode, errorMessage: message })) };
  },
};
