// EndTxn and the marker phase: Prepare*, markers per partition with Kafka's error handling, the
// completion record, retries of EndTxn after completion, and write failures along the way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../../src/protocol/error-codes.js';
import { parseTxnValue } from '../../../../src/coordinator/txn/records.js';
import { TxnState } from '../../../../src/coordinator/txn/txn-state.js';
import { add, end, expectAnswer, expectWrite, init, reload, rig, view, type Rig } from './harness.js';

function ongoing(r: Rig, partitions: [string, number][] = [['a', 0], ['a', 1], ['b', 0]]): { producerId: bigint; producerEpoch: number } {
  const p = init(r, 'tx');
  assert.equal(add(r, 'tx', p, partitions), ErrorCode.NONE);
  return p;
}

test('commit: PrepareCommit is written, the client is answered, COMMIT markers go to every partition, then CompleteCommit is written', () => {
  const r = rig();
  const p = ongoing(r);
  r.clock.advance(50);
  const write = expectWrite(r.shard.endTxn({ transactionalId: 'tx', ...p, committed: true }));
  const prepare = parseTxnValue(write.records[0].value as Buffer);
  assert.equal(prepare.state, TxnState.PrepareCommit);
  assert.deepEqual(prepare.partitions, [{ topic: 'a', partitions: [0, 1] }, { topic: 'b', partitions: [0] }]);
  assert.equal(prepare.lastUpdateTimestamp, r.clock.now());
  const out = r.log.commit(write);
  assert.deepEqual(out.answer, { errorCode: ErrorCode.NONE, producerId: 1000n, producerEpoch: 0 });
  assert.deepEqual(out.markers, { transactionalId: 'tx', producerId: 1000n, producerEpoch: 0, coordinatorEpoch: 0, committed: true, partitions: [{ topic: 'a', partition: 0 }, { topic: 'a', partition: 1 }, { topic: 'b', partition: 0 }] });
  const markers = r.log.takeMarkers();
  assert.equal(view(r, 'tx').state, TxnState.PrepareCommit);
  assert.equal(view(r, 'tx').pendingState, TxnState.CompleteCommit, 'pending until the markers are in');

  // Markers arrive per broker: one partition done, one retriable failure, one not reported yet.
  const first = r.shard.markersWritten(markers, [{ topic: 'a', partition: 0, errorCode: ErrorCode.NONE }, { topic: 'a', partition: 1, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER }]);
  assert.deepEqual(first, { retry: { ...markers, partitions: [{ topic: 'a', partition: 1 }] }, completion: null, unexpected: [], cancelled: false });
  assert.deepEqual(view(r, 'tx').partitions, [{ topic: 'a', partition: 1 }, { topic: 'b', partition: 0 }]);
  const again = r.shard.markersWritten(first.retry!, [{ topic: 'a', partition: 1, errorCode: ErrorCode.NONE }, { topic: 'a', partition: 0, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER }]);
  assert.equal(again.retry, null, 'a partition already done is not retried');
  assert.equal(again.completion, null);
  r.clock.advance(20);
  const last = r.shard.markersWritten(markers, [{ topic: 'b', partition: 0, errorCode: ErrorCode.NONE }]);
  assert.ok(last.completion);
  const complete = parseTxnValue(last.completion.records[0].value as Buffer);
  assert.equal(complete.state, TxnState.CompleteCommit);
  assert.deepEqual(complete.partitions, []);
  assert.equal(complete.lastUpdateTimestamp, r.clock.now() - 20, 'stamped when the markers started, as Kafka prepares it');
  assert.equal(complete.startTimestamp, prepare.startTimestamp);
  r.log.commit(last.completion);
  assert.equal(view(r, 'tx').state, TxnState.CompleteCommit);
  assert.equal(view(r, 'tx').pendingState, null);
  assert.equal(r.shard.markersWritten(markers, [{ topic: 'b', partition: 0, errorCode: ErrorCode.NONE }]).cancelled, true, 'late results of a finished round are stale');
});

