import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { RecordBatchView, CompressionType } from '../../../src/protocol/records/record-batch.js';
import { buildBatch, buildControlBatch, readBatchRecords, batchesIn, type NewRecord } from '../../../src/protocol/records/batch-records.js';
import { DecodeError } from '../../../src/protocol/codec-errors.js';
import { codecFor, CompressionError } from '../../../src/protocol/compression/index.js';
import { validateProducedRecords } from '../../../src/partition/log-validator.js';
import { logValidationConfig } from '../../../src/config/log-validation-config.js';
import { BrokerConfig } from '../../../src/config/broker-configs.js';
import { kafkajsBatch, type SampleRecord } from '../../helpers/kafkajs-batches.js';

const CODECS: [string, CompressionType][] = [
  ['none', CompressionType.None],
  ['gzip', CompressionType.Gzip],
  ['snappy', CompressionType.Snappy],
  ['lz4', CompressionType.Lz4],
  ['zstd', CompressionType.Zstd],
];

function samples(n: number): NewRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    key: i % 5 === 0 ? null : Buffer.from(`key-${i}`),
    value: i % 7 === 0 ? null : Buffer.from(`value ${i} ✓ ${'z'.repeat(i % 40)}`),
    headers: i % 3 === 0 ? [] : [{ key: 'trace', value: Buffer.from(String(i)) }, { key: 'ünï', value: i % 2 ? null : Buffer.alloc(0) }],
    timestamp: 1_700_000_000_000 + i * 10,
  }));
}

for (const [name, type] of CODECS) {
  test(`build and read back a ${name} batch: keys, values, nulls, headers, offsets, timestamps`, async () => {
    const records = samples(500);
    const batch = await buildBatch(records, { compression: type, baseOffset: 1000n });
    const view = new RecordBatchView(batch);
    assert.equal(view.compression, type);
    assert.equal(view.recordCount, 500);
    assert.equal(view.lastOffset, 1499n);
    assert.ok(view.isCrcValid());
    const read = await readBatchRecords(view);
    assert.equal(read.length, 500);
    read.forEach((r, i) => {
      assert.equal(r.offset, 1000n + BigInt(i));
      assert.equal(r.timestamp, BigInt(records[i].timestamp));
      assert.deepEqual(r.key, records[i].key);
      assert.deepEqual(r.value, records[i].value);
      assert.deepEqual(r.headers, records[i].headers);
    });
  });

  test(`a ${name} batch encoded by kafkajs passes the CRC check and decodes; one flipped byte fails it`, async () => {
    const records: SampleRecord[] = Array.from({ length: 50 }, (_, i) => ({
      key: i === 3 ? null : Buffer.from(`k${i}`),
      value: i === 4 ? null : Buffer.from(`kafkajs ${name} ${i}`),
      headers: (i % 2 ? { h: Buffer.from(`v${i}`) } : {}) as Record<string, Buffer>,
      timestamp: 1_700_000_000_000 + i,
    }));
    const bytes = await kafkajsBatch(records, type);
    const view = new RecordBatchView(bytes);
    assert.equal(view.magic, 2);
    assert.equal(view.compression, type);
    assert.ok(view.isCrcValid(), 'kafkajs batch CRC');
    const defaults = logValidationConfig(new BrokerConfig(), {});
    const validate = (records: Buffer) => validateProducedRecords({ topicPartition: 't-0', records, apiVersion: 9, now: Date.now() }, defaults);
    assert.equal((await validate(Buffer.from(bytes))).ok, true);
    const read = await readBatchRecords(view);
    assert.deepEqual(
      read.map((r) => [r.key?.toString() ?? null, r.value?.toString() ?? null, r.headers.map((h) => `${h.key}=${h.value?.toString()}`).join(), r.timestamp]),
      records.map((r) => [r.key?.toString() ?? null, r.value?.toString() ?? null, Object.entries(r.headers).map(([k, v]) => `${k}=${v.toString()}`).join(), BigInt(r.timestamp)]),
    );
    for (const at of [21, 30, 61, bytes.length - 1]) {
      const flipped = Buffer.from(bytes);
      flipped[at] ^= 0x01;
      assert.equal(new RecordBatchView(flipped).isCrcValid(), false, `flip at ${at}`);
      const result = await validate(flipped);
      assert.equal(result.ok ? 0 : result.errorCode, 2, 'CORRUPT_MESSAGE');
    }
  });
}

