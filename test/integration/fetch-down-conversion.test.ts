// Old consumers read what current producers wrote: Fetch v0-3 get the stored v2 batches
// down-converted to magic 0 (v0-1) or magic 1 (v2-3). Checked with raw frames decoded by an
// independent reader, with kcat pinned to old protocol versions (librdkafka without ApiVersions),
// and in fetch-old-clients.test.ts with kafka-python pinned to old broker versions.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { kcat, parseJsonLines } from '../helpers/kcat.js';
import { registerKafkajsCodecs } from '../helpers/kafkajs-codecs.js';
import { readLegacySet, rawMessages } from '../helpers/legacy-messages.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { batchesIn, readBatchRecords } from '../../src/protocol/records/batch-records.js';
import type { FetchRequestInput, FetchResponse } from '../../src/protocol/generated/index.js';

const { CompressionTypes } = kafkajs;
const CODECS = [
  ['none', CompressionTypes.None],
  ['gzip', CompressionTypes.GZIP],
  ['snappy', CompressionTypes.Snappy],
  ['lz4', CompressionTypes.LZ4],
] as const;
const T0 = 1_760_000_000_000;

interface Stored {
  offset: bigint;
  key: string | null;
  value: string | null;
  timestamp: bigint;
  /** The compression of the stored batch holding it (librdkafka sends small batches uncompressed). */
  codec: number;
}

let broker: RunningBroker;
let raw: RawClient;
let correlation = 1;
/** What each topic holds, read back as v2 batches (Fetch v12): the ground truth. */
const stored = new Map<string, Stored[]>();

async function kafkaClient() {
  registerKafkajsCodecs();
  return new kafkajs.Kafka({ brokers: [broker.bootstrap], logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 0 } });
}

const part = (fetchOffset: bigint, partitionMaxBytes = 1 << 20) => ({ partition: 0, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes });

async function fetchPartition(topic: string, version: number, fetchOffset = 0n, partitionMaxBytes = 1 << 20): Promise<FetchResponse['responses'][number]['partitions'][number]> {
  const request: FetchRequestInput = {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, partitions: [part(fetchOffset, partitionMaxBytes)] }], forgottenTopicsData: [], rackId: '',
  };
  const id = correlation++;
  raw.sendRequest(1, version, id, request);
  const answer = await raw.response(1, version);
  assert.equal(answer?.correlationId, id);
  const body = answer?.body as FetchResponse;
  assert.equal(body.responses.length, 1, `Fetch v${version} answers the topic`);
  return body.responses[0].partitions[0];
}

async function readStored(topic: string): Promise<Stored[]> {
  const p = await fetchPartition(topic, 12);
  assert.equal(p.errorCode, 0);
  const out: Stored[] = [];
  for (const view of batchesIn(p.records ?? Buffer.alloc(0))) {
    for (const r of await readBatchRecords(view)) out.push({ offset: r.offset, key: r.key?.toString() ?? null, value: r.value?.toString() ?? null, timestamp: r.timestamp, codec: view.compression });
  }
  return out;
}

async function createTopic(topic: string, configs: Record<string, string> = {}): Promise<void> {
  const admin = (await kafkaClient()).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }] });
  await admin.disconnect();
}

before(async () => {
  broker = await startBroker({ port: 0, config: { 'auto.create.topics.enable': 'false' } });
  raw = await RawClient.open(broker.bootstrap);
  const producer = (await kafkaClient()).producer();
  await producer.connect();
  for (const [name, compression] of CODECS) {
    const topic = `dc-${name}`;
    await createTopic(topic);
    // A kafkajs batch with headers (which the old formats drop), a null key and a null value...
    await producer.send({
      topic,
      compression,
      messages: [
        { key: 'js-0', value: `kafkajs ${name} 0`, headers: { trace: 'dropped' }, timestamp: String(T0 + 30) },
        { key: null, value: `kafkajs ${name} 1`, timestamp: String(T0 + 10) },
        { key: 'js-2', value: null, timestamp: String(T0 + 20) },
      ],
    });
    // ...then one from librdkafka.
    const p = await kcat(['-b', broker.bootstrap, '-P', '-t', topic, '-z', name, '-K', ':'], `kc-3:kcat ${name} 3\nkc-4:kcat ${name} 4\n`);
    assert.equal(p.code, 0, p.stderr);
    stored.set(topic, await readStored(topic));
    assert.equal(stored.get(topic)?.length, 5);
  }
  await producer.disconnect();
});
after(async () => {
  raw.close();
  await broker.stop();
});

