// The log validator against hand-built batches: each carries one fault behind a valid CRC, and
// must come back with Kafka's error code, its message and (for per-record faults) record_errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateProducedRecords, type ValidationResult } from '../../../src/partition/log-validator.js';
import { MAX_LISTED_RECORD_ERRORS } from '../../../src/partition/record-checks.js';
import { logValidationConfig, type LogValidationConfig } from '../../../src/config/log-validation-config.js';
import { BrokerConfig } from '../../../src/config/broker-configs.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';
import { codecFor } from '../../../src/protocol/compression/index.js';
import { buildBatch, readBatchRecords, type NewRecord } from '../../../src/protocol/records/batch-records.js';
import { CompressionType, RecordBatchView, TimestampType } from '../../../src/protocol/records/record-batch.js';
import { assembleBatch, plainRecords, recordBytes, withHeader } from '../../helpers/batch-surgery.js';
import { Rng } from '../../helpers/protocol-samples.js';

const NOW = 1_700_000_000_000;

function config(topic: Record<string, string> = {}, broker: Record<string, string> = {}): LogValidationConfig {
  return logValidationConfig(new BrokerConfig(Object.entries(broker)), topic);
}

function validate(records: Buffer | null, cfg: LogValidationConfig = config(), apiVersion = 9, now = NOW): Promise<ValidationResult> {
  return validateProducedRecords({ topicPartition: 't-0', records, apiVersion, now }, cfg);
}

async function rejected(records: Buffer | null, cfg?: LogValidationConfig, apiVersion?: number, now?: number): Promise<{ errorCode: number; message: string; indexes: number[]; messages: string[] }> {
  const r = await validate(records, cfg, apiVersion, now);
  if (r.ok) assert.fail('the batch was accepted');
  return { errorCode: r.errorCode, message: r.message, indexes: r.recordErrors.map((e) => e.batchIndex), messages: r.recordErrors.map((e) => e.batchIndexErrorMessage) };
}

function records(n: number, at = NOW, key: (i: number) => Buffer | null = (i) => Buffer.from(`k${i}`)): NewRecord[] {
  return Array.from({ length: n }, (_, i) => ({ key: key(i), value: Buffer.from(`value ${i}`), timestamp: at + i }));
}

test('valid batches of every codec pass, and come out unchanged when the header is right', async () => {
  for (const compression of [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd]) {
    const batch = await buildBatch(records(50), { compression, producerId: -1n, producerEpoch: 0, baseSequence: 0 });
    const copy = Buffer.from(batch);
    const r = await validate(copy);
    assert.ok(r.ok, `codec ${compression}`);
    assert.ok(r.records.buffer === copy.buffer && r.records.byteOffset === copy.byteOffset, 'the produced bytes themselves go to the log');
    assert.deepEqual(r.records, batch, 'not one byte changed');
    assert.equal(r.maxTimestamp, BigInt(NOW + 49));
    assert.equal(r.logAppendTime, null);
  }
});

test('a max timestamp of -1 in the header (Sarama 1.22) is replaced by the records\' max, with a new CRC', async () => {
  for (const compression of [CompressionType.None, CompressionType.Lz4]) {
    // Timestamps out of order: the max is the third record's, not the last one's.
    const recs = [NOW + 5, NOW + 1, NOW + 90, NOW + 7].map((timestamp, i) => ({ key: Buffer.from(`k${i}`), value: null, timestamp }));
    const batch = withHeader(await buildBatch(recs, { compression }), { maxTimestamp: -1n });
    const r = await validate(batch);
    assert.ok(r.ok);
    const view = new RecordBatchView(r.records);
    assert.equal(view.maxTimestamp, BigInt(NOW + 90));
    assert.equal(view.timestampType, TimestampType.CreateTime);
    assert.ok(view.isCrcValid(), 'CRC recomputed after the rewrite');
    assert.deepEqual((await readBatchRecords(view)).map((x) => Number(x.timestamp)), [NOW + 5, NOW + 1, NOW + 90, NOW + 7]);
  }
});

