// Transaction timeouts (Kafka's abortTimedOutTransactions) and transactional.id.expiration.ms,
// on a manual clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../../src/protocol/error-codes.js';
import { parseTxnKey, parseTxnValue } from '../../../../src/coordinator/txn/records.js';
import { TxnState } from '../../../../src/coordinator/txn/txn-state.js';
import { add, CONFIG, deliverAll, end, expectAnswer, expectWrite, init, rig, view } from './harness.js';

test('a transaction open longer than its timeout is fenced and aborted; not a millisecond earlier', () => {
  const r = rig();
  const p = init(r, 'tx', 5_000);
  add(r, 'tx', p, [['a', 0]]);
  const started = view(r, 'tx').txnStartTimestamp;
  r.clock.advance(5_000);
  assert.deepEqual(r.shard.abortTimedOutTransactions(), [], 'at exactly start + timeout it is not yet expired');
  r.clock.advance(1);
  const writes = r.shard.abortTimedOutTransactions();
  assert.equal(writes.length, 1);
  const value = parseTxnValue(writes[0].records[0].value as Buffer);
  assert.equal(value.state, TxnState.PrepareAbort);
  assert.equal(value.producerEpoch, 1, 'the epoch is bumped: the producer is fenced');
  assert.equal(value.startTimestamp, started);
  const out = r.log.commit(writes[0]);
  assert.equal(out.answer, null);
  assert.deepEqual(out.markers, { transactionalId: 'tx', producerId: 1000n, producerEpoch: 1, coordinatorEpoch: 0, committed: false, partitions: [{ topic: 'a', partition: 0 }] });
  assert.deepEqual(r.shard.abortTimedOutTransactions(), [], 'not twice');
  assert.equal(end(r, 'tx', p, true), ErrorCode.PRODUCER_FENCED, 'the producer learns it was fenced');
  assert.equal(add(r, 'tx', p, [['a', 1]]), ErrorCode.PRODUCER_FENCED);
  deliverAll(r, r.log.takeMarkers());
  assert.equal(view(r, 'tx').state, TxnState.CompleteAbort);
  assert.equal(expectAnswer(r.shard.initProducerId({ transactionalId: 'tx', transactionTimeoutMs: 5_000, ...p })).errorCode, ErrorCode.PRODUCER_FENCED, 'its KIP-360 bump is fenced too, as in Kafka');
  assert.deepEqual(init(r, 'tx'), { producerId: 1000n, producerEpoch: 2 });
});

test('the sweep skips transactions not Ongoing, within their timeout, or with a write in flight; each has its own timeout', () => {
  const r = rig();
  const short = init(r, 'short', 1_000);
  const long = init(r, 'long', 50_000);
  const busy = init(r, 'busy', 1_000);
  init(r, 'idle', 1_000);
  add(r, 'short', short, [['a', 0]]);
  add(r, 'long', long, [['a', 0]]);
  add(r, 'busy', busy, [['a', 0]]);
  const inFlight = expectWrite(r.shard.addPartitions({ transactionalId: 'busy', ...busy, partitions: [{ topic: 'b', partition: 0 }] }));
  r.clock.advance(2_000);
  const writes = r.shard.abortTimedOutTransactions();
  assert.deepEqual(writes.map((w) => parseTxnKey(w.records[0].key)), [{ kind: 'txn', transactionalId: 'short' }]);
  r.log.commit(writes[0]);
  r.log.commit(inFlight);
  assert.deepEqual(r.shard.abortTimedOutTransactions().map((w) => parseTxnKey(w.records[0].key)), [{ kind: 'txn', transactionalId: 'busy' }], 'once its write is done');
  assert.equal(view(r, 'long').state, TxnState.Ongoing);
  assert.equal(view(r, 'idle').state, TxnState.Empty);
});

test('a timeout abort whose write fails is tried again by the next sweep, at the same bumped epoch', () => {
  const r = rig();
  const p = init(r, 'tx', 1_000);
  add(r, 'tx', p, [['a', 0]]);
  r.clock.advance(1_001);
  const [first] = r.shard.abortTimedOutTransactions();
  first.failed(ErrorCode.NOT_ENOUGH_REPLICAS);
  assert.equal(view(r, 'tx').state, TxnState.Ongoing);
  const [second] = r.shard.abortTimedOutTransactions();
  assert.equal(parseTxnValue(second.records[0].value as Buffer).producerEpoch, 1);
  r.log.commit(second);
  assert.equal(r.log.takeMarkers().producerEpoch, 1);
});

test('transactional.id.expiration.ms: an idle id with nothing open gets a tombstone and is forgotten once it is durable', () => {
  const r = rig();
  const p = init(r, 'idle');
  const committed = init(r, 'committed');
  const open = init(r, 'open');
  add(r, 'committed', committed, [['a', 0]]);
  end(r, 'committed', committed, true);
  deliverAll(r, r.log.takeMarkers());
  add(r, 'open', open, [['a', 0]]);
  r.clock.advance(CONFIG.transactionalIdExpirationMs - 1);
  assert.deepEqual(r.shard.expireTransactionalIds(), [], 'not before the expiration time');
  r.clock.advance(1);
  const writes = r.shard.expireTransactionalIds();
  assert.equal(writes.length, 1);
  assert.deepEqual(writes[0].records.map((rec) => [parseTxnKey(rec.key), rec.value]), [[{ kind: 'txn', transactionalId: 'idle' }, null], [{ kind: 'txn', transactionalId: 'committed' }, null]]);
  assert.equal(view(r, 'idle').pendingState, TxnState.Dead);
  assert.equal(expectAnswer(r.shard.initProducerId({ transactionalId: 'idle', transactionTimeoutMs: 1000, producerId: -1n, producerEpoch: -1 })).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS, 'while the tombstone is written');
  assert.deepEqual(r.shard.list().map((v) => v.transactionalId), ['open'], 'ListTransactions hides ids being expired');
  r.log.commit(writes[0]);
  assert.equal(r.shard.describe('idle'), null);
  assert.equal(r.shard.describe('committed'), null);
  assert.equal(view(r, 'open').state, TxnState.Ongoing, 'an open transaction never expires (it times out instead)');
  assert.equal(add(r, 'idle', p, [['a', 0]]), ErrorCode.INVALID_PRODUCER_ID_MAPPING, 'the old producer is unknown now');
  assert.deepEqual(init(r, 'idle'), { producerId: 1003n, producerEpoch: 0 }, 'a new producer id');
});

test('a failed tombstone write keeps the id; expiry writes at most maxPerWrite tombstones each', () => {
  const r = rig();
  for (const id of ['a', 'b', 'c', 'd', 'e']) init(r, id);
  r.clock.advance(CONFIG.transactionalIdExpirationMs);
  const writes = r.shard.expireTransactionalIds(2);
  assert.deepEqual(writes.map((w) => w.records.length), [2, 2, 1]);
  writes[0].failed(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  r.log.commit(writes[1]);
  r.log.commit(writes[2]);
  assert.deepEqual(r.shard.list().map((v) => [v.transactionalId, v.pendingState]), [['a', null], ['b', null]]);
  assert.equal(r.shard.expireTransactionalIds().length, 1, 'tried again next time');
});

test('an update resets the expiration clock', () => {
  const r = rig();
  const p = init(r, 'tx');
  r.clock.advance(CONFIG.transactionalIdExpirationMs - 10);
  add(r, 'tx', p, [['a', 0]]);
  end(r, 'tx', p, false);
  deliverAll(r, r.log.takeMarkers());
  r.clock.advance(20);
  assert.deepEqual(r.shard.expireTransactionalIds(), []);
});
