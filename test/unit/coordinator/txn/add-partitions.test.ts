// AddPartitionsToTxn (v0-3 client form, v4+ batched entries and verifyOnly) and AddOffsetsToTxn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../../src/protocol/error-codes.js';
import { CONSUMER_OFFSETS_TOPIC } from '../../../../src/coordinator/txn/coordinator.js';
import { partitionForGroup } from '../../../../src/coordinator/group/records.js';
import { parseTxnValue } from '../../../../src/coordinator/txn/records.js';
import { TxnState } from '../../../../src/coordinator/txn/txn-state.js';
import { errorForVersion, topicResults } from '../../../../src/coordinator/txn/versions.js';
import { add, CONFIG, expectAnswer, expectWrite, init, rig, view } from './harness.js';

const tps = (...list: [string, number][]) => list.map(([topic, partition]) => ({ topic, partition }));

test('the first partitions start the transaction (Ongoing, start time now); more are added; ones already in need no write', () => {
  const r = rig();
  const p = init(r, 'tx');
  r.clock.advance(100);
  const startedAt = r.clock.now();
  const write = expectWrite(r.shard.addPartitions({ transactionalId: 'tx', ...p, partitions: tps(['a', 1], ['a', 0]) }));
  const value = parseTxnValue(write.records[0].value as Buffer);
  assert.equal(value.state, TxnState.Ongoing);
  assert.deepEqual(value.partitions, [{ topic: 'a', partitions: [1, 0] }]);
  assert.equal(value.startTimestamp, startedAt);
  assert.equal(view(r, 'tx').state, TxnState.Empty, 'not Ongoing before the write is durable');
  assert.equal(expectAnswer(r.shard.addPartitions({ transactionalId: 'tx', ...p, partitions: tps(['b', 0]) })).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS, 'one write at a time per id');
  assert.deepEqual(r.log.commit(write).answer, { errorCode: ErrorCode.NONE });
  r.clock.advance(100);
  assert.equal(add(r, 'tx', p, [['b', 0], ['a', 0]]), ErrorCode.NONE);
  assert.deepEqual(parseTxnValue(r.log.records[2].value as Buffer).partitions, [{ topic: 'a', partitions: [1, 0] }, { topic: 'b', partitions: [0] }]);
  assert.equal(view(r, 'tx').txnStartTimestamp, startedAt, 'the start time stays');
  const records = r.log.records.length;
  assert.deepEqual(expectAnswer(r.shard.addPartitions({ transactionalId: 'tx', ...p, partitions: tps(['a', 0], ['b', 0]) })), { errorCode: ErrorCode.NONE });
  assert.equal(r.log.records.length, records, 'already in: answered without a write');
  assert.deepEqual(expectAnswer(r.shard.addPartitions({ transactionalId: 'tx', ...p, partitions: [] })), { errorCode: ErrorCode.NONE });
});

test('an empty partition list opens no transaction', () => {
  const r = rig();
  const p = init(r, 'tx');
  assert.deepEqual(expectAnswer(r.shard.addPartitions({ transactionalId: 'tx', ...p, partitions: [] })), { errorCode: ErrorCode.NONE });
  assert.equal(view(r, 'tx').state, TxnState.Empty);
});

