// Rebuilding a __transaction_state partition from its records, and the recovery of transactions
// the log leaves in PrepareCommit/PrepareAbort (their markers are resent after a coordinator move).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../../src/protocol/error-codes.js';
import { TxnCoordinatorShard, type TxnView } from '../../../../src/coordinator/txn/coordinator.js';
import { preparedTransactions, replayTxnPartition, replayTxnRecords } from '../../../../src/coordinator/txn/replay.js';
import { txnKey, txnValue, type TxnLogValue } from '../../../../src/coordinator/txn/records.js';
import { TxnState } from '../../../../src/coordinator/txn/txn-state.js';
import { add, CONFIG, deliverAll, end, expectAnswer, init, reload, rig, view, type Rig } from './harness.js';

/** What survives a reload: everything but the last epoch (memory only) and the pending state. */
function persisted(v: TxnView): Omit<TxnView, 'lastProducerEpoch' | 'pendingState' | 'previousProducerId'> {
  const { lastProducerEpoch: _l, pendingState: _p, previousProducerId: _pp, ...rest } = v;
  return rest;
}

type Producer = { producerId: bigint; producerEpoch: number };
const scenarios: { state: TxnState; make: (r: Rig) => Producer }[] = [
  { state: TxnState.Empty, make: (r) => init(r, 'tx') },
  { state: TxnState.Ongoing, make: (r) => { const p = init(r, 'tx'); add(r, 'tx', p, [['a', 0], ['b', 1]]); return p; } },
  { state: TxnState.PrepareCommit, make: (r) => { const p = init(r, 'tx'); add(r, 'tx', p, [['a', 0], ['b', 1]]); end(r, 'tx', p, true); return p; } },
  { state: TxnState.PrepareAbort, make: (r) => { const p = init(r, 'tx'); add(r, 'tx', p, [['a', 0], ['b', 1]]); end(r, 'tx', p, false); return p; } },
  { state: TxnState.CompleteCommit, make: (r) => { const p = init(r, 'tx'); add(r, 'tx', p, [['a', 0]]); end(r, 'tx', p, true); deliverAll(r, r.log.takeMarkers()); return p; } },
  { state: TxnState.CompleteAbort, make: (r) => { const p = init(r, 'tx'); add(r, 'tx', p, [['a', 0]]); end(r, 'tx', p, false); deliverAll(r, r.log.takeMarkers()); return p; } },
];

test('replay after each state gives back the same transaction; Prepare* ones get their markers again at the new coordinator epoch and complete', () => {
  for (const s of scenarios) {
    for (const logValueVersion of [0, 1] as const) {
      const config = { ...CONFIG, logValueVersion };
      const r = rig(config);
      const p = s.make(r);
      const before = view(r, 'tx');
      assert.equal(before.state, s.state);
      r.clock.advance(1000);
      const loaded = reload(r, 4, config);
      const after = view(r, 'tx');
      const label = `${before.stateName}, value v${logValueVersion}`;
      assert.deepEqual(persisted(after), persisted(before), label);
      assert.equal(after.lastProducerEpoch, -1, `${label}: the last epoch is not in the log`);
      if (s.state === TxnState.PrepareCommit || s.state === TxnState.PrepareAbort) {
        const committed = s.state === TxnState.PrepareCommit;
        assert.deepEqual(loaded.markers, [{ transactionalId: 'tx', producerId: p.producerId, producerEpoch: p.producerEpoch, coordinatorEpoch: 4, committed, partitions: [{ topic: 'a', partition: 0 }, { topic: 'b', partition: 1 }] }], label);
        assert.equal(after.pendingState, committed ? TxnState.CompleteCommit : TxnState.CompleteAbort, `${label}: completing`);
        assert.equal(expectAnswer(r.shard.endTxn({ transactionalId: 'tx', ...p, committed })).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS, label);
        deliverAll(r, loaded.markers[0]);
        assert.equal(view(r, 'tx').state, committed ? TxnState.CompleteCommit : TxnState.CompleteAbort, label);
        assert.deepEqual(expectAnswer(r.shard.endTxn({ transactionalId: 'tx', ...p, committed })), { errorCode: ErrorCode.NONE, ...p }, `${label}: a retried EndTxn`);
      } else {
        assert.deepEqual(loaded.markers, [], label);
        assert.equal(after.pendingState, null, label);
      }
      assert.deepEqual(loaded.writes, []);
      // The reloaded state carries on: a new transaction at the same producer.
      if (s.state !== TxnState.PrepareCommit && s.state !== TxnState.PrepareAbort && s.state !== TxnState.Ongoing) {
        assert.equal(add(r, 'tx', p, [['c', 0]]), ErrorCode.NONE, label);
      }
    }
  }
});

test('a coordinator move in the middle of the markers: late outcomes of the old shard change nothing, the new one resends every partition the log lists', () => {
  const r = rig();
  const p = init(r, 'tx');
  add(r, 'tx', p, [['a', 0], ['a', 1]]);
  end(r, 'tx', p, true);
  const oldMarkers = r.log.takeMarkers();
  const half = r.shard.markersWritten(oldMarkers, [{ topic: 'a', partition: 0, errorCode: 0 }]);
  assert.equal(half.completion, null);
  const old = r.shard;
  const loaded = reload(r, 1);
  assert.equal(old.isClosed, true);
  assert.equal(old.markersWritten(oldMarkers, [{ topic: 'a', partition: 1, errorCode: 0 }]).cancelled, true);
  assert.deepEqual(loaded.markers[0].partitions, [{ topic: 'a', partition: 0 }, { topic: 'a', partition: 1 }], 'markers are idempotent; the log does not know which were written');
  assert.equal(loaded.markers[0].coordinatorEpoch, 1);
  assert.equal(r.shard.markersWritten(oldMarkers, oldMarkers.partitions.map((tp) => ({ ...tp, errorCode: 0 }))).cancelled, true, 'the old epoch\'s work is stale in the new shard');
  deliverAll(r, loaded.markers[0]);
  assert.equal(view(r, 'tx').state, TxnState.CompleteCommit);
});

