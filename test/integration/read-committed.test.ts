// read_committed against transactional data written straight through the partition API (batches
// and markers placed exactly, without a coordinator; transactions-*.test.ts go through one): kafkajs (readUncommitted: false) and kcat
// (isolation.level=read_committed) get the committed records in offset order and never an aborted
// one or one past the last stable offset; ListOffsets read_committed answers the LSO. (librdkafka
// reads read_committed by default, so kcat's read_uncommitted run says so.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { kcat, parseJsonLines } from '../helpers/kcat.js';
import { waitUntil } from '../helpers/kcat-group.js';
import { RawClient } from '../helpers/raw-client.js';
import { buildBatch } from '../../src/protocol/records/batch-records.js';
import { ControlType } from '../../src/protocol/records/control-record.js';
import type { Partition } from '../../src/partition/partition.js';
import type { ListOffsetsResponse } from '../../src/protocol/generated/index.js';

const TOPIC = 'txn-read';
let broker: RunningBroker;
let partition: Partition;

before(async () => {
  broker = await startBroker({ port: 0 });
  await kcat(['-b', broker.bootstrap, '-L', '-t', TOPIC]);
  const found = broker.partitionForTests(TOPIC, 0);
  assert.ok(found, 'the topic was created with its partition 0 here');
  partition = found;
});
after(async () => {
  await broker.stop();
});

/**
 * Record timestamps: those from C's record on carry `since`, an hour ahead, so that they are the
 * first at or after it (markers carry the broker's time, and a lookup by time finds them too, as in Kafka).
 */
const since = Date.now() + 3_600_000;
let timestamp = Date.now() - 60_000;

function txnProducer(producerId: bigint) {
  let seq = 0;
  return async (...values: string[]) => {
    const batch = await buildBatch(
      values.map((v) => ({ key: null, value: Buffer.from(v), timestamp })),
      { producerId, producerEpoch: 0, baseSequence: seq, transactional: true },
    );
    seq += values.length;
    return partition.append(batch, null);
  };
}

const plain = async (value: string) => partition.append(await buildBatch([{ key: null, value: Buffer.from(value), timestamp }]), null);
const end = (producerId: bigint, type: 0 | 1) => partition.appendTxnMarker({ producerId, producerEpoch: 0, coordinatorEpoch: 0, type });

async function readCommittedWithKcat(): Promise<string[]> {
  const r = await kcat(['-b', broker.bootstrap, '-C', '-t', TOPIC, '-o', 'beginning', '-e', '-J', '-X', 'isolation.level=read_committed']);
  assert.equal(r.code, 0, r.stderr);
  return parseJsonLines(r.stdout).map((m) => String(m.payload));
}

async function listOffsetsLatest(isolationLevel: number, timestamp = -1n): Promise<number> {
  const c = await RawClient.open(broker.bootstrap);
  try {
    c.sendRequest(2, 5, 1, { replicaId: -1, isolationLevel, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }] });
    const res = (await c.response(2, 5))?.body as ListOffsetsResponse;
    return Number(res.topics[0].partitions[0].offset);
  } finally {
    c.close();
  }
}

test('read_committed consumers get committed records in order, no aborted ones, nothing past the LSO', async () => {
  const A = 7001n;
  const B = 7002n;
  const C = 7003n;
  const a = txnProducer(A);
  const b = txnProducer(B);
  const c = txnProducer(C);
  await a('a0', 'a1'); // 0-1
  await b('bx0'); // 2, aborted below
  await plain('p0'); // 3
  await a('a2'); // 4
  await end(A, ControlType.COMMIT); // 5
  await end(B, ControlType.ABORT); // 6
  await b('b1', 'b2'); // 7-8, a new transaction of B
  await end(B, ControlType.COMMIT); // 9
  timestamp = since;
  await c('c0'); // 10, left open for now
  await plain('p1'); // 11, behind C's open transaction
  assert.equal(partition.lastStableOffset, 10);
  assert.equal(await listOffsetsLatest(1), 10, 'ListOffsets read_committed answers the LSO');
  assert.equal(await listOffsetsLatest(0), 12, 'read_uncommitted the high watermark');
  // By time: the first record at or after `since` is C's at 10, past the LSO, so read_committed finds none.
  assert.equal(await listOffsetsLatest(0, BigInt(since)), 10);
  assert.equal(await listOffsetsLatest(1, BigInt(since)), -1);

  const committedBeforeC = ['a0', 'a1', 'p0', 'a2', 'b1', 'b2'];
  assert.deepEqual(await readCommittedWithKcat(), committedBeforeC, 'kcat stops at the LSO and drops the aborted record');
  const uncommitted = parseJsonLines((await kcat(['-b', broker.bootstrap, '-C', '-t', TOPIC, '-o', 'beginning', '-e', '-J', '-X', 'isolation.level=read_uncommitted'])).stdout).map((m) => String(m.payload));
  assert.deepEqual(uncommitted, ['a0', 'a1', 'bx0', 'p0', 'a2', 'b1', 'b2', 'c0', 'p1'], 'read_uncommitted sees everything but the markers');

  const kafka = new kafkajs.Kafka({ brokers: [broker.bootstrap], logLevel: kafkajs.logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: 'rc-group', readUncommitted: false, maxWaitTimeInMs: 100 });
  const seen: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void seen.push(`${message.offset}:${message.value?.toString()}`) });
  try {
    await waitUntil(() => seen.length >= committedBeforeC.length, 'kafkajs to read the committed records');
    // C commits: its record and the one behind it become readable.
    await end(C, ControlType.COMMIT); // 12
    assert.equal(partition.lastStableOffset, 13);
    await waitUntil(() => seen.length >= committedBeforeC.length + 2, 'kafkajs to read past the committed C');
    assert.deepEqual(seen, ['0:a0', '1:a1', '3:p0', '4:a2', '7:b1', '8:b2', '10:c0', '11:p1']);
  } finally {
    await consumer.disconnect();
  }
  assert.deepEqual(await readCommittedWithKcat(), [...committedBeforeC, 'c0', 'p1']);
});
