/**
 * AddOffsetsToTxn (key 25): the producer will commit a group's offsets in its transaction
 * (TxnOffsetCommit, to the group coordinator), so the group's __consumer_offsets partition joins
 * the transaction and gets its marker when it ends.
 */
import type { AddOffsetsToTxnRequest, AddOffsetsToTxnResponseInput } from '../protocol/generated/index.js';
import { errorForVersion } from '../coordinator/txn/versions.js';
import type { ApiHandler } from './handler.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { authorize, groupRefusal, Op, ResourceType } from './authorize.js';

export const addOffsetsToTxnHandler: ApiHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponseInput> = {
  apiKey: 25,
  name: 'AddOffsetsToTxn',
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, request) {
    if (!authorize(ctx, Op.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactionalId)) return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    const refused = groupRefusal(ctx, request.groupId);
    if (refused) return { throttleTimeMs: 0, errorCode: refused.errorCode };
    const answer = await ctx.broker.transactions.addOffsets({ transactionalId: request.transactionalId, producerId: request.producerId, producerEpoch: request.producerEpoch, groupId: request.groupId });
    return { throttleTimeMs: 0, errorCode: errorForVersion('AddOffsetsToTxn', ctx.apiVersion, answer.errorCode) };
  },
  errorResponse(_request, errorCode) {
    return { throttleTimeMs: 0, errorCode };
  },
};
