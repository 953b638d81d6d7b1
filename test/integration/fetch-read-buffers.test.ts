// Fetch answers are read into pooled memory that is reused once the kernel took the answer
// (src/storage/read-buffers.ts). Reuse too early would hand one consumer bytes meant for another,
// or bytes of a later read: so several real consumers read the same partitions at once, from the
// start, while raw clients send large fetches and close their connections in the middle of the
// answers (the answers are then dropped, and their memory given back), and every consumer must
// see every record exactly once, at its offset, with its own value.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { kcat, parseJsonLines } from '../helpers/kcat.js';
import { encodeRequestFrame } from '../../src/protocol/request-codec.js';
import { processReadBuffers } from '../../src/storage/read-buffers.js';
import { requestChannel } from '../../src/server/request-trace.js';
import { RawClient } from '../helpers/raw-client.js';
import { batchesIn, readBatchRecords } from '../../src/protocol/records/batch-records.js';
import type { FetchResponse } from '../../src/protocol/generated/index.js';

const { Kafka, logLevel } = kafkajs;
const TOPIC = 'pooled-reads';
const PARTITIONS = 2;
const PER_PARTITION = 2500;
/** Values of about 2 KiB: a partition's 1 MiB fetch slice is a pooled read. */
const valueOf = (partition: number, i: number) => `${partition}:${i}:` + String.fromCharCode(97 + ((i * 7 + partition) % 26)).repeat(2000 + (i % 97));

let broker: RunningBroker;
before(async () => {
  broker = await startBroker({ port: 0 });
  const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  for (let partition = 0; partition < PARTITIONS; partition++) {
    for (let start = 0; start < PER_PARTITION; start += 250) {
      const messages = Array.from({ length: 250 }, (_, k) => ({ partition, key: `k${start + k}`, value: valueOf(partition, start + k) }));
      await producer.send({ topic: TOPIC, acks: -1, messages });
    }
  }
  await producer.disconnect();
});
after(async () => {
  await broker.stop();
});

/** Every record of both partitions, checked against what was produced; throws on the first difference. */
function checkAll(label: string, records: { partition: number; offset: number; value: string }[]): void {
  assert.equal(records.length, PARTITIONS * PER_PARTITION, `${label}: record count`);
  const next = new Array<number>(PARTITIONS).fill(0);
  for (const r of records) {
    if (r.offset !== next[r.partition]) assert.fail(`${label}: partition ${r.partition} gave offset ${r.offset} where ${next[r.partition]} was next`);
    if (r.value !== valueOf(r.partition, r.offset)) assert.fail(`${label}: partition ${r.partition} offset ${r.offset} holds another record's bytes (${r.value.slice(0, 40)}…)`);
    next[r.partition]++;
  }
}

async function kcatReads(): Promise<{ partition: number; offset: number; value: string }[]> {
  const res = await kcat(['-b', broker.bootstrap, '-C', '-t', TOPIC, '-o', 'beginning', '-e', '-J', '-X', 'fetch.message.max.bytes=1048576'], undefined, 120_000);
  assert.equal(res.code, 0, res.stderr);
  return parseJsonLines(res.stdout).map((m) => ({ partition: m.partition, offset: m.offset, value: m.payload ?? '' }));
}

