// DescribeTransactions, ListTransactions and DescribeProducers as Kafka answers them, seen in raw
// frames while a kafkajs transactional producer holds a transaction open: the id's state, producer
// and partitions; listings filtered by state, producer id and (v1) duration, unknown state names
// echoed back; NOT_COORDINATOR while the id's __transaction_state partition is away and
// COORDINATOR_LOAD_IN_PROGRESS while it is replayed (its file reads held at the file-system seam);
// and each partition's producers with the start offset of their open transaction.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { SimFileSystem } from '../helpers/sim-fs.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { DescribeProducersResponse, DescribeTransactionsResponse, InitProducerIdResponse, ListTransactionsResponse } from '../../src/protocol/generated/index.js';

const TOPIC = 'txn-observed';
const OPEN = 'obs-open';
const DONE = 'obs-done';
const EMPTY = 'obs-empty';

const fs = new SimFileSystem({ seed: 11, maxDelayTurns: 0 });
let broker: RunningBroker;
let client: RawClient;
let correlation = 0;
let openProducer: kafkajs.Producer;
let openTxn: kafkajs.Transaction;
let sentAt = 0;

async function ask<T>(apiKey: number, version: number, body: unknown): Promise<T> {
  client.sendRequest(apiKey, version, ++correlation, body);
  const res = await client.response(apiKey, version, 20_000);
  assert.ok(res, `API ${apiKey} v${version} was answered`);
  assert.equal(res.correlationId, correlation);
  return res.body as T;
}

const describeTxns = (...ids: string[]) => ask<DescribeTransactionsResponse>(65, 0, { transactionalIds: ids });
const listTxns = (version: number, body: { stateFilters?: string[]; producerIdFilters?: bigint[]; durationFilter?: bigint }) =>
  ask<ListTransactionsResponse>(66, version, { stateFilters: [], producerIdFilters: [], ...body });
const listed = (res: ListTransactionsResponse) => res.transactionStates.map((t) => [t.transactionalId, t.transactionState]).sort();

before(async () => {
  broker = await startBroker({ port: 0, dataDir: '/data', fileSystem: fs, config: { 'transaction.state.log.num.partitions': '3' } });
  const kafka = new kafkajs.Kafka({ brokers: [broker.bootstrap], logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 2 }] });
  await admin.disconnect();

  // One id commits a transaction on partition 1; another opens one on partition 0 and keeps it open.
  const done = kafka.producer({ transactionalId: DONE, maxInFlightRequests: 1, idempotent: true });
  await done.connect();
  const committed = await done.transaction();
  await committed.send({ topic: TOPIC, messages: [{ value: 'd0', partition: 1 }] });
  await committed.commit();
  await done.disconnect();

  openProducer = kafka.producer({ transactionalId: OPEN, maxInFlightRequests: 1, idempotent: true });
  await openProducer.connect();
  openTxn = await openProducer.transaction();
  sentAt = Date.now();
  await openTxn.send({ topic: TOPIC, messages: [{ value: 'o0', partition: 0 }, { value: 'o1', partition: 0 }] });
  client = await RawClient.open(broker.bootstrap);
  // An id initialised with no transaction yet: Empty.
  const init = await ask<InitProducerIdResponse>(22, 4, { transactionalId: EMPTY, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
  assert.equal(init.errorCode, ErrorCode.NONE);
});
after(async () => {
  client.close();
  await openTxn.abort().catch(() => undefined);
  await openProducer.disconnect();
  await broker.stop();
});