test('retried EndTxn: the same outcome after completion answers NONE with the producer, the opposite INVALID_TXN_STATE; both refused while Prepare* runs', () => {
  for (const committed of [true, false]) {
    const r = rig();
    const p = ongoing(r);
    assert.equal(end(r, 'tx', p, committed), ErrorCode.NONE);
    const markers = r.log.takeMarkers();
    assert.equal(markers.committed, committed);
    assert.equal(expectAnswer(r.shard.endTxn({ transactionalId: 'tx', ...p, committed })).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
    assert.equal(expectAnswer(r.shard.endTxn({ transactionalId: 'tx', ...p, committed: !committed })).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS, 'the pending completion answers first, as in Kafka');
    const done = r.shard.markersWritten(markers, markers.partitions.map((tp) => ({ ...tp, errorCode: 0 })));
    r.log.commit(done.completion!);
    assert.equal(view(r, 'tx').state, committed ? TxnState.CompleteCommit : TxnState.CompleteAbort);
    assert.deepEqual(expectAnswer(r.shard.endTxn({ transactionalId: 'tx', ...p, committed })), { errorCode: ErrorCode.NONE, producerId: 1000n, producerEpoch: 0 });
    assert.deepEqual(expectAnswer(r.shard.endTxn({ transactionalId: 'tx', ...p, committed: !committed })), { errorCode: ErrorCode.INVALID_TXN_STATE, producerId: -1n, producerEpoch: -1 });
  }
});

test('EndTxn refusals: unknown id, another producer id, another epoch, no transaction open', () => {
  const r = rig();
  const p = init(r, 'tx');
  assert.equal(expectAnswer(r.shard.endTxn({ transactionalId: 'nobody', ...p, committed: true })).errorCode, ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  assert.equal(expectAnswer(r.shard.endTxn({ transactionalId: 'tx', producerId: 1n, producerEpoch: 0, committed: true })).errorCode, ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  assert.equal(expectAnswer(r.shard.endTxn({ transactionalId: 'tx', producerId: p.producerId, producerEpoch: 1, committed: true })).errorCode, ErrorCode.PRODUCER_FENCED, 'a newer epoch from a client is refused too');
  assert.equal(expectAnswer(r.shard.endTxn({ transactionalId: 'tx', ...p, committed: false })).errorCode, ErrorCode.INVALID_TXN_STATE, 'Empty');
  assert.equal(expectAnswer(r.shard.endTxn({ transactionalId: '', ...p, committed: false })).errorCode, ErrorCode.INVALID_REQUEST);
});

test('a Prepare* write that fails answers the mapped error and leaves the transaction Ongoing to be ended again', () => {
  const r = rig();
  const p = ongoing(r);
  const write = expectWrite(r.shard.endTxn({ transactionalId: 'tx', ...p, committed: true }));
  assert.equal(write.failed(ErrorCode.NOT_LEADER_OR_FOLLOWER).answer.errorCode, ErrorCode.NOT_COORDINATOR);
  assert.equal(view(r, 'tx').state, TxnState.Ongoing);
  assert.equal(view(r, 'tx').pendingState, null);
  assert.equal(end(r, 'tx', p, false), ErrorCode.NONE, 'the client may still abort');
  assert.equal(r.log.takeMarkers().committed, false);
});

test('marker results: INVALID_PRODUCER_EPOCH or TRANSACTION_COORDINATOR_FENCED stop the round; a deleted partition or UNSUPPORTED_* needs no marker; unexpected codes are reported and retried', () => {
  for (const fencedCode of [ErrorCode.INVALID_PRODUCER_EPOCH, ErrorCode.TRANSACTION_COORDINATOR_FENCED]) {
    const r = rig();
    const p = ongoing(r);
    end(r, 'tx', p, true);
    const m = r.log.takeMarkers();
    assert.deepEqual(r.shard.markersWritten(m, [{ topic: 'a', partition: 0, errorCode: fencedCode }]), { retry: null, completion: null, unexpected: [], cancelled: true });
    assert.equal(r.shard.markersWritten(m, m.partitions.map((tp) => ({ ...tp, errorCode: 0 }))).cancelled, true, 'nothing more is taken for that round');
    assert.equal(view(r, 'tx').state, TxnState.PrepareCommit, 'left for the next load of the partition, as Kafka does');
    assert.equal(expectAnswer(r.shard.endTxn({ transactionalId: 'tx', ...p, committed: true })).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
  }
  const r = rig();
  const p = ongoing(r);
  end(r, 'tx', p, false);
  const m = r.log.takeMarkers();
  const progress = r.shard.markersWritten(m, [
    { topic: 'a', partition: 0, deleted: true },
    { topic: 'a', partition: 1, errorCode: ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT },
    { topic: 'b', partition: 0, errorCode: ErrorCode.CORRUPT_MESSAGE },
  ]);
  assert.deepEqual(progress.unexpected, [{ topic: 'b', partition: 0, errorCode: ErrorCode.CORRUPT_MESSAGE }]);
  assert.deepEqual(progress.retry?.partitions, [{ topic: 'b', partition: 0 }]);
  assert.equal(progress.completion, null);
  const done = r.shard.markersWritten(progress.retry!, [{ topic: 'b', partition: 0, errorCode: ErrorCode.UNSUPPORTED_VERSION }]);
  assert.ok(done.completion);
  r.log.commit(done.completion);
  assert.equal(view(r, 'tx').state, TxnState.CompleteAbort);
});

test('marker work from another round, epoch or a closed shard is stale', () => {
  const r = rig();
  const p = ongoing(r);
  end(r, 'tx', p, true);
  const m = r.log.takeMarkers();
  const all = m.partitions.map((tp) => ({ ...tp, errorCode: 0 }));
  assert.equal(r.shard.markersWritten({ ...m, producerEpoch: 5 }, all).cancelled, true);
  assert.equal(r.shard.markersWritten({ ...m, coordinatorEpoch: 9 }, all).cancelled, true);
  assert.equal(r.shard.markersWritten({ ...m, committed: false }, all).cancelled, true);
  assert.equal(r.shard.markersWritten({ ...m, transactionalId: 'other' }, all).cancelled, true);
  assert.deepEqual(view(r, 'tx').partitions.length, 3, 'stale reports removed nothing');
  r.shard.close();
  assert.equal(r.shard.markersWritten(m, all).cancelled, true);
});

test('the completion write: COORDINATOR_NOT_AVAILABLE is retried with the same record; NOT_COORDINATOR leaves Prepare* for the next load', () => {
  const r = rig();
  const p = ongoing(r, [['a', 0]]);
  end(r, 'tx', p, true);
  const m = r.log.takeMarkers();
  const completion = r.shard.markersWritten(m, [{ topic: 'a', partition: 0, errorCode: 0 }]).completion!;
  const retried = completion.failed(ErrorCode.NOT_ENOUGH_REPLICAS);
  assert.equal(retried.retry, true);
  assert.ok(retried.next);
  assert.deepEqual(retried.next.records, completion.records);
  assert.equal(view(r, 'tx').pendingState, TxnState.CompleteCommit, 'still pending while it is retried');
  const lost = retried.next.failed(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.equal(lost.retry, false);
  assert.equal(lost.next, null);
  assert.equal(view(r, 'tx').state, TxnState.PrepareCommit);
  assert.equal(view(r, 'tx').pendingState, null);
});

test('partitions of deleted topics leave the transaction; a reloaded coordinator resends what the log still lists', () => {
  const r = rig();
  const p = ongoing(r, [['a', 0]]);
  end(r, 'tx', p, false);
  const m = r.log.takeMarkers();
  // The completion is lost; the reloaded coordinator resends the abort marker and the partition is reported deleted.
  r.shard.markersWritten(m, [{ topic: 'a', partition: 0, deleted: true }]).completion!.failed(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  const loaded = reload(r, 1);
  assert.equal(loaded.markers.length, 1);
  const done = r.shard.markersWritten(loaded.markers[0], [{ topic: 'a', partition: 0, deleted: true }]);
  r.log.commit(done.completion!);
  assert.equal(view(r, 'tx').state, TxnState.CompleteAbort);
});
