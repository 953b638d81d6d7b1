/**
 * Hand-built and hand-altered record batches for validator tests: any header field or record
 * byte can be wrong while the CRC-32C is right, as a buggy or hostile client could send them.
 */
import { crc32c } from '@node-rs/crc32';
import { Writer } from '../../src/protocol/writer.js';
import { encodeRecord, type KafkaRecord } from '../../src/protocol/records/record.js';
import {
  BATCH_HEADER_SIZE,
  BATCH_LOG_OVERHEAD,
  OFFSET_ATTRIBUTES,
  OFFSET_BASE_OFFSET,
  OFFSET_BASE_SEQUENCE,
  OFFSET_BASE_TIMESTAMP,
  OFFSET_CRC,
  OFFSET_LAST_OFFSET_DELTA,
  OFFSET_MAGIC,
  OFFSET_MAX_TIMESTAMP,
  OFFSET_PRODUCER_EPOCH,
  OFFSET_PRODUCER_ID,
  OFFSET_RECORD_COUNT,
} from '../../src/protocol/records/record-batch.js';

export interface HeaderFields {
  baseOffset?: bigint;
  magic?: number;
  attributes?: number;
  lastOffsetDelta?: number;
  baseTimestamp?: bigint;
  maxTimestamp?: bigint;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  recordCount?: number;
}

/** One record's bytes (length prefix included); fields default to a plain keyed record. */
export function recordBytes(fields: Partial<KafkaRecord> = {}): Buffer {
  const w = new Writer(64);
  encodeRecord(w, { attributes: 0, timestampDelta: 0, offsetDelta: 0, key: Buffer.from('k'), value: Buffer.from('v'), headers: [], ...fields });
  return w.toBuffer();
}

/** The records section of `n` plain records with offset deltas 0..n-1 and timestamp deltas 0, 1, 2… */
export function plainRecords(n: number, fields: (i: number) => Partial<KafkaRecord> = () => ({})): Buffer {
  return Buffer.concat(Array.from({ length: n }, (_, i) => recordBytes({ offsetDelta: i, timestampDelta: i, ...fields(i) })));
}

/** Recomputes the CRC-32C over attributes..end, so only the intended fault remains. */
export function fixCrc(batch: Buffer): Buffer {
  batch.writeUInt32BE(crc32c(batch.subarray(OFFSET_ATTRIBUTES)) >>> 0, OFFSET_CRC);
  return batch;
}

/** A batch around `section` (already compressed if `attributes` says so), with a valid CRC. */
export function assembleBatch(section: Buffer, recordCount: number, fields: HeaderFields = {}): Buffer {
  const b = Buffer.alloc(BATCH_HEADER_SIZE + section.length);
  b.writeInt32BE(BATCH_HEADER_SIZE - BATCH_LOG_OVERHEAD + section.length, 8);
  b.writeInt32BE(-1, 12);
  b.writeInt8(2, OFFSET_MAGIC);
  b.writeInt32BE(recordCount - 1, OFFSET_LAST_OFFSET_DELTA);
  b.writeBigInt64BE(1_700_000_000_000n, OFFSET_BASE_TIMESTAMP);
  b.writeBigInt64BE(1_700_000_000_000n + BigInt(recordCount - 1), OFFSET_MAX_TIMESTAMP);
  b.writeBigInt64BE(-1n, OFFSET_PRODUCER_ID);
  b.writeInt16BE(-1, OFFSET_PRODUCER_EPOCH);
  b.writeInt32BE(-1, OFFSET_BASE_SEQUENCE);
  b.writeInt32BE(recordCount, OFFSET_RECORD_COUNT);
  section.copy(b, BATCH_HEADER_SIZE);
  return withHeader(b, fields);
}

/** Writes the given header fields into `batch` (in place) and fixes the CRC. */
export function withHeader(batch: Buffer, fields: HeaderFields): Buffer {
  if (fields.baseOffset !== undefined) batch.writeBigInt64BE(fields.baseOffset, OFFSET_BASE_OFFSET);
  if (fields.magic !== undefined) batch.writeInt8(fields.magic, OFFSET_MAGIC);
  if (fields.attributes !== undefined) batch.writeInt16BE(fields.attributes, OFFSET_ATTRIBUTES);
  if (fields.lastOffsetDelta !== undefined) batch.writeInt32BE(fields.lastOffsetDelta, OFFSET_LAST_OFFSET_DELTA);
  if (fields.baseTimestamp !== undefined) batch.writeBigInt64BE(fields.baseTimestamp, OFFSET_BASE_TIMESTAMP);
  if (fields.maxTimestamp !== undefined) batch.writeBigInt64BE(fields.maxTimestamp, OFFSET_MAX_TIMESTAMP);
  if (fields.producerId !== undefined) batch.writeBigInt64BE(fields.producerId, OFFSET_PRODUCER_ID);
  if (fields.producerEpoch !== undefined) batch.writeInt16BE(fields.producerEpoch, OFFSET_PRODUCER_EPOCH);
  if (fields.baseSequence !== undefined) batch.writeInt32BE(fields.baseSequence, OFFSET_BASE_SEQUENCE);
  if (fields.recordCount !== undefined) batch.writeInt32BE(fields.recordCount, OFFSET_RECORD_COUNT);
  return fixCrc(batch);
}
