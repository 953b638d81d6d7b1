// A follower's Fetch answers are cut into pooled memory (KafkaConnection.requestLent with a
// FrameMemory) and given back once appended, so the next answer fills the same memory. Against a
// real broker: an answer decodes to the records produced, its memory returns to the pool only on
// release (once, however often release is called), the next answer reuses it and still decodes
// to its own records, and a plain request's frame is never given back (its body may be kept).
// Against a scripted peer: an answer that does not decode is rejected and its memory given back.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ReadBufferPool } from '../../src/storage/read-buffers.js';
import { batchesIn, readBatchRecords } from '../../src/protocol/records/batch-records.js';
import type { FetchResponse } from '../../src/protocol/generated/index.js';
import { encodeResponseFrame } from '../../src/protocol/request-codec.js';

const { Kafka, logLevel } = kafkajs;
const TOPIC = 'lent-answers';
const COUNT = 900;
/** About 1 KiB each: the answers from offsets 0 and 300 (900 and 600 records) both take the pool's 1 MiB size. */
const valueOf = (i: number) => `${i}:` + String.fromCharCode(97 + (i % 26)).repeat(1000 + (i % 13));

let broker: RunningBroker;
before(async () => {
  broker = await startBroker({ port: 0 });
  // The first send creates the topic (auto.create.topics.enable, one partition).
  const producer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  for (let start = 0; start < COUNT; start += 100) {
    await producer.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: 100 }, (_, k) => ({ value: valueOf(start + k) })) });
  }
  await producer.disconnect();
});
after(async () => {
  await broker.stop();
});

const fetchBody = (fetchOffset: number) => ({
  replicaId: -1,
  maxWaitMs: 0,
  minBytes: 1,
  maxBytes: 4 << 20,
  isolationLevel: 0,
  sessionId: 0,
  sessionEpoch: -1,
  topics: [{ topic: TOPIC, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: BigInt(fetchOffset), logStartOffset: -1n, partitionMaxBytes: 4 << 20 }] }],
  forgottenTopicsData: [],
});

/** The values of the answer's records from offset `from` on (whole batches come back: earlier records are skipped), checked to be in offset order. */
async function valuesIn(response: FetchResponse, from: number): Promise<string[]> {
  const p = response.responses[0].partitions[0];
  assert.equal(p.errorCode, 0);
  const values: string[] = [];
  let next = from;
  for (const view of batchesIn(p.records ?? Buffer.alloc(0))) {
    for (const r of await readBatchRecords(view)) {
      if (Number(r.offset) < from) continue;
      assert.equal(Number(r.offset), next, 'offsets in order');
      next++;
      values.push(r.value?.toString() ?? '');
    }
  }
  return values;
}

test('a lent answer goes back to the pool on release, and the next answer reuses its memory and decodes to its own records', async () => {
  const pool = new ReadBufferPool();
  const c = await KafkaConnection.open(broker.bootstrap, 10_000, 'lent-test', undefined, undefined, pool);
  try {
    const first = await c.requestLent<FetchResponse>(1, 12, fetchBody(0));
    const firstRecords = first.body.responses[0].partitions[0].records;
    assert.ok(firstRecords && firstRecords.length > 128 * 1024, `an answer of ${firstRecords?.length} bytes`);
    assert.deepEqual(await valuesIn(first.body, 0), Array.from({ length: COUNT }, (_, i) => valueOf(i)));
    assert.equal(pool.freeBytesHeld, 0, 'nothing is back before release');
    first.release();
    const held = pool.freeBytesHeld;
    assert.ok(held >= firstRecords.length, `the frame's memory is back (${held} bytes)`);
    first.release();
    assert.equal(pool.freeBytesHeld, held, 'a second release gives nothing back twice');

    const reusedBefore = pool.reuseCount;
    const second = await c.requestLent<FetchResponse>(1, 12, fetchBody(300));
    assert.equal(pool.reuseCount, reusedBefore + 1, 'the second answer filled the memory given back');
    assert.equal(second.body.responses[0].partitions[0].records?.buffer, firstRecords.buffer, 'the very same memory');
    const values = await valuesIn(second.body, 300);
    assert.equal(values.length, COUNT - 300);
    assert.deepEqual(values, Array.from({ length: COUNT - 300 }, (_, i) => valueOf(300 + i)), 'its own records, not the first answer’s');
    second.release();

    // A plain request on the same connection: its body is the caller's to keep, so its frame never goes back.
    const freeBefore = pool.freeBytesHeld;
    const plain = await c.request<FetchResponse>(1, 12, fetchBody(0));
    assert.equal(pool.freeBytesHeld, freeBefore - held, 'the plain answer took pooled memory …');
    const again = await c.request<FetchResponse>(1, 12, fetchBody(0));
    assert.deepEqual(await valuesIn(plain, 0), Array.from({ length: COUNT }, (_, i) => valueOf(i)), '… and keeps it: a later answer did not overwrite it');
    assert.notEqual(again.responses[0].partitions[0].records?.buffer, plain.responses[0].partitions[0].records?.buffer);
  } finally {
    c.close();
  }
});

