// The log validator seen from clients: kafkajs and kcat traffic still flows; raw CRC-valid but
// malformed batches get record_errors back and leave the log untouched; a Sarama-style
// max_timestamp of -1 is repaired so ListOffsets by timestamp works; topic configs that shape
// validation (message.timestamp.*, compression.type, min.insync.replicas) take effect.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { kcat, parseJsonLines } from '../helpers/kcat.js';
import { assembleBatch, recordBytes, withHeader } from '../helpers/batch-surgery.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { buildBatch } from '../../src/protocol/records/batch-records.js';
import { CompressionType, RecordBatchView } from '../../src/protocol/records/record-batch.js';
import { logFile, partitionDirName } from '../../src/storage/file-names.js';
import type { ListOffsetsResponse, ProduceResponse } from '../../src/protocol/generated/index.js';
import { encodeRequestFrame } from '../../src/protocol/request-codec.js';

let broker: RunningBroker;
let raw: RawClient;
let correlation = 100;

before(async () => {
  broker = await startBroker({ port: 0, config: { 'auto.create.topics.enable': 'false' } });
  raw = await RawClient.open(broker.bootstrap);
});
after(async () => {
  raw.close();
  await broker.stop();
});

async function kafkaClient() {
  const { default: kafkajs } = await import('kafkajs');
  return new kafkajs.Kafka({ brokers: [broker.bootstrap], logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 0 } });
}

async function createTopic(topic: string, configs: Record<string, string> = {}): Promise<void> {
  const admin = (await kafkaClient()).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }] });
  await admin.disconnect();
}

async function rawProduce(topic: string, records: Buffer, version = 9, acks = -1): Promise<ProduceResponse['responses'][number]['partitionResponses'][number]> {
  const id = correlation++;
  raw.sendRequest(0, version, id, { transactionalId: null, acks, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
  const res = await raw.response(0, version);
  assert.equal(res?.correlationId, id);
  return (res?.body as ProduceResponse).responses[0].partitionResponses[0];
}

async function listOffset(topic: string, timestamp: bigint): Promise<{ offset: bigint; timestamp: bigint }> {
  raw.sendRequest(2, 7, correlation++, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }] });
  const p = ((await raw.response(2, 7))?.body as ListOffsetsResponse).topics[0].partitions[0];
  assert.equal(p.errorCode, 0);
  return { offset: p.offset, timestamp: p.timestamp };
}