test('the request must hold exactly one whole magic 2 batch', async () => {
  const one = await buildBatch(records(2));
  assert.equal((await rejected(null)).errorCode, ErrorCode.INVALID_RECORD);
  assert.equal((await rejected(Buffer.alloc(0))).errorCode, ErrorCode.INVALID_RECORD);
  assert.equal((await rejected(one.subarray(0, 40))).errorCode, ErrorCode.CORRUPT_MESSAGE);
  assert.equal((await rejected(one.subarray(0, one.length - 1))).errorCode, ErrorCode.CORRUPT_MESSAGE);
  const two = await rejected(Buffer.concat([one, await buildBatch(records(2))]));
  assert.equal(two.errorCode, ErrorCode.INVALID_RECORD);
  assert.match(two.message, /exactly one record batch per partition/);
  assert.equal((await rejected(Buffer.concat([one, Buffer.alloc(3)]))).errorCode, ErrorCode.INVALID_RECORD);
  const magic1 = await rejected(withHeader(Buffer.from(one), { magic: 1 }));
  assert.equal(magic1.errorCode, ErrorCode.INVALID_RECORD);
  assert.match(magic1.message, /magic version 2/);
});

test('header checks: zstd before Produce v7, codec id, base offset, size, CRC', async () => {
  const zstd = await buildBatch(records(3), { compression: CompressionType.Zstd });
  assert.equal((await rejected(Buffer.from(zstd), config(), 6)).errorCode, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  assert.ok((await validate(Buffer.from(zstd), config(), 7)).ok);
  const plain = await buildBatch(records(3));
  assert.equal((await rejected(withHeader(Buffer.from(plain), { attributes: 6 }))).errorCode, ErrorCode.INVALID_RECORD);
  const offset = await rejected(withHeader(Buffer.from(plain), { baseOffset: 5n }));
  assert.equal(offset.errorCode, ErrorCode.INVALID_RECORD);
  assert.match(offset.message, /should be 0, but it is 5/);
  assert.equal((await rejected(Buffer.from(plain), config({ 'max.message.bytes': String(plain.length - 1) }))).errorCode, ErrorCode.MESSAGE_TOO_LARGE);
  assert.ok((await validate(Buffer.from(plain), config({ 'max.message.bytes': String(plain.length) }))).ok);
  const flipped = Buffer.from(plain);
  flipped[flipped.length - 1] ^= 1;
  assert.equal((await rejected(flipped)).errorCode, ErrorCode.CORRUPT_MESSAGE);
});

test('offset range and record count must agree in the header', async () => {
  const three = plainRecords(3);
  for (const [lastOffsetDelta, recordCount] of [[0, 3], [15, 3], [-3, 3], [2, 0], [2, -1]]) {
    const r = await rejected(assembleBatch(three, 3, { lastOffsetDelta, recordCount }));
    assert.equal(r.errorCode, ErrorCode.INVALID_RECORD, `lastOffsetDelta ${lastOffsetDelta}, count ${recordCount}`);
    assert.deepEqual(r.indexes, [], 'a header fault has no record index');
  }
});

test('the header count must equal the records decoded: fewer records, or bytes after the last', async () => {
  // Header and offsets say 3, only 2 records are there.
  const fewer = await rejected(assembleBatch(plainRecords(2), 3));
  assert.equal(fewer.errorCode, ErrorCode.INVALID_RECORD);
  assert.deepEqual(fewer.indexes, [2]);
  assert.match(fewer.message, /declares 3 records but the records end after 2/);
  // Header says 2, a third record follows.
  const more = await rejected(assembleBatch(plainRecords(3), 2));
  assert.equal(more.errorCode, ErrorCode.INVALID_RECORD);
  assert.deepEqual(more.indexes, [1]);
  assert.match(more.message, /bytes follow the last of 2 records/);
  // The same inside a compressed batch: Kafka checks inner records too.
  const gzipped = await codecFor(CompressionType.Gzip).compress(plainRecords(3));
  const inner = await rejected(assembleBatch(gzipped, 2, { attributes: CompressionType.Gzip }));
  assert.equal(inner.errorCode, ErrorCode.INVALID_RECORD);
  assert.match(inner.message, /follow the last of 2 records/);
});

test('record lengths must fit their record and the batch exactly', async () => {
  const good = recordBytes({ offsetDelta: 0 });
  // A record claiming more bytes than the batch holds.
  const overrun = Buffer.from(good);
  overrun[0] = 0x7e; // zig-zag 63
  let r = await rejected(assembleBatch(overrun, 1));
  assert.equal(r.errorCode, ErrorCode.INVALID_RECORD);
  assert.match(r.messages[0], /record 0: length 63 with \d+ bytes left/);
  // A record one byte longer than its fields: the extra byte is left over inside it.
  const padded = Buffer.concat([Buffer.from([(good.length) * 2]), good.subarray(1), Buffer.alloc(1)]);
  r = await rejected(assembleBatch(padded, 1));
  assert.match(r.messages[0], /1 bytes left over inside the record/);
  // A key longer than the record.
  const second = recordBytes({ offsetDelta: 1, key: Buffer.from('abc') });
  const keyOverrun = Buffer.from(second);
  keyOverrun[4] = 0x20; // key length 16 in a record of a few bytes
  r = await rejected(assembleBatch(Buffer.concat([good, keyOverrun]), 2));
  assert.deepEqual(r.indexes, [1]);
  assert.match(r.messages[0], /key of 16 bytes overruns the record/);
  // A varlong timestamp delta beyond 2^52 (10 bytes of 0xff...).
  const huge = Buffer.concat([Buffer.from([0]), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), good.subarray(3)]);
  huge[0] = (huge.length - 1) * 2;
  r = await rejected(assembleBatch(huge, 1));
  assert.match(r.messages[0], /timestamp delta is beyond/);
  // A base timestamp at the top of int64 plus a positive delta: the max cannot be written back.
  r = await rejected(assembleBatch(plainRecords(2), 2, { baseTimestamp: 2n ** 63n - 1n }));
  assert.equal(r.errorCode, ErrorCode.INVALID_RECORD);
  assert.match(r.message, /overflow 64 bits/);
});

