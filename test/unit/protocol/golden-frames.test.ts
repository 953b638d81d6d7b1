// Request frames captured from real clients (kcat/librdkafka 2.0, kafkajs 2.2, @platformatic/kafka,
// kafka-python 2.0) by scripts/capture-client-frames.ts, for every API each of them speaks: the decoders read them, re-encoding gives the same bytes,
// and the record batches inside Produce requests verify and decode to what the clients sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeRequestFrame, encodeRequestFrame } from '../../../src/protocol/request-codec.js';
import { batchesIn, readBatchRecords } from '../../../src/protocol/records/batch-records.js';
import { CompressionType, RecordBatchView } from '../../../src/protocol/records/record-batch.js';
import type { ProduceRequest } from '../../../src/protocol/generated/index.js';
import { CAPTURE_MESSAGES, type FixtureEntry } from '../../../scripts/capture/fixture-format.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../../../test/fixtures/frames');
const CODEC: Record<string, CompressionType> = { none: CompressionType.None, idempotent: CompressionType.None, transactional: CompressionType.None, gzip: CompressionType.Gzip, snappy: CompressionType.Snappy, lz4: CompressionType.Lz4, zstd: CompressionType.Zstd };

const clients = readdirSync(ROOT);

test('fixtures exist for the four clients and cover ApiVersions, Metadata, Produce with every codec, Fetch and the group APIs', () => {
  assert.deepEqual(clients.sort(), ['kafka-python', 'kafkajs', 'kcat', 'platformatic']);
  const all = clients.flatMap((c) => (JSON.parse(readFileSync(join(ROOT, c, 'index.json'), 'utf8')) as FixtureEntry[]).map((e) => `${c}:${e.apiName}:${e.label}`));
  for (const c of clients) for (const api of ['ApiVersions', 'Metadata']) assert.ok(all.some((a) => a.startsWith(`${c}:${api}:`)), `${c} ${api}`);
  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) assert.ok(all.includes(`kcat:Produce:${codec}`) && all.includes(`kafkajs:Produce:${codec}`), codec);
  for (const c of clients) for (const api of ['Fetch', 'ListOffsets', 'FindCoordinator', 'JoinGroup', 'SyncGroup', 'Heartbeat', 'LeaveGroup', 'OffsetFetch']) assert.ok(all.includes(`${c}:${api}:`), `${c} ${api}`);
  for (const c of ['kcat', 'kafkajs', 'platformatic']) assert.ok(all.includes(`${c}:InitProducerId:`) && all.includes(`${c}:Produce:idempotent`), `${c} idempotent producing`);
  assert.ok(all.length >= 90, `${all.length} fixtures`);
});

for (const client of clients) {
  const entries = JSON.parse(readFileSync(join(ROOT, client, 'index.json'), 'utf8')) as FixtureEntry[];
  for (const e of entries) {
    test(`${client} ${e.file}: decodes, and re-encodes to the identical bytes`, async () => {
      const frame = readFileSync(join(ROOT, client, e.file));
      const decoded = decodeRequestFrame(frame);
      assert.equal(decoded.header.requestApiKey, e.apiKey);
      assert.equal(decoded.header.requestApiVersion, e.apiVersion);
      const again = Buffer.concat(encodeRequestFrame(e.apiKey, e.apiVersion, decoded.header.correlationId, decoded.header.clientId, decoded.body)).subarray(4);
      assert.ok(again.equals(frame), `re-encoded ${again.length} bytes differ from the captured ${frame.length}`);
      if (e.apiKey !== 0) return;
      const produce = decoded.body as ProduceRequest;
      const records = produce.topicData[0].partitionData[0].records;
      assert.ok(records);
      const views = [...batchesIn(records)];
      assert.ok(views.length >= 1);
      const got: string[] = [];
      for (const view of views) {
        assert.equal(view.magic, 2);
        assert.equal(view.compression, CODEC[e.label], `compression bits for ${e.label}`);
        assert.ok(view.isCrcValid(), 'CRC-32C of the captured batch');
        assert.equal(view.isTransactional, e.label === 'transactional', 'the transactional attribute bit');
        for (const r of await readBatchRecords(view)) got.push(`${r.key?.toString()}=${r.value?.toString()}|${r.headers.map((h) => `${h.key}:${h.value?.toString()}`).join()}`);
      }
      assert.deepEqual(got, CAPTURE_MESSAGES.map((m) => `${m.key}=${m.value}|source:${client}`));
      const flipped = Buffer.from(records);
      flipped[flipped.length - 3] ^= 0x10;
      assert.equal(new RecordBatchView(flipped).isCrcValid(), false, 'one flipped byte fails the CRC');
    });
  }
}
