// Down-conversion of stored v2 batches to magic 0/1 message sets (Fetch v0-3), decoded back by
// an independent reader: offsets, keys, values, timestamps, wrappers per codec, budgets, and the
// batches the old formats cannot carry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildBatch, buildControlBatch, CONTROL_COMMIT, type NewRecord } from '../../../src/protocol/records/batch-records.js';
import { CompressionType, RecordBatchView, TimestampType } from '../../../src/protocol/records/record-batch.js';
import { downConvert, type DownConversionOptions } from '../../../src/protocol/records/down-convert.js';
import { legacyEntrySize } from '../../../src/protocol/records/legacy-message-writer.js';
import { magic0HeaderChecksum, properHeaderChecksum } from '../../../src/protocol/compression/lz4-legacy-framing.js';
import { readLegacySet, rawMessages } from '../../helpers/legacy-messages.js';
import { readLegacyMessageSet } from '../../../src/protocol/records/legacy-message-set.js';

const T0 = 1_700_000_000_000;
const CODECS: [string, CompressionType][] = [
  ['uncompressed', CompressionType.None],
  ['gzip', CompressionType.Gzip],
  ['snappy', CompressionType.Snappy],
  ['lz4', CompressionType.Lz4],
];

function records(n: number, tag: string): NewRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    key: i % 4 === 0 ? null : Buffer.from(`${tag}-key-${i}`),
    value: i === 2 ? null : Buffer.from(`${tag} value ${i} ${'v'.repeat(i * 3)}`),
    headers: [{ key: 'dropped', value: Buffer.from('by down-conversion') }],
    // Not in order: the wrapper's timestamp must be the largest, not the last.
    timestamp: T0 + (i === 1 ? 500 : i * 10),
  }));
}

/** Two stored batches at offsets 100-104 and 105-107, as the log holds them. */
async function storedLog(compression: CompressionType): Promise<{ bytes: Buffer; expected: { offset: bigint; key: string | null; value: string | null; timestamp: bigint }[] }> {
  const a = records(5, 'a');
  const b = records(3, 'b');
  const bytes = Buffer.concat([await buildBatch(a, { compression, baseOffset: 100n }), await buildBatch(b, { compression, baseOffset: 105n })]);
  const expected = [...a, ...b].map((r, i) => ({ offset: 100n + BigInt(i), key: r.key?.toString() ?? null, value: r.value?.toString() ?? null, timestamp: BigInt(r.timestamp) }));
  return { bytes, expected };
}

function options(o: Partial<DownConversionOptions> & { toMagic: 0 | 1 }): DownConversionOptions {
  return { firstOffset: 0n, maxBytes: 1 << 20, minOneMessage: true, maxDecompressedBytes: 1 << 24, ...o };
}

for (const [name, codec] of CODECS) {
  for (const magic of [0, 1] as const) {
    test(`${name} v2 batches down-convert to magic ${magic}: offsets, keys, values${magic === 1 ? ', timestamps' : ''} kept, headers dropped`, async () => {
      const { bytes, expected } = await storedLog(codec);
      const converted = await downConvert(bytes, options({ toMagic: magic, firstOffset: 100n }));
      assert.equal(converted.stoppedAtZstd, false);
      const read = await readLegacySet(converted.records);
      assert.deepEqual(
        read.map((r) => ({ offset: r.offset, key: r.key, value: r.value, timestamp: r.timestamp })),
        expected.map((e) => ({ ...e, timestamp: magic === 1 ? e.timestamp : null })),
      );
      assert.ok(read.every((r) => r.magic === magic && !r.logAppendTime));
      assert.equal(rawMessages(converted.records).partialTail, false);
      if (codec === CompressionType.None) {
        assert.equal(converted.messages, 8, 'one message per record');
        assert.ok(read.every((r) => r.wrapper === null));
        return;
      }
      // One wrapper per batch, in the batch's codec, at its last offset, with the largest timestamp.
      assert.equal(converted.messages, 2);
      const wrappers = [...new Set(read.map((r) => r.wrapper))];
      assert.deepEqual(wrappers.map((w) => [w?.codec, w?.offset, w?.timestamp]), [[codec, 104n, magic === 1 ? BigInt(T0 + 500) : null], [codec, 107n, magic === 1 ? BigInt(T0 + 500) : null]]);
      // Inner offsets: relative to the wrapper's first message for magic 1, absolute for magic 0.
      assert.deepEqual(wrappers[1]?.innerOffsets, magic === 1 ? [0n, 1n, 2n] : [105n, 106n, 107n]);
      if (codec === CompressionType.Lz4) {
        const frame = wrappers[0]?.value ?? Buffer.alloc(0);
        const hc = frame[6];
        // Magic 0 keeps Kafka's old header checksum (over the frame magic too); magic 1 LZ4's own.
        assert.equal(hc, magic === 0 ? magic0HeaderChecksum(frame) : properHeaderChecksum(frame));
        assert.notEqual(magic0HeaderChecksum(frame), properHeaderChecksum(frame));
      }
    });
  }
}

test('a fetch from the middle of an uncompressed batch leaves out the records below it; a compressed batch goes whole', async () => {
  const plain = await storedLog(CompressionType.None);
  const fromMiddle = await readLegacySet((await downConvert(plain.bytes, options({ toMagic: 1, firstOffset: 103n }))).records);
  assert.deepEqual(fromMiddle.map((r) => r.offset), [103n, 104n, 105n, 106n, 107n]);
  const gzip = await storedLog(CompressionType.Gzip);
  const whole = await readLegacySet((await downConvert(gzip.bytes, options({ toMagic: 1, firstOffset: 103n }))).records);
  assert.deepEqual(whole.map((r) => r.offset), [100n, 101n, 102n, 103n, 104n, 105n, 106n, 107n], 'the consumer skips what it did not ask for');
});

