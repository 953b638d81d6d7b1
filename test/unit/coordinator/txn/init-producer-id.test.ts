// InitProducerId for transactional ids: allocation, epoch bumps, KIP-360 retries, exhaustion,
// refusals and failed writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../../src/protocol/error-codes.js';
import { TxnCoordinatorShard } from '../../../../src/coordinator/txn/coordinator.js';
import { parseTxnKey, parseTxnValue, partitionForTransactionalId, txnKey, txnValue } from '../../../../src/coordinator/txn/records.js';
import { replayTxnRecords } from '../../../../src/coordinator/txn/replay.js';
import { TxnState } from '../../../../src/coordinator/txn/txn-state.js';
import { errorForVersion } from '../../../../src/coordinator/txn/versions.js';
import { CONFIG, expectAnswer, expectWrite, init, rig, view, type Rig } from './harness.js';

const initReq = (id: string, producerId = -1n, producerEpoch = -1, transactionTimeoutMs = 30_000) => ({ transactionalId: id, transactionTimeoutMs, producerId, producerEpoch });

test('a new id gets a producer id from the allocator at epoch 0, answered once its Empty record is durable', () => {
  const r = rig();
  const write = expectWrite(r.shard.initProducerId(initReq('a', -1n, -1, 20_000)));
  assert.equal(view(r, 'a').pendingState, TxnState.Empty, 'pending while the write is in flight');
  assert.equal(view(r, 'a').producerEpoch, -1, 'no epoch until the write is durable');
  assert.equal(write.partition, 0);
  assert.equal(write.records.length, 1);
  assert.deepEqual(parseTxnKey(write.records[0].key), { kind: 'txn', transactionalId: 'a' });
  const value = parseTxnValue(write.records[0].value as Buffer);
  assert.deepEqual(value, {
    producerId: 1000n,
    previousProducerId: 1000n,
    nextProducerId: -1n,
    producerEpoch: 0,
    txnTimeoutMs: 20_000,
    state: TxnState.Empty,
    partitions: [],
    lastUpdateTimestamp: r.clock.now(),
    startTimestamp: -1,
    clientTransactionVersion: 0,
  });
  assert.deepEqual(write.durable().answer, { errorCode: ErrorCode.NONE, producerId: 1000n, producerEpoch: 0 });
  assert.equal(view(r, 'a').pendingState, null);
  assert.equal(view(r, 'a').txnTimeoutMs, 20_000);
});

test('an existing id keeps its producer id and bumps its epoch each time; the newest timeout is kept', () => {
  const r = rig();
  assert.deepEqual(init(r, 'a'), { producerId: 1000n, producerEpoch: 0 });
  assert.deepEqual(init(r, 'a', 45_000), { producerId: 1000n, producerEpoch: 1 });
  assert.deepEqual(init(r, 'a'), { producerId: 1000n, producerEpoch: 2 });
  assert.deepEqual(init(r, 'b'), { producerId: 1001n, producerEpoch: 0 });
  assert.equal(view(r, 'a').txnTimeoutMs, 30_000);
  assert.equal(r.log.records.length, 4);
});

test('malformed requests: empty id, an id without an epoch or the reverse, a timeout out of (0, transaction.max.timeout.ms]', () => {
  const r = rig();
  const code = (req: ReturnType<typeof initReq>) => expectAnswer(r.shard.initProducerId(req));
  assert.deepEqual(code(initReq('')), { errorCode: ErrorCode.INVALID_REQUEST, producerId: -1n, producerEpoch: -1 });
  assert.equal(code(initReq('a', -1n, 3)).errorCode, ErrorCode.INVALID_REQUEST);
  assert.equal(code(initReq('a', 5n, -1)).errorCode, ErrorCode.INVALID_REQUEST);
  for (const t of [0, -1, CONFIG.transactionMaxTimeoutMs + 1]) assert.equal(code(initReq('a', -1n, -1, t)).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT, `timeout ${t}`);
  assert.equal(r.shard.describe('a'), null, 'nothing was created');
  assert.equal(r.log.run(r.shard.initProducerId(initReq('a', -1n, -1, CONFIG.transactionMaxTimeoutMs))).errorCode, ErrorCode.NONE, 'the maximum itself is allowed');
});