test('offset deltas must be the records\' indexes; each wrong one is listed', async () => {
  const section = Buffer.concat([0, 2, 1, 3].map((offsetDelta, i) => recordBytes({ offsetDelta, timestampDelta: i })));
  const r = await rejected(assembleBatch(section, 4));
  assert.equal(r.errorCode, ErrorCode.INVALID_RECORD);
  assert.deepEqual(r.indexes, [1, 2]);
  assert.match(r.messages[0], /Record 1 has offset delta 2/);
  assert.match(r.message, /2 record errors in total/);
});

test('a compacted topic refuses every record without a key, listed by index', async () => {
  const batch = await buildBatch(records(6, NOW, (i) => (i === 1 || i === 4 ? null : Buffer.from(`k${i}`))));
  const r = await rejected(Buffer.from(batch), config({ 'cleanup.policy': 'compact' }));
  assert.equal(r.errorCode, ErrorCode.INVALID_RECORD);
  assert.deepEqual(r.indexes, [1, 4]);
  assert.match(r.messages[0], /Compacted topic cannot accept message without key/);
  assert.ok((await validate(Buffer.from(batch), config({ 'cleanup.policy': 'delete' }))).ok);
  assert.equal((await rejected(await buildBatch(records(2, NOW, () => null), { compression: CompressionType.Snappy }), config({ 'cleanup.policy': 'compact,delete' }))).errorCode, ErrorCode.INVALID_RECORD);
});

test('record errors are listed up to a bound, and counted in full', async () => {
  const r = await rejected(await buildBatch(records(MAX_LISTED_RECORD_ERRORS + 500, NOW, () => null)), config({ 'cleanup.policy': 'compact' }));
  assert.equal(r.indexes.length, MAX_LISTED_RECORD_ERRORS);
  assert.deepEqual(r.indexes.slice(0, 3), [0, 1, 2]);
  assert.match(r.message, new RegExp(`${MAX_LISTED_RECORD_ERRORS + 500} record errors in total`));
});

test('CreateTime timestamps outside message.timestamp.before/after.max.ms are INVALID_TIMESTAMP per record', async () => {
  const hour = 3_600_000;
  const at = [NOW - 2 * hour, NOW, NOW + 30 * 60_000, NOW + 2 * hour, -1];
  const batch = () => buildBatch(at.map((timestamp, i) => ({ key: Buffer.from(`k${i}`), value: null, timestamp })));
  const bounded = config({ 'message.timestamp.before.max.ms': String(hour), 'message.timestamp.after.max.ms': String(hour) });
  const r = await rejected(await batch(), bounded);
  assert.equal(r.errorCode, ErrorCode.INVALID_TIMESTAMP);
  assert.deepEqual(r.indexes, [0, 3], 'the record without a timestamp (-1) is not checked');
  assert.match(r.messages[0], new RegExp(`Timestamp ${NOW - 2 * hour} of message with offset 0 is out of range. The timestamp should be within \\[${NOW - hour}, ${NOW + hour}\\]`));
  assert.match(r.message, /rejected due to invalid timestamp/);
  // The deprecated difference.max.ms bounds the sides left at their default.
  assert.deepEqual((await rejected(await batch(), config({ 'message.timestamp.difference.max.ms': String(hour) }))).indexes, [0, 3]);
  assert.deepEqual((await rejected(await batch(), config({ 'message.timestamp.difference.max.ms': String(hour), 'message.timestamp.before.max.ms': String(3 * hour) }))).indexes, [3]);
  // Broker-level defaults apply to topics without overrides.
  assert.deepEqual((await rejected(await batch(), config({}, { 'log.message.timestamp.after.max.ms': String(hour) }))).indexes, [3]);
  // Unbounded by default, and LogAppendTime topics do not look at producer timestamps.
  assert.ok((await validate(await batch())).ok);
  assert.ok((await validate(await batch(), config({ ...{ 'message.timestamp.before.max.ms': '0' }, 'message.timestamp.type': 'LogAppendTime' }))).ok);
});