test('LogAppendTime batches: every magic 1 message carries the append time and the timestamp type', async () => {
  for (const codec of [CompressionType.None, CompressionType.Snappy]) {
    const batch = await buildBatch(records(3, 'lat'), { compression: codec, baseOffset: 7n, timestampType: TimestampType.LogAppendTime });
    new RecordBatchView(batch).patchLogAppendTime(BigInt(T0 + 99_999));
    const read = await readLegacySet((await downConvert(batch, options({ toMagic: 1 }))).records);
    assert.deepEqual(read.map((r) => [r.offset, r.timestamp, r.logAppendTime]), [7n, 8n, 9n].map((o) => [o, BigInt(T0 + 99_999), true]));
    if (codec !== CompressionType.None) assert.deepEqual([read[0].wrapper?.timestamp, read[0].wrapper?.logAppendTime], [BigInt(T0 + 99_999), true]);
  }
});

test('offsets left out by compaction stay as they are, inside and outside wrappers', async () => {
  const kept = [0, 3, 4, 9].map((offsetDelta) => ({ key: Buffer.from(`k${offsetDelta}`), value: Buffer.from(`v${offsetDelta}`), timestamp: T0 + offsetDelta, offsetDelta }));
  for (const codec of [CompressionType.None, CompressionType.Lz4]) {
    for (const magic of [0, 1] as const) {
      const batch = await buildBatch(kept, { compression: codec, baseOffset: 50n });
      const read = await readLegacySet((await downConvert(batch, options({ toMagic: magic }))).records);
      assert.deepEqual(read.map((r) => [r.offset, r.key]), [[50n, 'k0'], [53n, 'k3'], [54n, 'k4'], [59n, 'k9']], `codec ${codec} magic ${magic}`);
    }
  }
});

test('control batches are left out; conversion stops before a zstd batch, and reports one that comes first', async () => {
  const plain = await buildBatch(records(2, 'p'), { baseOffset: 0n });
  const marker = await buildControlBatch(CONTROL_COMMIT, 0, 5n, 0, T0);
  marker.writeBigInt64BE(2n, 0);
  const zstd = await buildBatch(records(2, 'z'), { baseOffset: 3n, compression: CompressionType.Zstd });
  const after = await buildBatch(records(1, 'q'), { baseOffset: 5n });
  const converted = await downConvert(Buffer.concat([plain, marker, zstd, after]), options({ toMagic: 1 }));
  assert.deepEqual((await readLegacySet(converted.records)).map((r) => r.offset), [0n, 1n]);
  assert.equal(converted.stoppedAtZstd, true);
  const first = await downConvert(Buffer.concat([marker, zstd, after]), options({ toMagic: 0 }));
  assert.deepEqual([first.records.length, first.messages, first.stoppedAtZstd], [0, 0, true]);
});

test('the budget: whole messages while they fit; a first message larger than the budget comes whole only when allowed', async () => {
  const { bytes } = await storedLog(CompressionType.None);
  const read = await readLegacySet((await downConvert(bytes, options({ toMagic: 1, firstOffset: 100n }))).records);
  const sizes = read.map((r) => legacyEntrySize(1, r.key === null ? null : Buffer.from(r.key), r.value === null ? null : Buffer.from(r.value)));
  const threeFit = sizes[0] + sizes[1] + sizes[2];
  const cut = await downConvert(bytes, options({ toMagic: 1, firstOffset: 100n, maxBytes: threeFit + sizes[3] - 1 }));
  assert.deepEqual((await readLegacySet(cut.records)).map((r) => r.offset), [100n, 101n, 102n]);
  assert.equal(cut.records.length, threeFit);
  const oversized = await downConvert(bytes, options({ toMagic: 1, firstOffset: 100n, maxBytes: 10 }));
  assert.deepEqual((await readLegacySet(oversized.records)).map((r) => r.offset), [100n], 'only the first message goes past the budget');
  const refused = await downConvert(bytes, options({ toMagic: 1, firstOffset: 100n, maxBytes: 10, minOneMessage: false }));
  assert.deepEqual([refused.records.length, refused.messages], [0, 0]);
  // Compressed batches are all or nothing: the second wrapper does not fit beside the first.
  const gzip = await storedLog(CompressionType.Gzip);
  const firstWrapper = rawMessages((await downConvert(gzip.bytes, options({ toMagic: 0 }))).records).messages[0];
  const oneWrapper = await downConvert(gzip.bytes, options({ toMagic: 0, maxBytes: 12 + (firstWrapper.value?.length ?? 0) + 14 + 8 }));
  assert.deepEqual((await readLegacySet(oneWrapper.records)).map((r) => r.offset), [100n, 101n, 102n, 103n, 104n]);
});

test('a magic 0 LZ4 wrapper with Kafka\'s old header checksum is read back by the Produce v0-1 reader (Kafka ignores that checksum for magic 0)', async () => {
  const { bytes, expected } = await storedLog(CompressionType.Lz4);
  const set = (await downConvert(bytes, options({ toMagic: 0 }))).records;
  const wrapper = rawMessages(set).messages[0].value ?? Buffer.alloc(0);
  assert.equal(wrapper[6], magic0HeaderChecksum(wrapper), 'the old checksum, which LZ4 libraries reject');
  const read = await readLegacyMessageSet(set, 1 << 20);
  assert.deepEqual(read.records.map((r) => [r.key?.toString() ?? null, r.value?.toString() ?? null]), expected.map((e) => [e.key, e.value]));
  assert.deepEqual([read.compression, read.magic], [CompressionType.Lz4, 0]);
});
