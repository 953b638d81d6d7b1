// Kafka's TransactionState table: every pair of states, every prepare step from every state, and
// what each request does in each state the coordinator can be in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../../src/protocol/error-codes.js';
import { TxnMetadata, TxnStateError } from '../../../../src/coordinator/txn/metadata.js';
import { PartitionSet } from '../../../../src/coordinator/txn/partition-set.js';
import { ALL_TXN_STATES, canTransition, isExpirationAllowed, txnStateFromName, txnStateName, TxnState } from '../../../../src/coordinator/txn/txn-state.js';
import { add, end, expectWrite, init, rig, stateOf, view, type Rig } from './harness.js';

const S = TxnState;

/** Kafka's validPreviousStates, restated as rows "to: [from…]". */
const KAFKA_VALID_PREVIOUS: Record<string, string[]> = {
  Empty: ['Empty', 'CompleteCommit', 'CompleteAbort'],
  Ongoing: ['Ongoing', 'Empty', 'CompleteCommit', 'CompleteAbort'],
  PrepareCommit: ['Ongoing'],
  PrepareAbort: ['Ongoing', 'PrepareEpochFence'],
  CompleteCommit: ['PrepareCommit'],
  CompleteAbort: ['PrepareAbort'],
  Dead: ['Empty', 'CompleteAbort', 'CompleteCommit'],
  PrepareEpochFence: ['Ongoing'],
};

test('states carry Kafka\'s ids and names', () => {
  assert.deepEqual(
    ALL_TXN_STATES.map((s) => `${s}:${txnStateName(s)}`),
    ['0:Empty', '1:Ongoing', '2:PrepareCommit', '3:PrepareAbort', '4:CompleteCommit', '5:CompleteAbort', '6:Dead', '7:PrepareEpochFence'],
  );
  for (const s of ALL_TXN_STATES) assert.equal(txnStateFromName(txnStateName(s)), s);
  assert.equal(txnStateFromName('Nonsense'), undefined);
  assert.deepEqual(ALL_TXN_STATES.filter(isExpirationAllowed), [S.Empty, S.CompleteCommit, S.CompleteAbort]);
});

test('all 64 state pairs: a transition is allowed exactly when Kafka lists the source among the target\'s valid previous states', () => {
  let allowed = 0;
  for (const from of ALL_TXN_STATES) {
    for (const to of ALL_TXN_STATES) {
      const expected = KAFKA_VALID_PREVIOUS[txnStateName(to)].includes(txnStateName(from));
      assert.equal(canTransition(from, to), expected, `${txnStateName(from)} -> ${txnStateName(to)}`);
      if (expected) allowed++;
    }
  }
  assert.equal(allowed, 16);
});

function metadataIn(state: TxnState): TxnMetadata {
  const partitions = state === S.Empty ? new PartitionSet() : new PartitionSet([{ topic: 't', partition: 0 }]);
  return new TxnMetadata('id', 10n, -1n, -1n, 5, -1, 1000, state, partitions, state === S.Empty ? -1 : 100, 200, 0);
}

/** Each prepare step of TxnMetadata and the state it targets from `from`. */
const STEPS: { name: string; target: (from: TxnState) => TxnState; run: (m: TxnMetadata) => unknown }[] = [
  { name: 'prepareIncrementProducerEpoch', target: () => S.Empty, run: (m) => m.prepareIncrementProducerEpoch(1000, null, 300) },
  { name: 'prepareProducerIdRotation', target: () => S.Empty, run: (m) => m.prepareProducerIdRotation(11n, 1000, 300, false) },
  { name: 'prepareAddPartitions', target: () => S.Ongoing, run: (m) => m.prepareAddPartitions([{ topic: 't', partition: 1 }], 300) },
  { name: 'prepareAbortOrCommit(commit)', target: () => S.PrepareCommit, run: (m) => m.prepareAbortOrCommit(S.PrepareCommit, 300) },
  { name: 'prepareAbortOrCommit(abort)', target: () => S.PrepareAbort, run: (m) => m.prepareAbortOrCommit(S.PrepareAbort, 300) },
  { name: 'prepareComplete', target: (from) => (from === S.PrepareCommit ? S.CompleteCommit : S.CompleteAbort), run: (m) => m.prepareComplete(300) },
  { name: 'prepareDead', target: () => S.Dead, run: (m) => m.prepareDead() },
  { name: 'prepareFenceProducerEpoch', target: () => S.PrepareEpochFence, run: (m) => m.prepareFenceProducerEpoch() },
];

