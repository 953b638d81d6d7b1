// The coordinator's own sweeps, on an injected clock: a transaction open longer than its
// transaction.timeout.ms is aborted by the coordinator (its epoch bumped, so the producer that
// left it is fenced) and the partition's last stable offset moves past it; an id idle for
// transactional.id.expiration.ms is removed, and stays removed after a restart (a tombstone).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { ManualScheduler } from '../../src/coordinator/scheduler.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { buildBatch } from '../../src/protocol/records/batch-records.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { waitUntil } from '../helpers/cluster-admin.js';
import type { AddPartitionsToTxnResponse, CreateTopicsResponse, EndTxnResponse, FindCoordinatorResponse, InitProducerIdResponse, ListOffsetsResponse, ProduceResponse } from '../../src/protocol/generated/index.js';

const TOPIC = 'timed';
const TXN_ID = 'slow-producer';
const CONFIG = {
  'transaction.state.log.num.partitions': '2',
  'transactional.id.expiration.ms': '60000',
  'transaction.remove.expired.transaction.cleanup.interval.ms': '1000',
};

let dataDir: string;
let broker: RunningBroker;
let scheduler: ManualScheduler;
let conn: KafkaConnection;

async function start(): Promise<void> {
  scheduler = new ManualScheduler(Date.now());
  broker = await startBroker({ port: 0, dataDir, scheduler, config: CONFIG });
  conn = await KafkaConnection.open(broker.bootstrap);
}

async function stop(): Promise<void> {
  conn.close();
  await broker.stop();
}

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'tributary-txn-timeouts-'));
  await start();
});
after(async () => {
  await stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function init(): Promise<InitProducerIdResponse> {
  for (;;) {
    const found = await conn.request<FindCoordinatorResponse>(10, 2, { key: TXN_ID, keyType: 1 });
    const r = found.errorCode === 0 ? await conn.request<InitProducerIdResponse>(22, 1, { transactionalId: TXN_ID, transactionTimeoutMs: 10_000 }) : null;
    if (r && r.errorCode !== ErrorCode.COORDINATOR_LOAD_IN_PROGRESS && r.errorCode !== ErrorCode.NOT_COORDINATOR && r.errorCode !== ErrorCode.CONCURRENT_TRANSACTIONS) return r;
    await new Promise((res) => setTimeout(res, 20));
  }
}

async function lastStableOffset(): Promise<bigint> {
  const r = await conn.request<ListOffsetsResponse>(2, 2, { replicaId: -1, isolationLevel: 1, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, timestamp: -1n }] }] });
  return r.topics[0].partitions[0].offset;
}

test('a transaction past its timeout is aborted by the coordinator and its producer fenced', async () => {
  const created = await conn.request<CreateTopicsResponse>(19, 3, { topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  assert.equal(created.topics[0].errorCode, 0);
  const p = await init();
  assert.equal(p.errorCode, 0);
  const added = await conn.request<AddPartitionsToTxnResponse>(24, 1, { v3AndBelowTransactionalId: TXN_ID, v3AndBelowProducerId: p.producerId, v3AndBelowProducerEpoch: p.producerEpoch, v3AndBelowTopics: [{ name: TOPIC, partitions: [0] }] });
  assert.equal(added.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode, 0);
  const records = await buildBatch([{ key: null, value: Buffer.from('left open'), timestamp: Date.now() }], { producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence: 0, transactional: true });
  const produced = await conn.request<ProduceResponse>(0, 7, { transactionalId: TXN_ID, acks: -1, timeoutMs: 5000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }] });
  assert.equal(produced.responses[0].partitionResponses[0].errorCode, 0);
  assert.equal(await lastStableOffset(), 0n, 'the open transaction holds the LSO');

  scheduler.advance(5_000);
  assert.equal(await lastStableOffset(), 0n, 'not timed out yet');
  // Past the 10 s timeout and the next run of the 10 s abort sweep.
  scheduler.advance(16_000);
  await waitUntil('the coordinator aborted the transaction', async () => (await lastStableOffset()) === 2n);
  const view = broker.transactionCoordinatorForTests.describe(TXN_ID);
  assert.ok(typeof view !== 'number');
  assert.equal(view.stateName, 'CompleteAbort');
  assert.equal(view.producerEpoch, p.producerEpoch + 1, 'the abort bumped the epoch');

  const late = await conn.request<EndTxnResponse>(26, 1, { transactionalId: TXN_ID, producerId: p.producerId, producerEpoch: p.producerEpoch, committed: true });
  assert.equal(late.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH, 'the old producer is fenced (v1 cannot say PRODUCER_FENCED)');
  const again = await init();
  assert.equal(again.errorCode, 0);
  assert.equal(again.producerId, p.producerId);
  assert.equal(again.producerEpoch, p.producerEpoch + 2);
});

test('an idle transactional id expires and stays expired across a restart', async () => {
  const before = broker.transactionCoordinatorForTests.describe(TXN_ID);
  assert.ok(typeof before !== 'number', 'the id is known');
  scheduler.advance(61_000);
  await waitUntil('the id expired', async () => broker.transactionCoordinatorForTests.describe(TXN_ID) === ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
  await stop();
  await start();
  await waitUntil('the partition loaded', async () => broker.transactionCoordinatorForTests.describe(TXN_ID) !== ErrorCode.COORDINATOR_LOAD_IN_PROGRESS && broker.transactionCoordinatorForTests.describe(TXN_ID) !== ErrorCode.NOT_COORDINATOR);
  assert.equal(broker.transactionCoordinatorForTests.describe(TXN_ID), ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
  // A new producer under the id starts over with a new producer id.
  const fresh = await init();
  assert.equal(fresh.errorCode, 0);
  assert.equal(fresh.producerEpoch, 0);
});