for (const [name] of CODECS) {
  test(`${name}: Fetch v0-3 answer magic 0/1 message sets holding every stored record`, async () => {
    const topic = `dc-${name}`;
    const expected = stored.get(topic) ?? [];
    for (const version of [0, 1, 2, 3]) {
      const magic = version <= 1 ? 0 : 1;
      const p = await fetchPartition(topic, version);
      assert.equal(p.errorCode, 0);
      assert.equal(p.highWatermark, 5n);
      const read = await readLegacySet(p.records ?? Buffer.alloc(0));
      // A record of a compressed batch comes in a wrapper of that codec; others on their own.
      assert.deepEqual(
        read.map((r) => ({ offset: r.offset, key: r.key, value: r.value, timestamp: r.timestamp, codec: r.wrapper?.codec ?? 0 })),
        expected.map((e) => ({ ...e, timestamp: magic === 1 ? e.timestamp : null })),
        `Fetch v${version}`,
      );
      assert.ok(read.every((r) => r.magic === magic));
    }
    if (name !== 'none') assert.equal(expected[0].codec, CODECS.findIndex(([n]) => n === name), 'the kafkajs batch is stored compressed');
    // From the middle of the first batch: an uncompressed one starts there, a compressed one comes whole.
    const middle = await readLegacySet((await fetchPartition(topic, 3, 1n)).records ?? Buffer.alloc(0));
    assert.deepEqual(middle.map((r) => r.offset), name === 'none' ? [1n, 2n, 3n, 4n] : [0n, 1n, 2n, 3n, 4n]);
  });
}

