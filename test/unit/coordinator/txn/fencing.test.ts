// Zombie fencing: a second producer initialising the same transactional id aborts the first one's
// open transaction at a bumped epoch, and the first producer's requests are refused as Kafka
// refuses them for each request version.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../../src/protocol/error-codes.js';
import { TxnCoordinatorShard } from '../../../../src/coordinator/txn/coordinator.js';
import { TxnMetadata } from '../../../../src/coordinator/txn/metadata.js';
import { PartitionSet } from '../../../../src/coordinator/txn/partition-set.js';
import { parseTxnValue } from '../../../../src/coordinator/txn/records.js';
import { TxnState } from '../../../../src/coordinator/txn/txn-state.js';
import { errorForVersion } from '../../../../src/coordinator/txn/versions.js';
import { add, CONFIG, deliverAll, expectAnswer, expectWrite, init, rig, view } from './harness.js';

const initReq = (id: string) => ({ transactionalId: id, transactionTimeoutMs: 30_000, producerId: -1n, producerEpoch: -1 });

test('two producers, one transactional id: the older one\'s transaction is aborted and it is fenced out', () => {
  const r = rig();
  const zombie = init(r, 'app');
  assert.equal(add(r, 'app', zombie, [['out', 0], ['out', 1]]), ErrorCode.NONE);

  // The new producer's InitProducerId aborts the open transaction at epoch 1, answering CONCURRENT_TRANSACTIONS.
  const fence = expectWrite(r.shard.initProducerId(initReq('app')));
  const fenceValue = parseTxnValue(fence.records[0].value as Buffer);
  assert.equal(fenceValue.state, TxnState.PrepareAbort);
  assert.equal(fenceValue.producerEpoch, 1, 'the abort is written at the bumped epoch');
  assert.deepEqual(fenceValue.partitions, [{ topic: 'out', partitions: [0, 1] }]);
  const fenced = r.log.commit(fence);
  assert.deepEqual(fenced.answer, { errorCode: ErrorCode.CONCURRENT_TRANSACTIONS, producerId: -1n, producerEpoch: -1 });
  assert.deepEqual(fenced.markers, { transactionalId: 'app', producerId: 1000n, producerEpoch: 1, coordinatorEpoch: 0, committed: false, partitions: [{ topic: 'out', partition: 0 }, { topic: 'out', partition: 1 }] });

  // While the abort completes, the new producer keeps getting CONCURRENT_TRANSACTIONS, the zombie is fenced.
  assert.equal(expectAnswer(r.shard.initProducerId(initReq('app'))).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
  const zombieAdd = expectAnswer(r.shard.addPartitions({ transactionalId: 'app', ...zombie, partitions: [{ topic: 'out', partition: 2 }] })).errorCode;
  assert.equal(zombieAdd, ErrorCode.PRODUCER_FENCED);
  const zombieCommit = expectAnswer(r.shard.endTxn({ transactionalId: 'app', ...zombie, committed: true })).errorCode;
  assert.equal(zombieCommit, ErrorCode.PRODUCER_FENCED);
  const zombieOffsets = expectAnswer(r.shard.addOffsets({ transactionalId: 'app', ...zombie, groupId: 'g' })).errorCode;
  assert.equal(zombieOffsets, ErrorCode.PRODUCER_FENCED);
  const verify = r.shard.verifyPartitions({ transactionalId: 'app', ...zombie, partitions: [{ topic: 'out', partition: 0 }] });
  assert.deepEqual(verify, [{ topic: 'out', partition: 0, errorCode: ErrorCode.PRODUCER_FENCED }], 'a partition leader verifying the zombie\'s produce');

  // Per request version, as KafkaApis answers: old versions cannot name PRODUCER_FENCED.
  for (const [api, oldVersion, newVersion] of [['AddPartitionsToTxn', 1, 2], ['AddOffsetsToTxn', 1, 2], ['EndTxn', 1, 2], ['InitProducerId', 3, 4]] as const) {
    assert.equal(errorForVersion(api, 0, ErrorCode.PRODUCER_FENCED), ErrorCode.INVALID_PRODUCER_EPOCH, `${api} v0`);
    assert.equal(errorForVersion(api, oldVersion, ErrorCode.PRODUCER_FENCED), ErrorCode.INVALID_PRODUCER_EPOCH, `${api} v${oldVersion}`);
    assert.equal(errorForVersion(api, newVersion, ErrorCode.PRODUCER_FENCED), ErrorCode.PRODUCER_FENCED, `${api} v${newVersion}`);
    assert.equal(errorForVersion(api, 0, ErrorCode.CONCURRENT_TRANSACTIONS), ErrorCode.CONCURRENT_TRANSACTIONS, 'other codes pass through');
  }

  // Markers done: CompleteAbort; the new producer's retry bumps the epoch once more.
  deliverAll(r, r.log.takeMarkers());
  assert.equal(view(r, 'app').state, TxnState.CompleteAbort);
  const fresh = init(r, 'app');
  assert.deepEqual(fresh, { producerId: 1000n, producerEpoch: 2 });
  assert.equal(expectAnswer(r.shard.initProducerId({ ...initReq('app'), producerId: 1000n, producerEpoch: 0 })).errorCode, ErrorCode.PRODUCER_FENCED, 'its KIP-360 InitProducerId too');
  assert.equal(add(r, 'app', fresh, [['out', 0]]), ErrorCode.NONE);
  assert.equal(add(r, 'app', zombie, [['out', 0]]), ErrorCode.PRODUCER_FENCED, 'still fenced in the next transaction');
  assert.deepEqual(r.log.records.map((rec) => parseTxnValue(rec.value as Buffer).state), [TxnState.Empty, TxnState.Ongoing, TxnState.PrepareAbort, TxnState.CompleteAbort, TxnState.Empty, TxnState.Ongoing]);
});

test('as in Kafka, a KIP-360 InitProducerId naming the current producer id while a transaction is open fences it, whatever epoch it names', () => {
  const r = rig();
  const p = init(r, 'app');
  add(r, 'app', p, [['out', 0]]);
  assert.equal(r.log.run(r.shard.initProducerId({ ...initReq('app'), producerId: p.producerId, producerEpoch: 7 })).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
  assert.equal(r.log.takeMarkers().producerEpoch, 1);
});

test('a fence whose abort could not be written does not bump again: the next fence reuses the epoch never handed out', () => {
  const r = rig();
  const p = init(r, 'app');
  add(r, 'app', p, [['out', 0]]);
  const first = expectWrite(r.shard.initProducerId(initReq('app')));
  assert.equal(first.failed(ErrorCode.NOT_ENOUGH_REPLICAS).answer.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  assert.equal(view(r, 'app').state, TxnState.Ongoing);
  assert.equal(view(r, 'app').producerEpoch, 1, 'the bump stays in memory (Kafka), never given to a client');
  assert.equal(add(r, 'app', p, [['out', 1]]), ErrorCode.PRODUCER_FENCED, 'so the old producer is already fenced');
  const second = expectWrite(r.shard.initProducerId(initReq('app')));
  assert.equal(parseTxnValue(second.records[0].value as Buffer).producerEpoch, 1, 'not 2');
  assert.equal(r.log.commit(second).answer.errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
  deliverAll(r, r.log.takeMarkers());
  assert.deepEqual(init(r, 'app'), { producerId: 1000n, producerEpoch: 2 });
});

test('fencing at the last epoch goes to 32767; the next InitProducerId rotates the producer id', () => {
  const r = rig();
  const ongoing = new TxnMetadata('app', 500n, -1n, -1n, 32766, -1, 30_000, TxnState.Ongoing, new PartitionSet([{ topic: 'out', partition: 0 }]), r.clock.now(), r.clock.now(), 0);
  r.shard = new TxnCoordinatorShard(0, 0, CONFIG, r.clock, r.ids, new Map([['app', ongoing]]));
  assert.equal(r.log.run(r.shard.initProducerId(initReq('app'))).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
  const m = r.log.takeMarkers();
  assert.equal(m.producerEpoch, 32767);
  deliverAll(r, m);
  assert.deepEqual(init(r, 'app'), { producerId: 1000n, producerEpoch: 0 });
});

test('a failed fence at the last epoch can be tried again: the fence reuses 32767 instead of refusing', () => {
  const r = rig();
  const ongoing = new TxnMetadata('app', 500n, -1n, -1n, 32766, -1, 30_000, TxnState.Ongoing, new PartitionSet([{ topic: 'out', partition: 0 }]), r.clock.now(), r.clock.now(), 0);
  r.shard = new TxnCoordinatorShard(0, 0, CONFIG, r.clock, r.ids, new Map([['app', ongoing]]));
  expectWrite(r.shard.initProducerId(initReq('app'))).failed(ErrorCode.NOT_ENOUGH_REPLICAS);
  assert.equal(view(r, 'app').producerEpoch, 32767);
  r.clock.advance(30_001);
  const [abort] = r.shard.abortTimedOutTransactions();
  assert.equal(parseTxnValue(abort.records[0].value as Buffer).producerEpoch, 32767);
  r.log.commit(abort);
  deliverAll(r, r.log.takeMarkers());
  assert.deepEqual(init(r, 'app'), { producerId: 1000n, producerEpoch: 0 });
});