async function consume(topic: string) {
  const r = await kcat(['-b', broker.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-J']);
  assert.equal(r.code, 0, r.stderr);
  return parseJsonLines(r.stdout);
}

test('a raw batch with wrong offset deltas gets record_errors; nothing is appended; good traffic follows', async () => {
  await createTopic('v-offsets');
  const section = Buffer.concat([0, 1, 1, 3].map((offsetDelta) => recordBytes({ offsetDelta, key: Buffer.from(`k${offsetDelta}`) })));
  const bad = await rawProduce('v-offsets', assembleBatch(section, 4));
  assert.equal(bad.errorCode, ErrorCode.INVALID_RECORD);
  assert.deepEqual(bad.recordErrors.map((e) => e.batchIndex), [2]);
  assert.match(bad.recordErrors[0].batchIndexErrorMessage ?? '', /Record 2 has offset delta 1/);
  assert.match(bad.errorMessage ?? '', /1 record errors in total/);
  // A count that disagrees with the records: the record where decoding stopped is named.
  const short = await rawProduce('v-offsets', assembleBatch(Buffer.concat([0, 1].map((offsetDelta) => recordBytes({ offsetDelta }))), 3));
  assert.equal(short.errorCode, ErrorCode.INVALID_RECORD);
  assert.deepEqual(short.recordErrors.map((e) => e.batchIndex), [2]);
  const two = await rawProduce('v-offsets', Buffer.concat([await buildBatch([{ key: null, value: Buffer.from('a'), timestamp: Date.now() }]), await buildBatch([{ key: null, value: Buffer.from('b'), timestamp: Date.now() }])]));
  assert.equal(two.errorCode, ErrorCode.INVALID_RECORD);
  // KIP-110: zstd needs Produce v7 (Sarama 1.22 sends it in v3); nothing is stored.
  for (const version of [3, 6]) {
    const zstd = await rawProduce('v-offsets', await buildBatch([{ key: null, value: Buffer.from('z'), timestamp: Date.now() }], { compression: CompressionType.Zstd }), version);
    assert.equal(zstd.errorCode, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `Produce v${version}`);
  }

  const producer = (await kafkaClient()).producer();
  await producer.connect();
  const [meta] = await producer.send({ topic: 'v-offsets', messages: [{ key: 'a', value: 'first good' }, { key: 'b', value: 'second good' }] });
  await producer.disconnect();
  assert.equal(meta.baseOffset, '0', 'the refused batches took no offsets');
  assert.deepEqual((await consume('v-offsets')).map((m) => [m.offset, m.key, m.payload]), [[0, 'a', 'first good'], [1, 'b', 'second good']]);
});

test('a compacted topic answers keyless records with their indexes', async () => {
  await createTopic('v-compact', { 'cleanup.policy': 'compact' });
  const now = Date.now();
  const batch = await buildBatch(['a', null, 'c', null].map((key, i) => ({ key: key === null ? null : Buffer.from(key), value: Buffer.from(`v${i}`), timestamp: now })), { compression: CompressionType.Lz4 });
  const r = await rawProduce('v-compact', batch);
  assert.equal(r.errorCode, ErrorCode.INVALID_RECORD);
  assert.deepEqual(r.recordErrors.map((e) => e.batchIndex), [1, 3]);
  assert.match(r.recordErrors[0].batchIndexErrorMessage ?? '', /without key in topic partition v-compact-0/);
});

test('a batch whose header max_timestamp is -1 (Sarama 1.22) is found by ListOffsets and time indexes', async () => {
  await createTopic('v-maxts');
  const t0 = 1_750_000_000_000;
  for (let b = 0; b < 3; b++) {
    const recs = Array.from({ length: 4 }, (_, i) => ({ key: null, value: Buffer.from(`b${b}r${i}`), timestamp: t0 + b * 1000 + i * 10 }));
    const r = await rawProduce('v-maxts', withHeader(await buildBatch(recs), { maxTimestamp: -1n }));
    assert.equal(r.errorCode, 0);
  }
  // The first record at or after t0+1015 is batch 1's third record (offset 6), not "none".
  assert.deepEqual(await listOffset('v-maxts', BigInt(t0 + 1015)), { offset: 6n, timestamp: BigInt(t0 + 1020) });
  assert.deepEqual(await listOffset('v-maxts', BigInt(t0 + 2030)), { offset: 11n, timestamp: BigInt(t0 + 2030) });
  assert.equal((await listOffset('v-maxts', -3n)).offset, 11n, 'MAX_TIMESTAMP names the record with the largest timestamp');
  const got = await consume('v-maxts');
  assert.deepEqual(got.map((m) => m.ts), Array.from({ length: 12 }, (_, i) => t0 + Math.floor(i / 4) * 1000 + (i % 4) * 10));
});

test('message.timestamp.before/after.max.ms refuse out-of-range CreateTime records with INVALID_TIMESTAMP', async () => {
  await createTopic('v-time', { 'message.timestamp.before.max.ms': '3600000', 'message.timestamp.after.max.ms': '3600000' });
  const producer = (await kafkaClient()).producer();
  await producer.connect();
  const dayAgo = String(Date.now() - 86_400_000);
  await assert.rejects(producer.send({ topic: 'v-time', messages: [{ value: 'old', timestamp: dayAgo }] }), (err: unknown) => (err as { type?: string }).type === 'INVALID_TIMESTAMP');
  await producer.send({ topic: 'v-time', messages: [{ value: 'now' }] });
  await producer.disconnect();
  const now = Date.now();
  const recs = [now, now - 86_400_000, now, now + 86_400_000].map((timestamp, i) => ({ key: null, value: Buffer.from(`r${i}`), timestamp }));
  const r = await rawProduce('v-time', await buildBatch(recs, { compression: CompressionType.Gzip }));
  assert.equal(r.errorCode, ErrorCode.INVALID_TIMESTAMP);
  assert.deepEqual(r.recordErrors.map((e) => e.batchIndex), [1, 3]);
  assert.deepEqual((await consume('v-time')).map((m) => m.payload), ['now']);
});

test('compression.type=gzip stores kcat\'s and kafkajs\'s uncompressed batches gzip-compressed, readable by both', async () => {
  await createTopic('v-gzip', { 'compression.type': 'gzip' });
  const lines = Array.from({ length: 20 }, (_, i) => `line ${i} ${'x'.repeat(50)}`);
  const p = await kcat(['-b', broker.bootstrap, '-P', '-t', 'v-gzip', '-z', 'none', '-K', ':'], lines.map((l, i) => `k${i}:${l}`).join('\n') + '\n');
  assert.equal(p.code, 0, p.stderr);
  const producer = (await kafkaClient()).producer();
  await producer.connect();
  await producer.send({ topic: 'v-gzip', messages: [{ key: 'js', value: 'from kafkajs' }] });
  await producer.disconnect();
  const log = await readFile(logFile(join(broker.dataDir, partitionDirName('v-gzip', 0)), 0));
  const codecs: number[] = [];
  for (let at = 0; at < log.length; ) {
    const view = new RecordBatchView(log, at);
    assert.ok(view.isCrcValid());
    codecs.push(view.compression);
    at += view.sizeInBytes;
  }
  assert.ok(codecs.length >= 2);
  assert.ok(codecs.every((c) => c === CompressionType.Gzip), `stored codecs ${codecs.join()}`);
  const got = await consume('v-gzip');
  assert.deepEqual(got.map((m) => [m.key, m.payload]), [...lines.map((l, i) => [`k${i}`, l]), ['js', 'from kafkajs']]);
  const consumer = (await kafkaClient()).consumer({ groupId: 'v-gzip-reader' });
  await consumer.connect();
  await consumer.subscribe({ topic: 'v-gzip', fromBeginning: true });
  const values: string[] = [];
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        values.push(message.value?.toString() ?? '');
        if (values.length === lines.length + 1) resolve();
      },
    });
  });
  await consumer.disconnect();
  assert.deepEqual(values, [...lines, 'from kafkajs']);
});

