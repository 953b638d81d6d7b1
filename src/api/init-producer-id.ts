/**
 * InitProducerId (key 22): a producer id for an idempotent producer, or, with a transactional id,
 * the transaction coordinator's answer (the id's producer id with its epoch bumped, fencing any
 * older instance, after aborting a transaction it left open).
 */
import type { InitProducerIdRequest, InitProducerIdResponseInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { errorForVersion } from '../coordinator/txn/versions.js';
import type { ApiHandler } from './handler.js';
import { authorize, authorizeAnyOfType, authorizeCluster, Op, ResourceType } from './authorize.js';

export const initProducerIdHandler: ApiHandler<InitProducerIdRequest, InitProducerIdResponseInput> = {
  apiKey: 22,
  name: 'InitProducerId',
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, request) {
    if (request.transactionalId !== null && !authorize(ctx, Op.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactionalId)) {
      return this.errorResponse(request, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, '', ctx.apiVersion);
    }
    // An idempotent producer: IDEMPOTENT_WRITE on the cluster, or WRITE on some topic (KIP-679).
    if (request.transactionalId === null && !authorizeCluster(ctx, Op.IDEMPOTENT_WRITE, false) && !authorizeAnyOfType(ctx, Op.WRITE, ResourceType.TOPIC)) {
      return this.errorResponse(request, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, '', ctx.apiVersion);
    }
    if (request.transactionalId !== null) {
      const answer = await ctx.broker.transactions.initProducerId({
        transactionalId: request.transactionalId,
        transactionTimeoutMs: request.transactionTimeoutMs,
        // v3+ name the producer's current id and epoch (KIP-360); older versions default to -1.
        producerId: request.producerId,
        producerEpoch: request.producerEpoch,
      });
      return { throttleTimeMs: 0, errorCode: errorForVersion('InitProducerId', ctx.apiVersion, answer.errorCode), producerId: answer.producerId, producerEpoch: answer.producerEpoch };
    }
    // Like Kafka, an idempotent producer (no transactional id) always gets a fresh id at epoch 0,
    // even when it names its previous id and epoch (KIP-360).
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: await ctx.broker.producerIds.nextId(), producerEpoch: 0 };
  },
  errorResponse(_request, errorCode) {
    return { throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 };
  },
};