test('patching base offset and leader epoch keeps the CRC valid; log-append time recomputes it', async () => {
  const batch = await buildBatch(samples(3));
  const view = new RecordBatchView(batch);
  view.patchBaseOffset(42n);
  view.patchPartitionLeaderEpoch(7);
  assert.ok(view.isCrcValid());
  assert.equal(view.baseOffset, 42n);
  view.patchLogAppendTime(1_800_000_000_000n);
  assert.ok(view.isCrcValid());
  const read = await readBatchRecords(view);
  assert.ok(read.every((r) => r.timestamp === 1_800_000_000_000n));
});

test('control batches carry the marker key and value', async () => {
  const batch = await buildControlBatch(1, 5, 99n, 2, 1_700_000_000_000);
  const view = new RecordBatchView(batch);
  assert.ok(view.isControl && view.isTransactional);
  const [marker] = await readBatchRecords(view);
  assert.equal(marker.key?.readInt16BE(2), 1);
  assert.equal(marker.value?.readInt32BE(2), 5);
});

test('malformed records are DecodeErrors, never crashes', async () => {
  const good = await buildBatch(samples(20));
  for (let cut = 62; cut < good.length; cut += 7) {
    const truncated = Buffer.from(good.subarray(0, cut));
    truncated.writeInt32BE(cut - 12, 8);
    await assert.rejects(readBatchRecords(new RecordBatchView(truncated)), DecodeError);
  }
  const bad = Buffer.from(good);
  bad.fill(0xff, 61, 66); // an overlong varint as the first record's length
  await assert.rejects(readBatchRecords(new RecordBatchView(bad)), DecodeError);
  const negative = Buffer.from(good);
  negative[61] = 0x03; // zig-zag -2: a negative record length
  await assert.rejects(readBatchRecords(new RecordBatchView(negative)), DecodeError);
  assert.equal([...batchesIn(Buffer.concat([good, good.subarray(0, 30)]))].length, 1, 'a torn trailing batch is not returned');
});

test('decompression refuses bombs and garbage with a CompressionError', async () => {
  const bomb = gzipSync(Buffer.alloc(256 * 1024 * 1024));
  assert.ok(bomb.length < 1024 * 1024);
  await assert.rejects(codecFor(CompressionType.Gzip).decompress(bomb, 1024 * 1024), CompressionError);
  for (const type of [CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd]) {
    const codec = codecFor(type);
    const big = await codec.compress(Buffer.alloc(8 * 1024 * 1024, 7));
    await assert.rejects(codec.decompress(big, 1024 * 1024), CompressionError, `${codec.name} bomb`);
    assert.equal((await codec.decompress(big, 16 * 1024 * 1024)).length, 8 * 1024 * 1024);
    for (const garbage of [Buffer.alloc(0), Buffer.from('not compressed at all'), Buffer.alloc(100, 0xff)]) {
      await assert.rejects(codec.decompress(garbage, 1 << 20), CompressionError, `${codec.name} garbage`);
    }
  }
  await assert.rejects(codecFor(CompressionType.Gzip).decompress(Buffer.from('garbage'), 1 << 20), CompressionError);
  assert.throws(() => codecFor(6), CompressionError);
});

test('snappy reads the xerial framing the Java client writes', async () => {
  const snappy = codecFor(CompressionType.Snappy);
  const a = await snappy.compress(Buffer.from('hello '));
  const b = await snappy.compress(Buffer.from('xerial'));
  const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
  const len = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
  const framed = Buffer.concat([header, len(a.length), a, len(b.length), b]);
  assert.equal((await snappy.decompress(framed, 1024)).toString(), 'hello xerial');
  await assert.rejects(snappy.decompress(Buffer.concat([header, len(1000), a]), 1024), CompressionError);
});
