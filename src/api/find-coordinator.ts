/**
 * FindCoordinator (key 10): a group's coordinator is the leader of its __consumer_offsets
 * partition, a transactional id's the leader of its __transaction_state partition
 * (COORDINATOR_NOT_AVAILABLE while it has none).
 */
import type { FindCoordinatorRequest, FindCoordinatorResponseInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ApiHandler } from './handler.js';
import type { LocatedCoordinator } from './services.js';
import { authorize, Op, ResourceType } from './authorize.js';

const GROUP = 0;
const TRANSACTION = 1;

export const findCoordinatorHandler: ApiHandler<FindCoordinatorRequest, FindCoordinatorResponseInput> = {
  apiKey: 10,
  name: 'FindCoordinator',
  minVersion: 0,
  maxVersion: 6,
  async handle(ctx, request) {
    const keyTypeError = request.keyType !== GROUP && request.keyType !== TRANSACTION ? ErrorCode.INVALID_REQUEST : ErrorCode.NONE;
    const locate = async (key: string): Promise<LocatedCoordinator> => {
      // Kafka: DESCRIBE on the group or transactional id whose coordinator is asked for.
      if (!authorize(ctx, Op.DESCRIBE, request.keyType === GROUP ? ResourceType.GROUP : ResourceType.TRANSACTIONAL_ID, key)) {
        const errorCode = request.keyType === GROUP ? ErrorCode.GROUP_AUTHORIZATION_FAILED : ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
        return { errorCode, message: `${ctx.principal} may not describe ${key}.`, nodeId: -1, host: '', port: -1 };
      }
      if (request.keyType === GROUP) return ctx.broker.coordinators.group(key, ctx.listenerName);
      if (key === '') return { errorCode: ErrorCode.INVALID_REQUEST, message: 'A transactional id may not be empty.', nodeId: -1, host: '', port: -1 };
      return ctx.broker.coordinators.transaction(key, ctx.listenerName);
    };
    if (ctx.apiVersion < 4) {
      if (keyTypeError !== ErrorCode.NONE) return { throttleTimeMs: 0, errorCode: keyTypeError, errorMessage: `Unknown key type ${request.keyType}`, nodeId: -1, host: '', port: -1 };
      const found = await locate(request.key);
      return { throttleTimeMs: 0, errorCode: found.errorCode, errorMessage: found.message, nodeId: found.nodeId, host: found.host, port: found.port };
    }
    // v4+ batches keys (KIP-699).
    const coordinators = [];
    for (const key of request.coordinatorKeys) {
      if (keyTypeError !== ErrorCode.NONE) {
        coordinators.push({ key, nodeId: -1, host: '', port: -1, errorCode: keyTypeError, errorMessage: `Unknown key type ${request.keyType}` });
        continue;
      }
      const found = await locate(key);
      coordinators.push({ key, nodeId: found.nodeId, host: found.host, port: found.port, errorCode: found.errorCode, errorMessage: found.message });
    }
    return { throttleTimeMs: 0, coordinators };
  },
  errorResponse(request, errorCode, message, version) {
    if (version < 4) return { throttleTimeMs: 0, errorCode, errorMessage: message, nodeId: -1, host: '', port: -1 };
    return { throttleTimeMs: 0, coordinators: request.coordinatorKeys.map((key) => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage: message })) };
  },
};
