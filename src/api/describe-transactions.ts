/**
 * DescribeTransactions (key 65, KIP-664): each transactional id's state as its coordinator holds
 * it (state name, producer id and epoch, timeout, start time, partitions), or why not: the id is
 * not coordinated here (NOT_COORDINATOR), its partition is still loading
 * (COORDINATOR_LOAD_IN_PROGRESS), it is unknown (TRANSACTIONAL_ID_NOT_FOUND), or it is empty
 * (INVALID_REQUEST). Each id answers on its own, as in Kafka; unlike Kafka, an id asked for twice
 * is answered once (each answer lists the transaction's partitions, so repeating one id would make
 * the answer many times the request's size).
 */
import type { DescribeTransactionsRequest, DescribeTransactionsResponseInput, DescribeTransactionsResponseTransactionStateInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { TxnState } from '../coordinator/txn/txn-state.js';
import type { TxnView } from '../coordinator/txn/coordinator.js';
import type { ApiHandler } from './handler.js';
import { authorize, Op, ResourceType } from './authorize.js';

/** An id that has no state to show: Kafka leaves the other fields at their zero defaults. */
const failed = (transactionalId: string, errorCode: number): DescribeTransactionsResponseTransactionStateInput => ({
  errorCode,
  transactionalId,
  transactionState: '',
  transactionTimeoutMs: 0,
  transactionStartTimeMs: 0n,
  producerId: 0n,
  producerEpoch: 0,
  topics: [],
});

function described(view: TxnView): DescribeTransactionsResponseTransactionStateInput {
  const byTopic = new Map<string, number[]>();
  for (const tp of view.partitions) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
  return {
    errorCode: ErrorCode.NONE,
    transactionalId: view.transactionalId,
    transactionState: view.stateName,
    transactionTimeoutMs: view.txnTimeoutMs,
    transactionStartTimeMs: BigInt(view.txnStartTimestamp),
    producerId: view.producerId,
    producerEpoch: view.producerEpoch,
    topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
  };
}

export const describeTransactionsHandler: ApiHandler<DescribeTransactionsRequest, DescribeTransactionsResponseInput> = {
  apiKey: 65,
  name: 'DescribeTransactions',
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, request) {
    const transactionStates = [...new Set(request.transactionalIds)].map((id) => {
      if (!authorize(ctx, Op.DESCRIBE, ResourceType.TRANSACTIONAL_ID, id)) return failed(id, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
      const view = ctx.broker.transactions.describe(id);
      if (typeof view === 'number') return failed(id, view);
      // An id being expired is gone already as far as clients are concerned.
      return view.state === TxnState.Dead ? failed(id, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND) : described(view);
    });
    return { throttleTimeMs: 0, transactionStates };
  },
  errorResponse(request, errorCode) {
    return { throttleTimeMs: 0, transactionStates: [...new Set(request.transactionalIds)].map((id) => failed(id, errorCode)) };
  },
};
