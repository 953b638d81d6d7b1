/** CreatePartitions (key 37): grow a topic's partition count; `assignments` name the new partitions' replicas. */
import type { CreatePartitionsRequest, CreatePartitionsResponseInput } from '../protocol/generated/index.js';
import type { ApiHandler } from './handler.js';

export const createPartitionsHandler: ApiHandler<CreatePartitionsRequest, CreatePartitionsResponseInput> = {
  apiKey: 37,
  name: 'CreatePartitions',
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, request) {
    const results = [];
    for (const t of request.topics) {
      const assignments = t.assignments === null ? null : t.assignments.map((a) => a.brokerIds);
      const outcome = await ctx.broker.topics.addPartitions(t.name, t.count, request.validateOnly, assignments);
      results.push({ name: t.name, errorCode: outcome.errorCode, errorMessage: outcome.errorMessage });
    }
    return { throttleTimeMs: 0, results };
  },
  errorResponse(request, errorCode, message) {
    return { throttleTimeMs: 0, results: request.topics.map((t) => ({ name: t.name, errorCode, errorMessage: message })) };
  },
};
