/**
 * The states of one transactional id, as Kafka's TransactionState names and numbers them (the
 * number is the state byte of a __transaction_state value; the name is what DescribeTransactions
 * and ListTransactions show), with the states each may be entered from.
 *
 *   Empty ──AddPartitions/AddOffsets──> Ongoing ──EndTxn(commit)──> PrepareCommit ──markers──> CompleteCommit
 *     ▲                                  │  ▲ └──EndTxn(abort)───> PrepareAbort  ──markers──> CompleteAbort
 *     └──InitProducerId (from Empty,     │  └─ more partitions       ▲
 *        CompleteCommit, CompleteAbort)  └──fence (InitProducerId of a new producer, timeout)
 *                                            ─> PrepareEpochFence ───┘
 *   Empty, CompleteCommit, CompleteAbort ──transactional.id.expiration.ms──> Dead (a tombstone)
 *
 * PrepareEpochFence and Dead are never written to the log: the first is a pending step on the way
 * to PrepareAbort (the epoch is bumped, then the abort record carries it), the second is the
 * pending state of an id whose tombstone is being written.
 */

export const TxnState = {
  Empty: 0,
  Ongoing: 1,
  PrepareCommit: 2,
  PrepareAbort: 3,
  CompleteCommit: 4,
  CompleteAbort: 5,
  Dead: 6,
  PrepareEpochFence: 7,
} as const;

export type TxnState = (typeof TxnState)[keyof typeof TxnState];

export const ALL_TXN_STATES: readonly TxnState[] = [0, 1, 2, 3, 4, 5, 6, 7];

const NAMES: Record<TxnState, string> = {
  0: 'Empty',
  1: 'Ongoing',
  2: 'PrepareCommit',
  3: 'PrepareAbort',
  4: 'CompleteCommit',
  5: 'CompleteAbort',
  6: 'Dead',
  7: 'PrepareEpochFence',
};

/** Kafka's validPreviousStates: a transition to the key is allowed only from one of these. */
const VALID_PREVIOUS: Record<TxnState, readonly TxnState[]> = {
  [TxnState.Empty]: [TxnState.Empty, TxnState.CompleteCommit, TxnState.CompleteAbort],
  [TxnState.Ongoing]: [TxnState.Ongoing, TxnState.Empty, TxnState.CompleteCommit, TxnState.CompleteAbort],
  [TxnState.PrepareCommit]: [TxnState.Ongoing],
  [TxnState.PrepareAbort]: [TxnState.Ongoing, TxnState.PrepareEpochFence],
  [TxnState.CompleteCommit]: [TxnState.PrepareCommit],
  [TxnState.CompleteAbort]: [TxnState.PrepareAbort],
  [TxnState.Dead]: [TxnState.Empty, TxnState.CompleteAbort, TxnState.CompleteCommit],
  [TxnState.PrepareEpochFence]: [TxnState.Ongoing],
};

export function txnStateName(state: TxnState): string {
  return NAMES[state];
}

/** The state with this name (DescribeTransactions' spelling), or undefined (ListTransactions' unknown state filters). */
export function txnStateFromName(name: string): TxnState | undefined {
  return ALL_TXN_STATES.find((s) => NAMES[s] === name);
}

/** The state a value's state byte names, or undefined for a byte Kafka does not define. */
export function txnStateFromId(id: number): TxnState | undefined {
  return Number.isInteger(id) && id >= 0 && id <= 7 ? (id as TxnState) : undefined;
}

export function canTransition(from: TxnState, to: TxnState): boolean {
  return VALID_PREVIOUS[to].includes(from);
}

export function validPreviousStates(to: TxnState): readonly TxnState[] {
  return VALID_PREVIOUS[to];
}

/** Only an id with no transaction open or completing may expire (transactional.id.expiration.ms). */
export function isExpirationAllowed(state: TxnState): boolean {
  return state === TxnState.Empty || state === TxnState.CompleteCommit || state === TxnState.CompleteAbort;
}