test('a timestamp error outranks other record errors in the error code, as in Kafka', async () => {
  const recs = [{ key: null, value: null, timestamp: NOW }, { key: Buffer.from('k'), value: null, timestamp: NOW - 10_000 }];
  const r = await rejected(await buildBatch(recs), config({ 'cleanup.policy': 'compact', 'message.timestamp.before.max.ms': '1000' }));
  assert.equal(r.errorCode, ErrorCode.INVALID_TIMESTAMP);
  assert.deepEqual(r.indexes, [0, 1]);
});

test('LogAppendTime: the broker time is returned for the log to stamp; a producer may not claim it', async () => {
  const logAppend = config({ 'message.timestamp.type': 'LogAppendTime' });
  const ok = await validate(await buildBatch(records(3)), logAppend, 9, NOW + 5);
  assert.ok(ok.ok);
  assert.equal(ok.logAppendTime, NOW + 5);
  const claimed = await buildBatch(records(3), { timestampType: TimestampType.LogAppendTime });
  const r = await rejected(Buffer.from(claimed), logAppend);
  assert.equal(r.errorCode, ErrorCode.INVALID_TIMESTAMP);
  assert.deepEqual(r.indexes, [0, 1, 2]);
  assert.match(r.messages[0], /should not set timestamp type to LogAppendTime/);
  // On a CreateTime topic Kafka only bounds such records (they carry the header's max) and stores them as CreateTime.
  const asCreate = await validate(Buffer.from(claimed));
  assert.ok(asCreate.ok);
  assert.equal(new RecordBatchView(asCreate.records).timestampType, TimestampType.CreateTime);
});

test('producer fields: control batches, idempotent batches without a sequence, transactions', async () => {
  const three = plainRecords(3);
  const control = await rejected(assembleBatch(three, 3, { attributes: 0x20 }));
  assert.equal(control.errorCode, ErrorCode.INVALID_RECORD);
  assert.match(control.message, /not allowed to write control records/);
  const noSeq = await rejected(assembleBatch(three, 3, { producerId: 7n, producerEpoch: 0, baseSequence: -1 }));
  assert.equal(noSeq.errorCode, ErrorCode.INVALID_RECORD);
  assert.match(noSeq.message, /Invalid sequence number -1 in record batch with producerId 7/);
  // A transactional batch passes the validator (the partition checks its transaction) but needs a producer id.
  assert.ok((await validate(assembleBatch(three, 3, { attributes: 0x10, producerId: 7n, producerEpoch: 0, baseSequence: 0 }))).ok);
  const txnWithoutProducer = await rejected(assembleBatch(three, 3, { attributes: 0x10, producerId: -1n, producerEpoch: -1, baseSequence: -1 }));
  assert.equal(txnWithoutProducer.errorCode, ErrorCode.INVALID_RECORD);
  assert.match(txnWithoutProducer.message, /transactional record batch without a producer id/);
  // kafkajs sends producerId -1 with epoch 0 and sequence 0 when not idempotent; Kafka accepts that.
  assert.ok((await validate(assembleBatch(three, 3, { producerId: -1n, producerEpoch: 0, baseSequence: 0 }))).ok);
  assert.ok((await validate(assembleBatch(three, 3, { producerId: 7n, producerEpoch: 3, baseSequence: 40 }))).ok);
});