test('DescribeTransactions: the open transaction, a committed one, an unknown id and the empty id', async () => {
  const res = await describeTxns(OPEN, DONE, EMPTY, 'never-seen', '');
  const [open, done, empty, unknown, blank] = res.transactionStates;
  assert.equal(open.errorCode, ErrorCode.NONE);
  assert.equal(open.transactionalId, OPEN);
  assert.equal(open.transactionState, 'Ongoing');
  assert.ok(open.producerId >= 0n);
  assert.equal(open.producerEpoch, 0);
  assert.equal(open.transactionTimeoutMs, 60_000, "kafkajs's default transaction timeout");
  assert.ok(open.transactionStartTimeMs > 0n && open.transactionStartTimeMs <= BigInt(Date.now()), `a start time, not ${open.transactionStartTimeMs}`);
  assert.deepEqual(open.topics.map((t) => [t.topic, t.partitions]), [[TOPIC, [0]]]);

  assert.equal(done.errorCode, ErrorCode.NONE);
  assert.equal(done.transactionState, 'CompleteCommit');
  assert.deepEqual(done.topics, [], 'a completed transaction has no partitions left');
  assert.notEqual(done.producerId, open.producerId);

  assert.deepEqual([empty.errorCode, empty.transactionState, empty.transactionStartTimeMs, empty.topics], [ErrorCode.NONE, 'Empty', -1n, []]);
  assert.deepEqual([unknown.transactionalId, unknown.errorCode], ['never-seen', ErrorCode.TRANSACTIONAL_ID_NOT_FOUND]);
  assert.deepEqual([blank.transactionalId, blank.errorCode], ['', ErrorCode.INVALID_REQUEST]);
  assert.deepEqual((await describeTxns()).transactionStates, [], 'no ids, no answers');
  const repeated = await describeTxns(OPEN, 'never-seen', OPEN, OPEN);
  assert.deepEqual(repeated.transactionStates.map((s) => [s.transactionalId, s.transactionState]), [[OPEN, 'Ongoing'], ['never-seen', '']], 'an id asked for twice is answered once');
});

test('ListTransactions: every id, filtered by state, producer id and duration; unknown states echoed', async () => {
  const all = await listTxns(0, {});
  assert.equal(all.errorCode, ErrorCode.NONE);
  assert.deepEqual(listed(all), [[DONE, 'CompleteCommit'], [EMPTY, 'Empty'], [OPEN, 'Ongoing']]);
  const openId = all.transactionStates.find((t) => t.transactionalId === OPEN)?.producerId as bigint;

  assert.deepEqual(listed(await listTxns(0, { stateFilters: ['Ongoing'] })), [[OPEN, 'Ongoing']]);
  assert.deepEqual(listed(await listTxns(0, { stateFilters: ['Empty', 'CompleteCommit'] })), [[DONE, 'CompleteCommit'], [EMPTY, 'Empty']]);
  assert.deepEqual(listed(await listTxns(0, { producerIdFilters: [openId] })), [[OPEN, 'Ongoing']]);
  assert.deepEqual(listed(await listTxns(0, { producerIdFilters: [openId], stateFilters: ['CompleteCommit'] })), [], 'both filters must match');

  const withUnknown = await listTxns(0, { stateFilters: ['Ongoing', 'Bogus'] });
  assert.deepEqual([withUnknown.errorCode, withUnknown.unknownStateFilters, listed(withUnknown)], [ErrorCode.NONE, ['Bogus'], [[OPEN, 'Ongoing']]]);
  const onlyUnknown = await listTxns(0, { stateFilters: ['ongoing'] });
  assert.deepEqual([onlyUnknown.unknownStateFilters, listed(onlyUnknown)], [['ongoing'], []], 'state names are case-sensitive, and an unknown one matches nothing');

  // v1's duration filter: transactions started longer ago than it. An hour excludes both
  // transactions; as in Kafka the age is counted from the start timestamp in any state, so the
  // Empty id (start -1) passes it.
  assert.ok(Date.now() - sentAt < 3_600_000);
  assert.deepEqual(listed(await listTxns(1, { durationFilter: 3_600_000n })), [[EMPTY, 'Empty']]);
  assert.deepEqual(listed(await listTxns(1, { durationFilter: -1n })), listed(all), '-1: no duration filter');
  assert.deepEqual(listed(await listTxns(1, { durationFilter: 3_600_000n, stateFilters: ['Ongoing'] })), []);
});