/**
 * A peer that answers each request in turn with the next of `answers(correlationId)`: for the
 * follower's side of a leader that sends an answer which does not decode.
 */
async function startScriptedPeer(answers: ((correlationId: number) => Buffer)[]): Promise<{ address: string; close(): Promise<void> }> {
  const server = createServer((socket) => {
    let pendingBytes = Buffer.alloc(0);
    let answered = 0;
    socket.on('data', (chunk: Buffer) => {
      pendingBytes = Buffer.concat([pendingBytes, chunk]);
      while (pendingBytes.length >= 4 && pendingBytes.length >= 4 + pendingBytes.readInt32BE(0)) {
        const size = pendingBytes.readInt32BE(0);
        // Request header: api key int16, api version int16, correlation id int32.
        const correlationId = pendingBytes.readInt32BE(8);
        pendingBytes = pendingBytes.subarray(4 + size);
        const answer = answers[answered++];
        if (answer) socket.write(answer(correlationId));
      }
    });
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { address: `127.0.0.1:${port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

test('a lent answer that does not decode is rejected and its memory given back; the next answer on the connection decodes and reuses that memory', async () => {
  const records = Buffer.alloc(300 * 1024);
  for (let i = 0; i < records.length; i++) records[i] = (i * 7) % 251;
  const validAnswer = (correlationId: number) =>
    Buffer.concat(
      encodeResponseFrame(1, 12, correlationId, {
        responses: [{ topic: TOPIC, partitions: [{ partitionIndex: 0, errorCode: 0, highWatermark: 5n, lastStableOffset: 5n, logStartOffset: 0n, abortedTransactions: null, preferredReadReplica: -1, records }] }],
      }),
    );
  const frameLength = validAnswer(0).length - 4;
  // The same size as the valid answer (so the pool's same size class), and undecodable: after the
  // header's empty tag buffer and the fixed fields, a topic array claiming 2^32 - 2 entries.
  const garbageAnswer = (correlationId: number) => {
    const frame = Buffer.alloc(4 + frameLength);
    frame.writeInt32BE(frameLength, 0);
    frame.writeInt32BE(correlationId, 4);
    // offset 8: tag buffer (0), throttle time, error code, session id: all zero
    Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]).copy(frame, 8 + 1 + 4 + 2 + 4);
    return frame;
  };
  const peer = await startScriptedPeer([garbageAnswer, validAnswer]);
  const pool = new ReadBufferPool();
  const c = await KafkaConnection.open(peer.address, 10_000, 'lent-test', undefined, undefined, pool);
  try {
    await assert.rejects(c.requestLent<FetchResponse>(1, 12, fetchBody(0)), /exceeds/);
    assert.ok(pool.freeBytesHeld >= frameLength, `the undecodable frame's memory is back (${pool.freeBytesHeld} bytes)`);
    assert.equal(c.isClosed, false, 'the framing held, so the connection stays open');
    const reusedBefore = pool.reuseCount;
    const next = await c.requestLent<FetchResponse>(1, 12, fetchBody(0));
    assert.equal(pool.reuseCount, reusedBefore + 1, 'the next answer filled the memory given back');
    assert.deepEqual(next.body.responses[0].partitions[0].records, records, 'and decodes to its own bytes');
    next.release();
  } finally {
    c.close();
    await peer.close();
  }
});