test('compression.type naming a codec recompresses into it, keeping records and producer fields', async () => {
  const recs = records(200);
  for (const [setting, codec] of [['gzip', CompressionType.Gzip], ['lz4', CompressionType.Lz4], ['snappy', CompressionType.Snappy], ['zstd', CompressionType.Zstd], ['uncompressed', CompressionType.None]] as const) {
    for (const source of [CompressionType.None, CompressionType.Gzip, CompressionType.Zstd]) {
      const batch = withHeader(await buildBatch(recs, { compression: source, producerId: 9n, producerEpoch: 2, baseSequence: 17 }), { maxTimestamp: -1n });
      const r = await validate(batch, config({ 'compression.type': setting }));
      assert.ok(r.ok, `${source} -> ${setting}`);
      const view = new RecordBatchView(r.records);
      assert.equal(view.compression, codec);
      assert.ok(view.isCrcValid());
      assert.equal(view.sizeInBytes, r.records.length);
      assert.deepEqual([view.producerId, view.producerEpoch, view.baseSequence, view.recordCount, view.lastOffsetDelta], [9n, 2, 17, 200, 199]);
      assert.equal(view.maxTimestamp, BigInt(NOW + 199));
      const back = await readBatchRecords(view);
      assert.deepEqual(back.map((x) => [x.key?.toString(), x.value?.toString(), Number(x.timestamp), Number(x.offset)]), recs.map((x, i) => [x.key?.toString(), x.value?.toString(), x.timestamp, i]));
      // The log's checks hold for the rebuilt batch as well.
      assert.ok((await validate(Buffer.from(r.records), config({ 'compression.type': setting }))).ok);
    }
  }
});

test('a recompressed batch larger than max.message.bytes is refused', async () => {
  const batch = await buildBatch(records(500), { compression: CompressionType.Gzip });
  const r = await rejected(batch, config({ 'compression.type': 'uncompressed', 'max.message.bytes': String(batch.length * 2) }));
  assert.equal(r.errorCode, ErrorCode.MESSAGE_TOO_LARGE);
});

test('Produce v0-2 message sets go through the same record checks after up-conversion', async () => {
  // One magic 1 message without a key (offset, size, crc, magic, attributes, timestamp, key -1, value).
  const body = Buffer.alloc(1 + 1 + 8 + 4 + 4 + 1);
  body.writeInt8(1, 0);
  body.writeBigInt64BE(BigInt(NOW), 2);
  body.writeInt32BE(-1, 10);
  body.writeInt32BE(1, 14);
  body[18] = 0x61;
  const { crc32 } = await import('@node-rs/crc32');
  const head = Buffer.alloc(16);
  head.writeInt32BE(body.length + 4, 8);
  head.writeUInt32BE(crc32(body) >>> 0, 12);
  const set = Buffer.concat([head, body]);
  assert.ok((await validate(set, config(), 2)).ok);
  const r = await rejected(set, config({ 'cleanup.policy': 'compact' }), 2);
  assert.equal(r.errorCode, ErrorCode.INVALID_RECORD);
  assert.deepEqual(r.indexes, [0]);
});

test('seeded corruption of records behind a valid CRC never throws: accepted or refused with a Kafka code', async () => {
  const seed = Number(process.env.VALIDATOR_SEED ?? 20261124);
  const rng = new Rng(seed);
  const allowed = new Set([ErrorCode.INVALID_RECORD, ErrorCode.CORRUPT_MESSAGE, ErrorCode.INVALID_TIMESTAMP]);
  let refused = 0;
  for (let round = 0; round < 400; round++) {
    const compressed = rng.chance(0.3);
    const n = 1 + rng.int(20);
    let section = plainRecords(n, (i) => ({ key: rng.chance(0.2) ? null : rng.bytes(rng.int(8)), headers: i % 3 === 0 ? [{ key: 'h', value: rng.bytes(2) }] : [] }));
    const flips = 1 + rng.int(4);
    for (let f = 0; f < flips; f++) section[rng.int(section.length)] = rng.int(256);
    if (compressed) section = await codecFor(CompressionType.Lz4).compress(section);
    const result = await validate(assembleBatch(section, n, { attributes: compressed ? CompressionType.Lz4 : 0 }), config({ 'cleanup.policy': rng.chance(0.5) ? 'compact' : 'delete' }));
    if (!result.ok) {
      refused++;
      assert.ok(allowed.has(result.errorCode), `seed ${seed} round ${round}: code ${result.errorCode} ${result.message}`);
      assert.ok(result.recordErrors.every((e) => e.batchIndex >= 0 && e.batchIndex < n), `seed ${seed} round ${round}: record index in range`);
    }
  }
  assert.ok(refused > 200, `seed ${seed}: most corruptions are caught (${refused}/400)`);
});

test('a batch of very many records lets the event loop run while it is walked', async () => {
  const many = await buildBatch(Array.from({ length: 70_000 }, (_, i) => ({ key: null, value: Buffer.from([i & 0xff]), timestamp: NOW })));
  let interleaved = false;
  setImmediate(() => {
    interleaved = true;
  });
  const r = await validate(many, config({ 'max.message.bytes': String(many.length) }));
  assert.ok(r.ok);
  assert.ok(interleaved, 'a callback queued before validation ran before it finished');
});