// librdkafka sends ApiVersions whenever its fallback version is 0.10 or later, so kcat can be
// pinned to Fetch v0 and v1 only; kafka-python covers v2 and v3 (fetch-old-clients.test.ts).
for (const [fallback, fetchVersion] of [['0.8.2', 0], ['0.9.0', 1]] as const) {
  test(`kcat without ApiVersions, as a ${fallback} client (Fetch v${fetchVersion}), reads every codec`, async () => {
    for (const [name] of CODECS) {
      const topic = `dc-${name}`;
      const r = await kcat(['-b', broker.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-J', '-X', 'api.version.request=false', '-X', `broker.version.fallback=${fallback}`, '-d', 'protocol']);
      assert.equal(r.code, 0, r.stderr);
      // librdkafka logs every request it sends: the old versions really were on the wire.
      assert.match(r.stderr, new RegExp(`Sent FetchRequest \\(v${fetchVersion},`));
      assert.doesNotMatch(r.stderr, /Sent FetchRequest \(v([2-9]|1\d),/);
      const got = parseJsonLines(r.stdout);
      const expected = stored.get(topic) ?? [];
      assert.deepEqual(got.map((m) => [m.offset, m.key, m.payload]), expected.map((e) => [Number(e.offset), e.key, e.value]), `${fallback} ${name}`);
      // Magic 0 has no timestamps.
      assert.ok(got.every((m) => m.ts === undefined), JSON.stringify(got[0]));
    }
  });
}

test('partition_max_bytes bounds the converted answer in whole messages; a first message larger than it comes whole', async () => {
  await createTopic('dc-budget');
  const value = 'x'.repeat(1000);
  const producer = (await kafkaClient()).producer();
  await producer.connect();
  await producer.send({ topic: 'dc-budget', messages: Array.from({ length: 20 }, (_, i) => ({ key: `k${String(i).padStart(2, '0')}`, value, timestamp: String(T0) })) });
  await producer.send({ topic: 'dc-budget', messages: [{ key: 'big', value: 'y'.repeat(5000), timestamp: String(T0) }] });
  await producer.disconnect();
  // A magic 1 message of this record: 12 (offset, size) + 22 (crc ... lengths) + key 3 + value 1000.
  const entry = 12 + 22 + 3 + 1000;
  const p = await fetchPartition('dc-budget', 3, 0n, 5000);
  const set = p.records ?? Buffer.alloc(0);
  assert.equal(set.length, 4 * entry, 'four whole messages fit in 5000 bytes');
  assert.equal(rawMessages(set).partialTail, false);
  assert.deepEqual((await readLegacySet(set)).map((r) => r.key), ['k00', 'k01', 'k02', 'k03']);
  const oversized = await readLegacySet((await fetchPartition('dc-budget', 2, 20n, 100)).records ?? Buffer.alloc(0));
  assert.deepEqual(oversized.map((r) => [r.offset, r.key, r.value?.length]), [[20n, 'big', 5000]]);
  // kcat at Fetch v1 with a small fetch size still reads all 21 in order.
  const r = await kcat(['-b', broker.bootstrap, '-C', '-t', 'dc-budget', '-o', 'beginning', '-e', '-J', '-X', 'api.version.request=false', '-X', 'broker.version.fallback=0.9.0', '-X', 'fetch.message.max.bytes=3000']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(parseJsonLines(r.stdout).map((m) => m.key), [...Array.from({ length: 20 }, (_, i) => `k${String(i).padStart(2, '0')}`), 'big']);
});

test('message.downconversion.enable=false: Fetch v0-3 answer UNSUPPORTED_VERSION for the topic, v4+ read it', async () => {
  await createTopic('dc-disabled', { 'message.downconversion.enable': 'false' });
  const p = await kcat(['-b', broker.bootstrap, '-P', '-t', 'dc-disabled'], 'kept as stored\n');
  assert.equal(p.code, 0, p.stderr);
  for (const version of [0, 1, 2, 3]) {
    const answer = await fetchPartition('dc-disabled', version);
    assert.deepEqual([answer.errorCode, answer.records?.length ?? 0], [ErrorCode.UNSUPPORTED_VERSION, 0], `Fetch v${version}`);
  }
  const modern = await fetchPartition('dc-disabled', 4);
  assert.equal(modern.errorCode, 0);
  assert.equal([...batchesIn(modern.records ?? Buffer.alloc(0))].length, 1);
  // The other topics still convert.
  assert.equal((await fetchPartition('dc-none', 2)).errorCode, 0);
});

test('zstd never reaches Fetch below v10: batches before it are returned, a zstd batch first answers UNSUPPORTED_COMPRESSION_TYPE', async () => {
  await createTopic('dc-zstd');
  const producer = (await kafkaClient()).producer();
  await producer.connect();
  await producer.send({ topic: 'dc-zstd', messages: [{ key: 'plain', value: 'readable by all' }] });
  await producer.send({ topic: 'dc-zstd', compression: CompressionTypes.ZSTD, messages: [{ key: 'z', value: 'zstd only' }] });
  await producer.disconnect();
  for (const version of [1, 3]) {
    const before = await fetchPartition('dc-zstd', version);
    assert.equal(before.errorCode, 0);
    assert.deepEqual((await readLegacySet(before.records ?? Buffer.alloc(0))).map((r) => [r.offset, r.key]), [[0n, 'plain']], `Fetch v${version}`);
    assert.equal((await fetchPartition('dc-zstd', version, 1n)).errorCode, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  }
  const v9 = await fetchPartition('dc-zstd', 9);
  assert.deepEqual([v9.errorCode, [...batchesIn(v9.records ?? Buffer.alloc(0))].map((b) => b.baseOffset)], [0, [0n]]);
  assert.equal((await fetchPartition('dc-zstd', 9, 1n)).errorCode, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  assert.deepEqual([...batchesIn((await fetchPartition('dc-zstd', 10)).records ?? Buffer.alloc(0))].map((b) => b.baseOffset), [0n, 1n]);
  // A topic stored in zstd answers every old fetch with the error, as Kafka does.
  await createTopic('dc-zstd-topic', { 'compression.type': 'zstd' });
  for (const version of [2, 9]) assert.equal((await fetchPartition('dc-zstd-topic', version)).errorCode, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  assert.equal((await fetchPartition('dc-zstd-topic', 10)).errorCode, 0);
});

test('LogAppendTime topics: magic 1 messages carry the broker\'s append time and say so', async () => {
  await createTopic('dc-append-time', { 'message.timestamp.type': 'LogAppendTime' });
  const producer = (await kafkaClient()).producer();
  await producer.connect();
  await producer.send({ topic: 'dc-append-time', compression: CompressionTypes.GZIP, messages: [{ value: 'a', timestamp: String(T0) }, { value: 'b', timestamp: String(T0) }] });
  await producer.send({ topic: 'dc-append-time', messages: [{ value: 'c', timestamp: String(T0) }] });
  await producer.disconnect();
  const appended = (await readStored('dc-append-time')).map((r) => r.timestamp);
  assert.ok(appended[0] > BigInt(T0));
  const read = await readLegacySet((await fetchPartition('dc-append-time', 2)).records ?? Buffer.alloc(0));
  assert.deepEqual(read.map((r) => [r.value, r.timestamp, r.logAppendTime]), [['a', appended[0], true], ['b', appended[1], true], ['c', appended[2], true]]);
  assert.deepEqual([read[0].wrapper?.logAppendTime, read[0].wrapper?.timestamp, read[2].wrapper], [true, appended[0], null]);
});