async function kafkajsReads(group: string): Promise<{ partition: number; offset: number; value: string }[]> {
  const consumer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).consumer({ groupId: group, maxBytesPerPartition: 1 << 20 });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  const records: { partition: number; offset: number; value: string }[] = [];
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      records.push({ partition, offset: Number(message.offset), value: message.value?.toString() ?? '' });
      if (records.length === PARTITIONS * PER_PARTITION) done();
    },
  });
  let timer: NodeJS.Timeout | undefined;
  // The bound only turns a hang into a failure; nothing here measures time.
  await Promise.race([all, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${group}: received ${records.length}`)), 120_000)))]);
  clearTimeout(timer);
  await consumer.disconnect();
  return records;
}

/** A large fetch of both partitions from the start whose connection is closed when the first bytes of the answer arrive. */
function abandonedFetch(correlationId: number): Promise<void> {
  const [host, port] = broker.bootstrap.split(':');
  return new Promise((resolve) => {
    const socket = connect(Number(port), host, () => {
      const frame = encodeRequestFrame(1, 4, correlationId, 'abandoning', {
          replicaId: -1,
          maxWaitMs: 0,
          minBytes: 1,
          maxBytes: 8 << 20,
          isolationLevel: 0,
          topics: [{ topic: TOPIC, partitions: Array.from({ length: PARTITIONS }, (_, p) => ({ partition: p, fetchOffset: BigInt(correlationId % 50), partitionMaxBytes: 4 << 20 })) }],
        });
      for (const chunk of frame) socket.write(chunk);
    });
    socket.once('data', () => socket.destroy());
    socket.on('error', () => {});
    socket.on('close', () => resolve());
  });
}

test('consumers reading at once, with fetches abandoned mid-answer beside them, each get every record with its own bytes', async () => {
  const reusedBefore = processReadBuffers.reuseCount;
  const abandoning = (async () => {
    for (let i = 0; i < 40; i++) await Promise.all([abandonedFetch(i), abandonedFetch(1000 + i)]);
  })();
  const [a, b, c, d] = await Promise.all([kcatReads(), kcatReads(), kafkajsReads('pooled-1'), kafkajsReads('pooled-2')]);
  await abandoning;
  checkAll('kcat 1', a);
  checkAll('kcat 2', b);
  const byPartitionThenOffset = (x: { partition: number; offset: number }, y: { partition: number; offset: number }) => x.partition - y.partition || x.offset - y.offset;
  checkAll('kafkajs 1', c.sort(byPartitionThenOffset));
  checkAll('kafkajs 2', d.sort(byPartitionThenOffset));
  // The reuse path itself ran: memory that answers gave back served later reads.
  assert.ok(processReadBuffers.reuseCount > reusedBefore, 'read buffers were reused');
  // And reading again after all that gives the same bytes.
  checkAll('kcat after', await kcatReads());
});

/**
 * A client that asks for 3 MiB of each partition and does not read its socket until told: most of
 * the answer stays queued in the broker's process, in the memory it was read into.
 */
async function stalledFetch(correlationId: number, fetchOffset: number): Promise<{ resume: () => Promise<FetchResponse> }> {
  const raw = await RawClient.open(broker.bootstrap);
  raw.socket.pause();
  raw.sendRequest(1, 4, correlationId, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 64 << 20,
    isolationLevel: 0,
    topics: [{ topic: TOPIC, partitions: Array.from({ length: PARTITIONS }, (_, p) => ({ partition: p, fetchOffset: BigInt(fetchOffset), partitionMaxBytes: 3 << 20 })) }],
  });
  return {
    async resume() {
      raw.socket.resume();
      const answer = await raw.response(1, 4, 60_000);
      raw.socket.destroy();
      assert.ok(answer, 'the stalled fetch was answered');
      return answer.body as FetchResponse;
    },
  };
}

/** Stalled readers' answers checked byte for byte after other readers ran beside them; `group` names the kafkajs reader's group. */
async function stalledReadersKeepTheirBytes(group: string): Promise<void> {
  const starts = [0, 700, 1400, 100, 900];
  const stalled = [];
  // Each stalled answer is read (into pooled memory) before the next request is sent.
  for (const [i, start] of starts.entries()) stalled.push(await stalledFetch(5000 + i, start));
  // More reads of the same size while those answers wait: they must get memory of their own.
  await Promise.all([kcatReads(), kafkajsReads(group)]).then(([k, j]) => {
    checkAll('kcat beside stalled readers', k);
    checkAll(`kafkajs (${group}) beside stalled readers`, j.sort((x, y) => x.partition - y.partition || x.offset - y.offset));
  });
  const more = [];
  for (const [i, start] of [300, 1200].entries()) more.push(await stalledFetch(6000 + i, start));
  for (const [i, s] of [...stalled, ...more].entries()) {
    const start = [...starts, 300, 1200][i];
    const body = await s.resume();
    for (const t of body.responses) {
      for (const p of t.partitions) {
        assert.equal(p.errorCode, 0);
        let expected = start;
        for (const view of batchesIn(p.records ?? Buffer.alloc(0))) {
          for (const r of await readBatchRecords(view)) {
            // The first batch may begin before the offset asked for (whole batches are sent): clients skip those records.
            if (Number(r.offset) < start) continue;
            if (Number(r.offset) !== expected) assert.fail(`stalled reader ${i}, partition ${p.partitionIndex}: offset ${r.offset} where ${expected} was next`);
            if (r.value?.toString() !== valueOf(p.partitionIndex, expected)) assert.fail(`stalled reader ${i}, partition ${p.partitionIndex}, offset ${expected}: another read's bytes (${r.value?.toString().slice(0, 30)}…)`);
            expected++;
          }
        }
        assert.ok(expected - start > 1000, `stalled reader ${i} got ${expected - start} records of partition ${p.partitionIndex}`);
      }
    }
  }
}

test('answers that wait in the broker for a slow reader keep their bytes while other reads reuse memory', async () => {
  await stalledReadersKeepTheirBytes('pooled-3');
});

test('the same while requests are traced (the admin server measures them: the answer is written by the tracing path)', async () => {
  const listener = () => {};
  requestChannel.subscribe(listener);
  try {
    await stalledReadersKeepTheirBytes('pooled-4');
  } finally {
    requestChannel.unsubscribe(listener);
  }
});
