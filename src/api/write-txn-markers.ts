/**
 * WriteTxnMarkers (key 27): a transaction coordinator on another broker asks this one, as the
 * leader of some of a transaction's partitions, to append its COMMIT or ABORT markers. Each
 * partition answers on its own (NOT_LEADER_OR_FOLLOWER, INVALID_PRODUCER_EPOCH,
 * TRANSACTION_COORDINATOR_FENCED …); the coordinator retries the ones that failed.
 */
import type { WriteTxnMarkersRequest, WriteTxnMarkersResponseInput } from '../protocol/generated/index.js';
import type { ApiHandler } from './handler.js';
import { appendMarkerHere } from './txn-marker-append.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { authorizeCluster, Op } from './authorize.js';

export const writeTxnMarkersHandler: ApiHandler<WriteTxnMarkersRequest, WriteTxnMarkersResponseInput> = {
  apiKey: 27,
  name: 'WriteTxnMarkers',
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, request) {
    if (!authorizeCluster(ctx, Op.CLUSTER_ACTION)) return this.errorResponse(request, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, '', ctx.apiVersion);
    const markers = request.markers.map(async (m) => {
      const marker = { producerId: m.producerId, producerEpoch: m.producerEpoch, coordinatorEpoch: m.coordinatorEpoch, committed: m.transactionResult };
      const topics = m.topics.map(async (t) => ({
        name: t.name,
        partitions: await Promise.all(t.partitionIndexes.map(async (partitionIndex) => ({ partitionIndex, errorCode: await appendMarkerHere(ctx.broker, marker, t.name, partitionIndex) }))),
      }));
      return { producerId: m.producerId, topics: await Promise.all(topics) };
    });
    return { markers: await Promise.all(markers) };
  },
  errorResponse(request, errorCode) {
    return {
      markers: request.markers.map((m) => ({ producerId: m.producerId, topics: m.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode })) })) })),
    };
  },
};
