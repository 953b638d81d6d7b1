/**
 * ListTransactions (key 66, KIP-664; v1 adds the duration filter of KIP-994): the transactional
 * ids this broker coordinates, filtered by state name, producer id and (v1) how long ago their
 * transaction started. State names the coordinator does not know are echoed in
 * UnknownStateFilters (and match nothing). While any __transaction_state partition is loading the
 * answer is COORDINATOR_LOAD_IN_PROGRESS with no ids, as Kafka's.
 */
import type { ListTransactionsRequest, ListTransactionsResponseInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { txnStateFromName, type TxnState } from '../coordinator/txn/txn-state.js';
import type { TxnView } from '../coordinator/txn/coordinator.js';
import type { ApiHandler } from './handler.js';
import { authorize, Op, ResourceType } from './authorize.js';

export const listTransactionsHandler: ApiHandler<ListTransactionsRequest, ListTransactionsResponseInput> = {
  apiKey: 66,
  name: 'ListTransactions',
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, request) {
    const coordinator = ctx.broker.transactions;
    if (coordinator.isLoading) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, unknownStateFilters: [], transactionStates: [] };
    const states = new Set<TxnState>();
    const unknownStateFilters: string[] = [];
    for (const name of new Set(request.stateFilters)) {
      const state = txnStateFromName(name);
      if (state === undefined) unknownStateFilters.push(name);
      else states.add(state);
    }
    const producerIds = new Set(request.producerIdFilters);
    // v0 has no duration filter: the codec gives its default, -1 (no filter).
    const duration = Number(request.durationFilter);
    const now = ctx.broker.now();
    // Kafka's rule, kept as is: the age is counted from the start timestamp whatever the state,
    // so an id with no transaction (start -1) passes any duration filter.
    const included = (t: TxnView): boolean =>
      (producerIds.size === 0 || producerIds.has(t.producerId)) && (request.stateFilters.length === 0 || states.has(t.state)) && (duration < 0 || now - t.txnStartTimestamp > duration);
    const transactionStates = coordinator
      .list()
      .filter(included)
      // Only the ids the principal may describe, silently (as Kafka filters them).
      .filter((t) => authorize(ctx, Op.DESCRIBE, ResourceType.TRANSACTIONAL_ID, t.transactionalId, false))
      .map((t) => ({ transactionalId: t.transactionalId, producerId: t.producerId, transactionState: t.stateName }));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, unknownStateFilters, transactionStates };
  },
  errorResponse(_request, errorCode) {
    return { throttleTimeMs: 0, errorCode, unknownStateFilters: [], transactionStates: [] };
  },
};
