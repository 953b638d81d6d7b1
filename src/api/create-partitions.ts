/** CreatePartitions (key 37): grow a topic's partition count; `assignments` name the new partitions' replicas. */
import type { CreatePartitionsRequest, CreatePartitionsResponseInput } from '../protocol/generated/index.js';
import type { ApiHandler } from './handler.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { authorize, Op, ResourceType } from './authorize.js';

export const createPartitionsHandler: ApiHandler<CreatePartitionsRequest, CreatePartitionsResponseInput> = {
  apiKey: 37,
  name: 'CreatePartitions',
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, request) {
    const results = [];
    for (const t of request.topics) {
      if (!authorize(ctx, Op.ALTER, ResourceType.TOPIC, t.name)) {
        results.push({ name: t.name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: `${ctx.principal} may not alter topic ${t.name}.` });
        continue;
      }
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
