/**
 * EndTxn (key 26): commit or abort the producer's transaction. Answered once the coordinator's
 * PrepareCommit/PrepareAbort record is durable; the markers follow in the background, and the
 * id answers CONCURRENT_TRANSACTIONS until they are all written.
 */
import type { EndTxnRequest, EndTxnResponseInput } from '../protocol/generated/index.js';
import { errorForVersion } from '../coordinator/txn/versions.js';
import type { ApiHandler } from './handler.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { authorize, Op, ResourceType } from './authorize.js';

export const endTxnHandler: ApiHandler<EndTxnRequest, EndTxnResponseInput> = {
  apiKey: 26,
  name: 'EndTxn',
  minVersion: 0,
  // v5 bumps the epoch at every end (KIP-890 part 2), which the coordinator does not do.
  maxVersion: 4,
  async handle(ctx, request) {
    if (!authorize(ctx, Op.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactionalId)) return this.errorResponse(request, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, '', ctx.apiVersion);
    const answer = await ctx.broker.transactions.endTxn({ transactionalId: request.transactionalId, producerId: request.producerId, producerEpoch: request.producerEpoch, committed: request.committed });
    return { throttleTimeMs: 0, errorCode: errorForVersion('EndTxn', ctx.apiVersion, answer.errorCode), producerId: answer.producerId, producerEpoch: answer.producerEpoch };
  },
  errorResponse(_request, errorCode) {
    return { throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 };
  },
};
