// The long poll's wake-up (a delayed fetch in the purgatory): data that arrives while the fetch is
// still reading its partitions wakes it, rather than being missed until max_wait_ms runs out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { kcat } from '../helpers/kcat.js';
import { SimFileSystem } from '../helpers/sim-fs.js';
import { buildBatch, batchesIn } from '../../src/protocol/records/batch-records.js';
import type { FetchResponse, ProduceResponse } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';

async function produce(c: RawClient, partition: number, value: Buffer): Promise<number> {
  const records = await buildBatch([{ key: null, value, timestamp: Date.now() }]);
  c.sendRequest(0, 9, 1, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'race', partitionData: [{ index: partition, records }] }] });
  return ((await c.response(0, 9))?.body as ProduceResponse).responses[0].partitionResponses[0].errorCode;
}

const part = (partition: number) => ({ partition, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 });

test('an append that lands while the long poll reads another partition wakes it (the wait starts from what the read saw)', async () => {
  const fs = new SimFileSystem({ seed: 5, maxDelayTurns: 0 });
  const broker = await startBroker({ port: 0, dataDir: '/data', fileSystem: fs, config: { 'num.partitions': '2' } });
  const producer = await RawClient.open(broker.bootstrap);
  const consumer = await RawClient.open(broker.bootstrap);
  try {
    await kcat(['-b', broker.bootstrap, '-L', '-t', 'race']);
    assert.equal(await produce(producer, 0, Buffer.from('small')), ErrorCode.NONE);

    // The fetch reads partition 1 (empty) and then partition 0, whose file read is held.
    let release = () => {};
    let reading = () => {};
    const readStarted = new Promise<void>((r) => (reading = r));
    fs.holdWhen = (call, path) => {
      if (call !== 'read' || !path.includes('/race-0/')) return null;
      fs.holdWhen = null;
      reading();
      return new Promise<void>((r) => (release = r));
    };
    consumer.sendRequest(1, 12, 7, {
      replicaId: -1, maxWaitMs: 600_000, minBytes: 1000, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: 'race', partitions: [part(1), part(0)] }], forgottenTopicsData: [], rackId: '',
    });
    await readStarted;
    // Enough for min_bytes arrives on partition 1, which the fetch has already read.
    assert.equal(await produce(producer, 1, Buffer.alloc(2000, 0x61)), ErrorCode.NONE);
    release();

    const answer = await consumer.response(1, 12, 20_000);
    assert.ok(answer, 'the fetch answered once the data it waited for was there, long before max_wait_ms');
    const partitions = (answer.body as FetchResponse).responses[0].partitions;
    const counts = partitions.map((p) => [p.partitionIndex, [...batchesIn(p.records ?? Buffer.alloc(0))].length]);
    assert.deepEqual(counts, [[1, 1], [0, 1]]);
  } finally {
    fs.holdWhen = null;
    producer.close();
    consumer.close();
    await broker.stop();
  }
});

test('many long polls pipelined on one connection all wait, with one abort listener between them, and all end when it closes', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
  process.on('warning', onWarning);
  const broker = await startBroker({ port: 0, storage: 'memory', config: { 'num.partitions': '4' } });
  const consumer = await RawClient.open(broker.bootstrap);
  try {
    await kcat(['-b', broker.bootstrap, '-L', '-t', 'piped']);
    for (let i = 0; i < 40; i++) {
      consumer.sendRequest(1, 12, 100 + i, {
        replicaId: -1, maxWaitMs: 600_000, minBytes: 1, maxBytes: 4096, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, forgottenTopicsData: [], rackId: '',
        topics: [{ topic: 'piped', partitions: [{ ...part(i % 4), partitionMaxBytes: 4096 }] }],
      });
    }
    // Bounded waits for the broker to reach each state; what is asserted is the count, not a time.
    const until = async (what: string, ok: () => boolean) => {
      for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(ok(), what);
    };
    await until('all 40 fetches wait', () => broker.waitingFetches() === 40);
    consumer.close();
    await until('every fetch stopped waiting once the connection closed', () => broker.waitingFetches() === 0);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning')), []);
  } finally {
    process.off('warning', onWarning);
    consumer.close();
    await broker.stop();
  }
});