test('every prepare step from every state: refused (TxnStateError, nothing pending) exactly where the table forbids it', () => {
  for (const from of ALL_TXN_STATES) {
    for (const step of STEPS) {
      const m = metadataIn(from);
      const to = step.target(from);
      const label = `${step.name} from ${txnStateName(from)} to ${txnStateName(to)}`;
      if (canTransition(from, to)) {
        step.run(m);
        assert.equal(m.pendingState, to, label);
        assert.throws(() => step.run(m), TxnStateError, `${label}: a second prepare while one is pending`);
      } else {
        assert.throws(() => step.run(m), TxnStateError, label);
        assert.equal(m.pendingState, null, `${label}: a refused step leaves nothing pending`);
      }
    }
  }
});

test('completing a transition checks it follows from the metadata (Kafka\'s completeTransitionTo)', () => {
  const m = metadataIn(S.Ongoing);
  const t = m.prepareAbortOrCommit(S.PrepareCommit, 300);
  m.pendingState = S.PrepareAbort;
  assert.throws(() => m.completeTransition(t), TxnStateError, 'the pending state must be the target');
  m.pendingState = null;
  assert.throws(() => m.completeTransition(t), TxnStateError, 'nothing pending');
  const m2 = metadataIn(S.Ongoing);
  const t2 = m2.prepareAbortOrCommit(S.PrepareCommit, 300);
  m2.partitions.add('t', 9);
  assert.throws(() => m2.completeTransition(t2), TxnStateError, 'Prepare* must carry exactly the partitions');
  const m3 = metadataIn(S.Ongoing);
  const t3 = m3.prepareFenceProducerEpoch();
  assert.throws(() => m3.completeTransition(t3), TxnStateError, 'PrepareEpochFence is never completed');
  const m4 = metadataIn(S.Empty);
  const t4 = m4.prepareDead();
  assert.throws(() => m4.completeTransition(t4), TxnStateError, 'Dead is never completed');
});

// What each request does in each state a transactional id can be in at the coordinator.

type Producer = { producerId: bigint; producerEpoch: number };
interface Situation {
  name: string;
  make: () => { r: Rig; p: Producer };
}