test('later records win, a tombstone deletes, an id can come back after one', () => {
  const value = (epoch: number, state: TxnState, partitions: TxnLogValue['partitions'] = []): Buffer =>
    txnValue({ producerId: 9n, previousProducerId: -1n, nextProducerId: -1n, producerEpoch: epoch, txnTimeoutMs: 1000, state, partitions, lastUpdateTimestamp: 5, startTimestamp: state === TxnState.Empty ? -1 : 4, clientTransactionVersion: 0 }, 1);
  const { txns, skipped } = replayTxnRecords([
    { key: txnKey('a'), value: value(0, TxnState.Empty) },
    { key: txnKey('b'), value: value(3, TxnState.Ongoing, [{ topic: 't', partitions: [1] }]) },
    { key: txnKey('a'), value: value(1, TxnState.Ongoing, [{ topic: 't', partitions: [0] }]) },
    { key: txnKey('b'), value: null },
    { key: txnKey('c'), value: value(0, TxnState.Empty) },
    { key: txnKey('c'), value: null },
    { key: txnKey('c'), value: value(7, TxnState.PrepareAbort, [{ topic: 'u', partitions: [2, 3] }]) },
  ]);
  assert.deepEqual(skipped, []);
  assert.deepEqual([...txns.keys()], ['a', 'c']);
  assert.equal(txns.get('a')?.producerEpoch, 1);
  assert.equal(txns.get('a')?.state, TxnState.Ongoing);
  assert.deepEqual(preparedTransactions(txns), [{ transactionalId: 'c', committed: false, producerId: 9n, producerEpoch: 7, partitions: [{ topic: 'u', partition: 2 }, { topic: 'u', partition: 3 }] }]);
});

test('records that cannot be read are skipped and reported; the rest of the partition loads', async () => {
  const good = txnValue({ producerId: 9n, previousProducerId: -1n, nextProducerId: -1n, producerEpoch: 2, txnTimeoutMs: 1000, state: TxnState.Empty, partitions: [], lastUpdateTimestamp: 5, startTimestamp: -1, clientTransactionVersion: 0 }, 0);
  const dead = Buffer.from(good);
  dead.writeInt8(TxnState.Dead, 16);
  const fence = Buffer.from(good);
  fence.writeInt8(TxnState.PrepareEpochFence, 16);
  const unknownKey = Buffer.from(txnKey('x'));
  unknownKey.writeInt16BE(3, 0);
  async function* records() {
    yield { key: txnKey('ok'), value: good };
    yield { key: null, value: good };
    yield { key: unknownKey, value: good };
    yield { key: txnKey('bad'), value: good.subarray(0, 11) };
    yield { key: txnKey('gone'), value: good };
    yield { key: txnKey('gone'), value: dead };
    yield { key: txnKey('fence'), value: fence };
    yield { key: txnKey('ok2'), value: good };
  }
  const { txns, skipped } = await replayTxnPartition(records());
  assert.deepEqual([...txns.keys()], ['ok', 'ok2']);
  assert.deepEqual(skipped.map((s) => s.index), [1, 2, 3, 6]);
  assert.match(skipped[1].reason, /unknown key version 3/);
  assert.match(skipped[3].reason, /PrepareEpochFence/);
});

test('what a reload forgets, as in Kafka: the last epoch (a KIP-360 retry across the move is fenced) and, from v0 records, the previous producer id', () => {
  for (const logValueVersion of [0, 1] as const) {
    const config = { ...CONFIG, logValueVersion };
    const r = rig(config);
    init(r, 'tx');
    assert.deepEqual(r.log.run(r.shard.initProducerId({ transactionalId: 'tx', transactionTimeoutMs: 1000, producerId: 1000n, producerEpoch: 0 })), { errorCode: 0, producerId: 1000n, producerEpoch: 1 });
    reload(r, 1, config);
    assert.equal(view(r, 'tx').previousProducerId, logValueVersion === 1 ? 1000n : -1n);
    assert.equal(expectAnswer(r.shard.initProducerId({ transactionalId: 'tx', transactionTimeoutMs: 1000, producerId: 1000n, producerEpoch: 0 })).errorCode, ErrorCode.PRODUCER_FENCED, `v${logValueVersion}`);
  }
});

test('a shard built on a loaded map serves the transactions in it; the load completes Prepare* ones with no partitions left at once', () => {
  const r = rig();
  const value = txnValue({ producerId: 9n, previousProducerId: -1n, nextProducerId: -1n, producerEpoch: 2, txnTimeoutMs: 1000, state: TxnState.PrepareCommit, partitions: [], lastUpdateTimestamp: 5, startTimestamp: 4, clientTransactionVersion: 0 }, 1);
  const loaded = TxnCoordinatorShard.load(0, 2, replayTxnRecords([{ key: txnKey('tx'), value }]).txns, CONFIG, r.clock, r.ids);
  assert.deepEqual(loaded.markers, []);
  assert.equal(loaded.writes.length, 1);
  loaded.writes[0].durable();
  assert.equal(loaded.shard.describe('tx')?.state, TxnState.CompleteCommit);
});
