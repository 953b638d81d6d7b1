/**
 * Batches a coordinator writes with a producer id and no sequence (-1, Kafka's NO_SEQUENCE: the
 * group coordinator's TxnOffsetCommit batches on __consumer_offsets): only the epoch is checked,
 * none is taken for a retry of another, and the producer they name survives replay and snapshots.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NO_SEQUENCE, ProducerStates } from '../../../src/partition/producer-state.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';

const PID = 99n;

function append(states: ProducerStates, epoch: number, count: number, offset: number): string {
  const check = states.check(PID, epoch, NO_SEQUENCE, count, 1_000);
  if (check.kind === 'append') {
    const at = Promise.resolve(offset);
    check.record(at);
    states.openTransaction(PID, offset, at);
  }
  return check.kind === 'error' ? `error ${check.errorCode}` : check.kind;
}

test('batches without a sequence are checked by epoch only and never taken for duplicates', async () => {
  const states = new ProducerStates();
  assert.equal(append(states, 0, 2, 0), 'append');
  assert.equal(append(states, 0, 2, 2), 'append', 'the same record count again is not a retry');
  assert.equal(append(states, 0, 1, 4), 'append');
  assert.equal(append(states, 2, 1, 5), 'append', 'a newer epoch');
  assert.equal(append(states, 1, 1, 6), `error ${ErrorCode.INVALID_PRODUCER_EPOCH}`);
  const [entry] = await states.entriesBelow(6);
  assert.deepEqual([entry.epoch, entry.lastSequence, entry.lastOffset, entry.currentTxnFirstOffset], [2, NO_SEQUENCE, 5, 0]);
});

test('a producer known by unsequenced batches keeps its open transaction through replay and two snapshots', async () => {
  const replayed = new ProducerStates();
  replayed.replay({ producerId: PID, epoch: 0, baseSequence: NO_SEQUENCE, baseOffset: 3, lastOffset: 5, maxTimestamp: 1_000, isTransactional: true });
  let entries = await replayed.entriesBelow(6);
  assert.deepEqual(entries.map((e) => [e.lastSequence, e.lastOffset, e.offsetDelta, e.currentTxnFirstOffset]), [[NO_SEQUENCE, 5, 2, 3]]);
  for (let round = 1; round <= 2; round++) {
    const loaded = new ProducerStates();
    loaded.load(entries, 2_000, 6);
    assert.equal(loaded.firstUnstableOffset, 3, `round ${round}: the transaction is open`);
    entries = await loaded.entriesBelow(6);
    assert.equal(entries.length, 1, `round ${round}: the next snapshot still has the producer`);
  }
});

test('a producer known only by markers stays in every later snapshot, so its epochs fence after any number of restarts', async () => {
  const replayed = new ProducerStates();
  replayed.replayMarker(PID, 4, 7, 10, true, 1_000);
  let entries = await replayed.entriesBelow(11);
  assert.deepEqual(entries.map((e) => [e.epoch, e.coordinatorEpoch, e.lastSequence, e.lastOffset]), [[4, 7, NO_SEQUENCE, -1]]);
  for (let round = 1; round <= 3; round++) {
    const loaded = new ProducerStates();
    loaded.load(entries, 2_000, 11 + round);
    const old = loaded.checkMarker(PID, 3, 7, 2_000);
    assert.equal(old.kind === 'error' ? old.errorCode : 0, ErrorCode.INVALID_PRODUCER_EPOCH, `round ${round}: an older producer epoch is fenced`);
    const coordinator = loaded.checkMarker(PID, 4, 6, 2_000);
    assert.equal(coordinator.kind === 'error' ? coordinator.errorCode : 0, ErrorCode.TRANSACTION_COORDINATOR_FENCED, `round ${round}: an older coordinator epoch is fenced`);
    entries = await loaded.entriesBelow(12 + round);
    assert.equal(entries.length, 1, `round ${round}: the next snapshot keeps the producer`);
  }
});