const ID = 'tx';
const situations: Situation[] = [
  { name: 'Empty', make: () => { const r = rig(); return { r, p: init(r, ID) }; } },
  { name: 'Ongoing', make: () => { const r = rig(); const p = init(r, ID); add(r, ID, p, [['t', 0]]); return { r, p }; } },
  {
    name: 'Ongoing, a write in flight',
    make: () => { const r = rig(); const p = init(r, ID); add(r, ID, p, [['t', 0]]); expectWrite(r.shard.addPartitions({ transactionalId: ID, ...p, partitions: [{ topic: 't', partition: 1 }] })); return { r, p }; },
  },
  { name: 'PrepareCommit, markers in flight', make: () => { const r = rig(); const p = init(r, ID); add(r, ID, p, [['t', 0]]); end(r, ID, p, true); return { r, p }; } },
  { name: 'PrepareAbort, markers in flight', make: () => { const r = rig(); const p = init(r, ID); add(r, ID, p, [['t', 0]]); end(r, ID, p, false); return { r, p }; } },
  {
    name: 'PrepareCommit, completion write lost (nothing pending)',
    make: () => {
      const r = rig();
      const p = init(r, ID);
      add(r, ID, p, [['t', 0]]);
      end(r, ID, p, true);
      const m = r.log.takeMarkers();
      const done = r.shard.markersWritten(m, [{ topic: 't', partition: 0, errorCode: 0 }]);
      assert.ok(done.completion);
      done.completion.failed(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      return { r, p };
    },
  },
  { name: 'CompleteCommit', make: () => { const r = rig(); const p = init(r, ID); add(r, ID, p, [['t', 0]]); end(r, ID, p, true); completeMarkers(r); return { r, p }; } },
  { name: 'CompleteAbort', make: () => { const r = rig(); const p = init(r, ID); add(r, ID, p, [['t', 0]]); end(r, ID, p, false); completeMarkers(r); return { r, p }; } },
];

function completeMarkers(r: Rig): void {
  const m = r.log.takeMarkers();
  const done = r.shard.markersWritten(m, m.partitions.map((tp) => ({ ...tp, errorCode: 0 })));
  assert.ok(done.completion);
  r.log.commit(done.completion);
}

type Outcome = { code: number; write: boolean; state?: string };
const C = ErrorCode;
const w = (code: number, state: string): Outcome => ({ code, write: true, state });
const now = (code: number): Outcome => ({ code, write: false });

/** Rows: situation → [InitProducerId, AddPartitions(t-1), EndTxn(commit), EndTxn(abort), verify(t-0)]. */
const TABLE: Record<string, [Outcome, Outcome, Outcome, Outcome, number]> = {
  Empty: [w(C.NONE, 'Empty'), w(C.NONE, 'Ongoing'), now(C.INVALID_TXN_STATE), now(C.INVALID_TXN_STATE), C.TRANSACTION_ABORTABLE],
  Ongoing: [w(C.CONCURRENT_TRANSACTIONS, 'PrepareAbort'), w(C.NONE, 'Ongoing'), w(C.NONE, 'PrepareCommit'), w(C.NONE, 'PrepareAbort'), C.NONE],
  'Ongoing, a write in flight': [now(C.CONCURRENT_TRANSACTIONS), now(C.CONCURRENT_TRANSACTIONS), now(C.CONCURRENT_TRANSACTIONS), now(C.CONCURRENT_TRANSACTIONS), C.NONE],
  'PrepareCommit, markers in flight': [now(C.CONCURRENT_TRANSACTIONS), now(C.CONCURRENT_TRANSACTIONS), now(C.CONCURRENT_TRANSACTIONS), now(C.CONCURRENT_TRANSACTIONS), C.CONCURRENT_TRANSACTIONS],
  'PrepareAbort, markers in flight': [now(C.CONCURRENT_TRANSACTIONS), now(C.CONCURRENT_TRANSACTIONS), now(C.CONCURRENT_TRANSACTIONS), now(C.CONCURRENT_TRANSACTIONS), C.CONCURRENT_TRANSACTIONS],
  'PrepareCommit, completion write lost (nothing pending)': [now(C.CONCURRENT_TRANSACTIONS), now(C.CONCURRENT_TRANSACTIONS), now(C.CONCURRENT_TRANSACTIONS), now(C.INVALID_TXN_STATE), C.CONCURRENT_TRANSACTIONS],
  CompleteCommit: [w(C.NONE, 'Empty'), w(C.NONE, 'Ongoing'), now(C.NONE), now(C.INVALID_TXN_STATE), C.TRANSACTION_ABORTABLE],
  CompleteAbort: [w(C.NONE, 'Empty'), w(C.NONE, 'Ongoing'), now(C.INVALID_TXN_STATE), now(C.NONE), C.TRANSACTION_ABORTABLE],
};

test('each request in each state answers as Kafka\'s TransactionCoordinator does, and moves to the state it should', () => {
  const requests: ((r: Rig, p: Producer) => ReturnType<Rig['shard']['endTxn']> | ReturnType<Rig['shard']['addPartitions']>)[] = [
    (r) => r.shard.initProducerId({ transactionalId: ID, transactionTimeoutMs: 30_000, producerId: -1n, producerEpoch: -1 }),
    (r, p) => r.shard.addPartitions({ transactionalId: ID, ...p, partitions: [{ topic: 't', partition: 1 }] }),
    (r, p) => r.shard.endTxn({ transactionalId: ID, ...p, committed: true }),
    (r, p) => r.shard.endTxn({ transactionalId: ID, ...p, committed: false }),
  ];
  const names = ['InitProducerId', 'AddPartitionsToTxn', 'EndTxn(commit)', 'EndTxn(abort)'];
  for (const s of situations) {
    const row = TABLE[s.name];
    for (let i = 0; i < requests.length; i++) {
      const { r, p } = s.make();
      const before = r.log.records.length;
      const step = requests[i](r, p);
      const label = `${names[i]} in ${s.name}`;
      const expected = row[i] as Outcome;
      assert.equal(step.kind === 'write', expected.write, `${label}: writes?`);
      assert.equal(r.log.run(step).errorCode, expected.code, `${label}: answer`);
      assert.equal(r.log.records.length, before + (expected.write ? 1 : 0), `${label}: records appended`);
      if (expected.state) assert.equal(txnStateName(stateOf(r, ID)), expected.state, `${label}: state after`);
    }
    const { r, p } = s.make();
    const verified = r.shard.verifyPartitions({ transactionalId: ID, ...p, partitions: [{ topic: 't', partition: 0 }] });
    assert.deepEqual(verified, [{ topic: 't', partition: 0, errorCode: row[4] }], `verify in ${s.name}`);
    assert.equal(view(r, ID).producerEpoch, p.producerEpoch, `verify in ${s.name} changes nothing`);
  }
});