test('NOT_COORDINATOR while the id is coordinated elsewhere, COORDINATOR_LOAD_IN_PROGRESS while its partition loads', async () => {
  const coordinator = broker.transactionCoordinatorForTests;
  const p = coordinator.partitionFor(OPEN);
  const stateLog = broker.partitionForTests('__transaction_state', p);
  assert.ok(stateLog, `__transaction_state-${p} is hosted here`);
  coordinator.unloadPartition(p);
  try {
    assert.equal((await describeTxns(OPEN)).transactionStates[0].errorCode, ErrorCode.NOT_COORDINATOR);
    const away = await listTxns(1, {});
    assert.equal(away.errorCode, ErrorCode.NONE);
    assert.ok(!away.transactionStates.some((t) => t.transactionalId === OPEN), 'an id of a partition not loaded here is not listed');

    // The replay's first read of the partition is held: the partition stays loading until released.
    let release = () => {};
    let reading = () => {};
    const readStarted = new Promise<void>((r) => (reading = r));
    fs.holdWhen = (call, path) => {
      if (call !== 'read' || !path.includes(`/__transaction_state-${p}/`)) return null;
      fs.holdWhen = null;
      reading();
      return new Promise<void>((r) => (release = r));
    };
    const loading = coordinator.loadPartition(p, stateLog.leaderEpoch);
    await readStarted;
    assert.equal((await describeTxns(OPEN)).transactionStates[0].errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    const whileLoading = await listTxns(1, {});
    assert.deepEqual([whileLoading.errorCode, whileLoading.transactionStates], [ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, []], 'as Kafka: no listing while any partition loads');
    release();
    assert.equal(await loading, 'loaded');
  } finally {
    fs.holdWhen = null;
  }
  const back = (await describeTxns(OPEN)).transactionStates[0];
  assert.deepEqual([back.errorCode, back.transactionState, back.topics.map((t) => [t.topic, t.partitions])], [ErrorCode.NONE, 'Ongoing', [[TOPIC, [0]]]], 'replayed from __transaction_state');
});

test('DescribeProducers: the open transaction\'s start offset, a committed producer\'s marker epoch, and errors', async () => {
  const ids = (await listTxns(0, {})).transactionStates;
  const openId = ids.find((t) => t.transactionalId === OPEN)?.producerId;
  const doneId = ids.find((t) => t.transactionalId === DONE)?.producerId;
  const res = await ask<DescribeProducersResponse>(61, 0, {
    topics: [
      { name: TOPIC, partitionIndexes: [0, 1, 7] },
      { name: 'no-such-topic', partitionIndexes: [0] },
      { name: 'bad/name', partitionIndexes: [0] },
    ],
  });
  const [topic, missing, illegal] = res.topics;
  const [p0, p1, p7] = topic.partitions;
  assert.equal(p0.errorCode, ErrorCode.NONE);
  assert.equal(p0.activeProducers.length, 1);
  const open = p0.activeProducers[0];
  assert.equal(open.producerId, openId);
  assert.deepEqual([open.producerEpoch, open.lastSequence, open.coordinatorEpoch, open.currentTxnStartOffset], [0, 1, -1, 0n], 'two records from sequence 0, no marker yet, the transaction starts at offset 0');
  assert.ok(open.lastTimestamp >= BigInt(sentAt - 60_000), `the batch's timestamp, not ${open.lastTimestamp}`);

  assert.equal(p1.errorCode, ErrorCode.NONE);
  const done = p1.activeProducers.find((s) => s.producerId === doneId);
  assert.ok(done, 'the committed producer is still known to the partition');
  assert.equal(done.currentTxnStartOffset, -1n, 'its transaction ended with the commit marker');
  assert.equal(done.lastSequence, 0);
  const stateLog = broker.partitionForTests('__transaction_state', broker.transactionCoordinatorForTests.partitionFor(DONE));
  assert.equal(done.coordinatorEpoch, stateLog?.leaderEpoch, "the marker carried the coordinator's epoch");

  assert.deepEqual([p7.partitionIndex, p7.errorCode, p7.activeProducers], [7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, []]);
  assert.deepEqual([missing.name, missing.partitions.map((p) => p.errorCode)], ['no-such-topic', [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
  assert.deepEqual(illegal.partitions.map((p) => p.errorCode), [ErrorCode.INVALID_TOPIC_EXCEPTION]);
  assert.match(illegal.partitions[0].errorMessage ?? '', /illegal/);

  // Each answer lists all of a partition's producers: a partition asked for again, in the same
  // topic entry or another, is answered once, so repeats cannot multiply the answer's size.
  const repeats = await ask<DescribeProducersResponse>(61, 0, { topics: [{ name: TOPIC, partitionIndexes: [1, 0, 1, ...new Array<number>(100_000).fill(0)] }, { name: TOPIC, partitionIndexes: [0, 1] }] });
  assert.deepEqual(repeats.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.errorCode, p.activeProducers.length])]), [[TOPIC, [[1, 0, p1.activeProducers.length], [0, 0, 1]]]]);
});