test('min.insync.replicas above the replication factor is capped as in Kafka 3.7+: acks=all succeeds on one node', async () => {
  await createTopic('v-minisr', { 'min.insync.replicas': '2' });
  const producer = (await kafkaClient()).producer();
  await producer.connect();
  const [meta] = await producer.send({ topic: 'v-minisr', acks: -1, messages: [{ value: 'acked by all of one' }] });
  await producer.disconnect();
  assert.equal(meta.errorCode, 0);
  assert.deepEqual((await consume('v-minisr')).map((m) => m.payload), ['acked by all of one']);
});

test('a setting with a value the broker cannot honour is refused with INVALID_CONFIG and a reason', async () => {
  const admin = (await kafkaClient()).admin();
  await admin.connect();
  for (const [name, value] of [['compression.type', 'brotli']]) {
    await assert.rejects(
      admin.createTopics({ topics: [{ topic: `v-refused-${name}`, configEntries: [{ name, value }] }] }),
      (err: unknown) => JSON.stringify(err).includes('INVALID_CONFIG'),
      `${name}=${value}`,
    );
  }
  await admin.disconnect();
});

test('pipelined requests are appended in arrival order, however long each takes to validate', async () => {
  await createTopic('v-order');
  const now = Date.now();
  // A large gzip batch (decompressed on the libuv pool) followed at once by a small plain one.
  const slow = await buildBatch(Array.from({ length: 20_000 }, (_, i) => ({ key: null, value: Buffer.from(`slow ${i} ${'s'.repeat(40)}`), timestamp: now })), { compression: CompressionType.Gzip });
  const quick = await buildBatch([{ key: null, value: Buffer.from('quick'), timestamp: now }]);
  const frame = (id: number, records: Buffer) => Buffer.concat(encodeRequestFrame(0, 9, id, 'order', { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'v-order', partitionData: [{ index: 0, records }] }] }));
  raw.send(Buffer.concat([frame(1001, slow), frame(1002, quick)]));
  const first = await raw.response(0, 9);
  const second = await raw.response(0, 9);
  assert.equal(first?.correlationId, 1001);
  const offsets = [first, second].map((r) => (r?.body as ProduceResponse).responses[0].partitionResponses[0].baseOffset);
  assert.deepEqual(offsets, [0n, 20_000n], 'the first request to arrive got the first offsets');
});

test('a batch larger than segment.bytes is refused with RECORD_LIST_TOO_LARGE; smaller ones are stored', async () => {
  await createTopic('v-segment', { 'segment.bytes': '300' });
  const big = await buildBatch([{ key: null, value: Buffer.alloc(400, 7), timestamp: Date.now() }]);
  const refused = await rawProduce('v-segment', big);
  assert.equal(refused.errorCode, ErrorCode.RECORD_LIST_TOO_LARGE);
  assert.match(refused.errorMessage ?? '', /segment\.bytes=300/);
  const small = await rawProduce('v-segment', await buildBatch([{ key: null, value: Buffer.from('fits'), timestamp: Date.now() }]));
  assert.equal(small.errorCode, ErrorCode.NONE);
  assert.equal(small.baseOffset, 0n, 'the refused batch took no offset');
  assert.deepEqual((await consume('v-segment')).map((m) => m.payload), ['fits']);
});