test('refusals: empty id, unknown id, another producer id, another epoch (per version), a failed write', () => {
  const r = rig();
  const p = init(r, 'tx');
  const code = (req: { transactionalId: string; producerId: bigint; producerEpoch: number }) => expectAnswer(r.shard.addPartitions({ ...req, partitions: tps(['a', 0]) })).errorCode;
  assert.equal(code({ transactionalId: '', ...p }), ErrorCode.INVALID_REQUEST);
  assert.equal(code({ transactionalId: 'nobody', ...p }), ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  assert.equal(code({ transactionalId: 'tx', producerId: 7n, producerEpoch: 0 }), ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  const fenced = code({ transactionalId: 'tx', producerId: p.producerId, producerEpoch: 3 });
  assert.equal(fenced, ErrorCode.PRODUCER_FENCED);
  assert.equal(errorForVersion('AddPartitionsToTxn', 1, fenced), ErrorCode.INVALID_PRODUCER_EPOCH);
  assert.equal(errorForVersion('AddPartitionsToTxn', 3, fenced), ErrorCode.PRODUCER_FENCED);
  const write = expectWrite(r.shard.addPartitions({ transactionalId: 'tx', ...p, partitions: tps(['a', 0]) }));
  assert.deepEqual(write.failed(ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND).answer, { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE });
  assert.equal(view(r, 'tx').state, TxnState.Empty);
  assert.deepEqual(view(r, 'tx').partitions, []);
});

test('v4+ verifyOnly: per partition NONE if in the transaction, TRANSACTION_ABORTABLE if not; one code for all on a producer mismatch; nothing changes', () => {
  const r = rig();
  const p = init(r, 'tx');
  add(r, 'tx', p, [['a', 0], ['b', 2]]);
  const records = r.log.records.length;
  const verified = r.shard.verifyPartitions({ transactionalId: 'tx', ...p, partitions: tps(['a', 0], ['a', 1], ['b', 2]) });
  assert.deepEqual(verified, [
    { topic: 'a', partition: 0, errorCode: ErrorCode.NONE },
    { topic: 'a', partition: 1, errorCode: ErrorCode.TRANSACTION_ABORTABLE },
    { topic: 'b', partition: 2, errorCode: ErrorCode.NONE },
  ]);
  assert.deepEqual(topicResults(verified), [
    { name: 'a', resultsByPartition: [{ partitionIndex: 0, partitionErrorCode: 0 }, { partitionIndex: 1, partitionErrorCode: ErrorCode.TRANSACTION_ABORTABLE }] },
    { name: 'b', resultsByPartition: [{ partitionIndex: 2, partitionErrorCode: 0 }] },
  ]);
  const all = (req: { transactionalId: string; producerId: bigint; producerEpoch: number }) => r.shard.verifyPartitions({ ...req, partitions: tps(['a', 0], ['b', 2]) }).map((e) => e.errorCode);
  assert.deepEqual(all({ transactionalId: 'nobody', ...p }), [ErrorCode.INVALID_PRODUCER_ID_MAPPING, ErrorCode.INVALID_PRODUCER_ID_MAPPING]);
  assert.deepEqual(all({ transactionalId: 'tx', producerId: 9n, producerEpoch: 0 }), [ErrorCode.INVALID_PRODUCER_ID_MAPPING, ErrorCode.INVALID_PRODUCER_ID_MAPPING]);
  assert.deepEqual(all({ transactionalId: 'tx', producerId: p.producerId, producerEpoch: 4 }), [ErrorCode.PRODUCER_FENCED, ErrorCode.PRODUCER_FENCED]);
  assert.deepEqual(all({ transactionalId: '', ...p }), [ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST]);
  assert.equal(r.log.records.length, records);
  assert.equal(view(r, 'tx').partitions.length, 2);
});

test('v4+ batched non-verify entries: each transaction\'s single code spread over its partitions, answered independently', () => {
  const r = rig();
  const a = init(r, 'ta');
  const b = init(r, 'tb');
  const steps = [
    r.shard.addPartitions({ transactionalId: 'ta', ...a, partitions: tps(['x', 0], ['y', 1]) }),
    r.shard.addPartitions({ transactionalId: 'tb', producerId: b.producerId, producerEpoch: b.producerEpoch + 1, partitions: tps(['x', 0]) }),
  ];
  const codes = steps.map((s) => r.log.run(s).errorCode);
  assert.deepEqual(codes, [ErrorCode.NONE, ErrorCode.PRODUCER_FENCED]);
  const results = [
    { transactionalId: 'ta', topicResults: topicResults(tps(['x', 0], ['y', 1]).map((tp) => ({ ...tp, errorCode: codes[0] }))) },
    { transactionalId: 'tb', topicResults: topicResults(tps(['x', 0]).map((tp) => ({ ...tp, errorCode: codes[1] }))) },
  ];
  assert.deepEqual(results[1].topicResults, [{ name: 'x', resultsByPartition: [{ partitionIndex: 0, partitionErrorCode: ErrorCode.PRODUCER_FENCED }] }]);
  assert.equal(view(r, 'ta').state, TxnState.Ongoing);
  assert.equal(view(r, 'tb').state, TxnState.Empty);
});

test('AddOffsetsToTxn adds the group\'s __consumer_offsets partition (abs(hashCode) mod offsets.topic.num.partitions)', () => {
  const r = rig({ ...CONFIG, offsetsTopicPartitions: 50 });
  const p = init(r, 'tx');
  assert.equal(r.log.run(r.shard.addOffsets({ transactionalId: 'tx', ...p, groupId: 'hello' })).errorCode, ErrorCode.NONE);
  assert.deepEqual(view(r, 'tx').partitions, [{ topic: CONSUMER_OFFSETS_TOPIC, partition: 99162322 % 50 }]);
  assert.equal(partitionForGroup('hello', 50), 99162322 % 50);
  assert.equal(expectAnswer(r.shard.addOffsets({ transactionalId: 'tx', ...p, groupId: 'hello' })).errorCode, ErrorCode.NONE, 'already in');
  const fenced = expectAnswer(r.shard.addOffsets({ transactionalId: 'tx', producerId: p.producerId, producerEpoch: 9, groupId: 'g' })).errorCode;
  assert.equal(errorForVersion('AddOffsetsToTxn', 1, fenced), ErrorCode.INVALID_PRODUCER_EPOCH);
  assert.equal(errorForVersion('AddOffsetsToTxn', 2, fenced), ErrorCode.PRODUCER_FENCED);
});
