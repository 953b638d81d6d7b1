/**
 * InitProducerId (key 22): a new producer id for an idempotent producer. Transactional producers
 * (a transactional id) are not served yet and get an error they report plainly.
 */
import type { InitProducerIdRequest, InitProducerIdResponseInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ApiHandler } from './handler.js';

export const initProducerIdHandler: ApiHandler<InitProducerIdRequest, InitProducerIdResponseInput> = {
  apiKey: 22,
  name: 'InitProducerId',
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, request) {
    if (request.transactionalId !== null) {
      ctx.log.warn({ transactionalId: request.transactionalId }, 'transactions are not supported yet');
      return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 };
    }
    // Like Kafka, an idempotent producer (no transactional id) always gets a fresh id at epoch 0,
    // even when it names its previous id and epoch (KIP-360).
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: await ctx.broker.producerIds.nextId(), producerEpoch: 0 };
  },
  errorResponse(_request, errorCode) {
    return { throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 };
  },
};