test('no producer id at hand: the allocator\'s error is the answer and nothing is kept', () => {
  const r = rig();
  r.ids.failWith = ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
  assert.equal(expectAnswer(r.shard.initProducerId(initReq('a'))).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  assert.equal(r.shard.describe('a'), null);
  r.ids.failWith = null;
  assert.deepEqual(init(r, 'a'), { producerId: 1000n, producerEpoch: 0 });
});

test('a failed write answers the coordinator error Kafka maps it to and changes nothing; a new id stays, epochless, as in Kafka', () => {
  const cases: [number, number][] = [
    [ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.NOT_COORDINATOR],
    [ErrorCode.KAFKA_STORAGE_ERROR, ErrorCode.NOT_COORDINATOR],
    [ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.COORDINATOR_NOT_AVAILABLE],
    [ErrorCode.REQUEST_TIMED_OUT, ErrorCode.COORDINATOR_NOT_AVAILABLE],
    [ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.UNKNOWN_SERVER_ERROR],
    [ErrorCode.INVALID_REQUIRED_ACKS, ErrorCode.INVALID_REQUIRED_ACKS],
  ];
  for (const [appendError, answer] of cases) {
    const r = rig();
    const first = expectWrite(r.shard.initProducerId(initReq('a')));
    assert.deepEqual(first.failed(appendError).answer, { errorCode: answer, producerId: -1n, producerEpoch: -1 }, `append error ${appendError}`);
    assert.equal(view(r, 'a').pendingState, null);
    assert.equal(view(r, 'a').producerEpoch, -1);
    assert.throws(() => first.durable(), /already reported/);
    assert.deepEqual(init(r, 'a'), { producerId: 1000n, producerEpoch: 0 }, 'the kept id is used, no second allocation');
    const bump = expectWrite(r.shard.initProducerId(initReq('a')));
    bump.failed(appendError);
    assert.equal(view(r, 'a').producerEpoch, 0, 'the failed bump left the epoch');
  }
});

test('ids of another partition, and every request once the shard is closed, answer NOT_COORDINATOR; a late outcome changes nothing', () => {
  const config = { ...CONFIG, transactionStatePartitions: 50 };
  const mine = partitionForTransactionalId('hello', 50);
  const other = ['a', 'b', 'c', 'd'].find((id) => partitionForTransactionalId(id, 50) !== mine) as string;
  const r: Rig = rig(config);
  r.shard = new TxnCoordinatorShard(mine, 3, config, r.clock, r.ids);
  assert.equal(expectAnswer(r.shard.initProducerId(initReq(other))).errorCode, ErrorCode.NOT_COORDINATOR);
  assert.equal(expectAnswer(r.shard.endTxn({ transactionalId: other, producerId: 1n, producerEpoch: 0, committed: true })).errorCode, ErrorCode.NOT_COORDINATOR);
  const inFlight = expectWrite(r.shard.initProducerId(initReq('hello')));
  assert.equal(inFlight.partition, mine);
  r.shard.close();
  assert.deepEqual(inFlight.durable().answer, { errorCode: ErrorCode.NOT_COORDINATOR, producerId: -1n, producerEpoch: -1 });
  assert.equal(expectAnswer(r.shard.initProducerId(initReq('hello'))).errorCode, ErrorCode.NOT_COORDINATOR);
  assert.deepEqual(r.shard.abortTimedOutTransactions(), []);
  assert.deepEqual(r.shard.expireTransactionalIds(), []);
});

test('KIP-360: the current epoch named bumps it; a retry of that bump (the answer was lost) gets the same epoch again; a stale one is fenced', () => {
  const r = rig();
  init(r, 'a');
  const bumped = r.log.run(r.shard.initProducerId(initReq('a', 1000n, 0)));
  assert.deepEqual(bumped, { errorCode: ErrorCode.NONE, producerId: 1000n, producerEpoch: 1 });
  assert.equal(view(r, 'a').lastProducerEpoch, 0);
  const retry = r.log.run(r.shard.initProducerId(initReq('a', 1000n, 0)));
  assert.deepEqual(retry, bumped, 'same epoch, not bumped again');
  const stale = expectAnswer(r.shard.initProducerId(initReq('a', 1000n, 5)));
  assert.deepEqual(stale, { errorCode: ErrorCode.PRODUCER_FENCED, producerId: -1n, producerEpoch: -1 });
  assert.equal(errorForVersion('InitProducerId', 3, stale.errorCode), ErrorCode.INVALID_PRODUCER_EPOCH, 'v0-3 clients get INVALID_PRODUCER_EPOCH');
  assert.equal(errorForVersion('InitProducerId', 4, stale.errorCode), ErrorCode.PRODUCER_FENCED);
  assert.equal(expectAnswer(r.shard.initProducerId(initReq('a', 999n, 1))).errorCode, ErrorCode.PRODUCER_FENCED, 'another producer id');
  init(r, 'a');
  assert.equal(view(r, 'a').lastProducerEpoch, -1, 'a new producer forgets the last epoch');
  assert.equal(expectAnswer(r.shard.initProducerId(initReq('a', 1000n, 0))).errorCode, ErrorCode.PRODUCER_FENCED, 'so the old retry is fenced now');
});

test('KIP-360 for an id the coordinator does not know: a new producer id at epoch 0', () => {
  const r = rig();
  assert.deepEqual(r.log.run(r.shard.initProducerId(initReq('a', 777n, 3))), { errorCode: ErrorCode.NONE, producerId: 1000n, producerEpoch: 0 });
});

/** A shard whose log says `a` is Empty at producer 500, epoch `epoch`. */
function atEpoch(epoch: number): Rig {
  const r = rig();
  const value = txnValue({ producerId: 500n, previousProducerId: -1n, nextProducerId: -1n, producerEpoch: epoch, txnTimeoutMs: 30_000, state: TxnState.Empty, partitions: [], lastUpdateTimestamp: 1, startTimestamp: -1, clientTransactionVersion: 0 }, 1);
  r.log.records.push({ key: txnKey('a'), value });
  r.shard = new TxnCoordinatorShard(0, 0, CONFIG, r.clock, r.ids, replayTxnRecords(r.log.records).txns);
  return r;
}

test('epoch exhaustion: past 32765 the next InitProducerId rotates to a new producer id at epoch 0', () => {
  const r = atEpoch(32765);
  assert.deepEqual(init(r, 'a'), { producerId: 500n, producerEpoch: 32766 });
  assert.deepEqual(init(r, 'a'), { producerId: 1000n, producerEpoch: 0 });
  assert.equal(view(r, 'a').previousProducerId, 500n);
  assert.equal(view(r, 'a').lastProducerEpoch, -1, 'no producer named its epoch: none kept');
});

test('epoch exhaustion with KIP-360: the rotation keeps the old epoch, so a retry naming the old producer gets the new id without another rotation', () => {
  const r = atEpoch(32766);
  const rotated = r.log.run(r.shard.initProducerId(initReq('a', 500n, 32766)));
  assert.deepEqual(rotated, { errorCode: ErrorCode.NONE, producerId: 1000n, producerEpoch: 0 });
  assert.equal(view(r, 'a').lastProducerEpoch, 32766);
  assert.deepEqual(r.log.run(r.shard.initProducerId(initReq('a', 500n, 32766))), rotated);
  assert.equal(r.ids.next, 1001n, 'one id allocated');
  assert.equal(expectAnswer(r.shard.initProducerId(initReq('a', 500n, 100))).errorCode, ErrorCode.PRODUCER_FENCED, 'the old id with an unexhausted epoch is a zombie');
});

test('an exhausted epoch named by a stale producer is fenced (Kafka fails the request instead)', () => {
  const r = atEpoch(32766);
  assert.equal(expectAnswer(r.shard.initProducerId(initReq('a', 500n, 32000))).errorCode, ErrorCode.PRODUCER_FENCED);
  assert.equal(view(r, 'a').producerEpoch, 32766);
});
