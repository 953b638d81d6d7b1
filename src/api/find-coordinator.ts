/**
 * FindCoordinator (key 10): this broker coordinates every group and transactional id. (In a
 * cluster the group's coordinator is the leader of its __consumer_offsets partition,
 * GroupCoordinator.partitionFor; answering that, or COORDINATOR_NOT_AVAILABLE while it has no
 * leader, comes with the cluster's metadata.)
 */
import type { FindCoordinatorRequest, FindCoordinatorResponseInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ApiHandler } from './handler.js';

const GROUP = 0;
const TRANSACTION = 1;

export const findCoordinatorHandler: ApiHandler<FindCoordinatorRequest, FindCoordinatorResponseInput> = {
  apiKey: 10,
  name: 'FindCoordinator',
  minVersion: 0,
  maxVersion: 6,
  handle(ctx, request) {
    const { host, port } = ctx.broker.endpoint();
    const nodeId = ctx.broker.nodeId;
    const keyTypeError = request.keyType !== GROUP && request.keyType !== TRANSACTION ? ErrorCode.INVALID_REQUEST : ErrorCode.NONE;
    if (ctx.apiVersion < 4) {
      if (keyTypeError !== ErrorCode.NONE) return { throttleTimeMs: 0, errorCode: keyTypeError, errorMessage: `Unknown key type ${request.keyType}`, nodeId: -1, host: '', port: -1 };
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, nodeId, host, port };
    }
    // v4+ batches keys (KIP-699).
    return {
      throttleTimeMs: 0,
      coordinators: request.coordinatorKeys.map((key) =>
        keyTypeError !== ErrorCode.NONE
          ? { key, nodeId: -1, host: '', port: -1, errorCode: keyTypeError, errorMessage: `Unknown key type ${request.keyType}` }
          : { key, nodeId, host, port, errorCode: ErrorCode.NONE, errorMessage: null },
      ),
    };
  },
  errorResponse(request, errorCode, message, version) {
    if (version < 4) return { throttleTimeMs: 0, errorCode, errorMessage: message, nodeId: -1, host: '', port: -1 };
    return { throttleTimeMs: 0, coordinators: request.coordinatorKeys.map((key) => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage: message })) };
  },
};
