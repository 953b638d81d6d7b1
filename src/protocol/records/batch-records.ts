/**
 * Reading and building whole batches: the records of a batch with their absolute offsets and
 * timestamps (decompressing when needed), and new batches from records (for internal topics and
 * control records). The broker's produce and fetch paths never call these: batches stay opaque.
 */
import { crc32c } from './crc.js';
import { Writer } from '../writer.js';
import { codecFor } from '../compression/index.js';
import { BATCH_HEADER_SIZE, BATCH_LOG_OVERHEAD, CompressionType, OFFSET_ATTRIBUTES, OFFSET_CRC, RecordBatchView, TimestampType } from './record-batch.js';
import { decodeRecords, encodeRecord, type RecordHeader } from './record.js';

export interface DecodedRecord {
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/** Default bound on a batch's decompressed records section. */
export const DEFAULT_MAX_DECOMPRESSED = 64 * 1024 * 1024;

/** The records of one batch, in order. Throws DecodeError (or CompressionError) on bad bytes. */
export async function readBatchRecords(view: RecordBatchView, maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED): Promise<DecodedRecord[]> {
  let section = view.recordsBytes();
  if (view.compression !== CompressionType.None) section = await codecFor(view.compression).decompress(section, maxDecompressedBytes);
  const baseOffset = view.baseOffset;
  const logAppendTime = view.timestampType === TimestampType.LogAppendTime;
  const out: DecodedRecord[] = [];
  for (const r of decodeRecords(section, view.recordCount)) {
    out.push({
      offset: baseOffset + BigInt(r.offsetDelta),
      // With LogAppendTime every record carries the batch's max timestamp, as Kafka reports it.
      timestamp: logAppendTime ? view.maxTimestamp : view.baseTimestamp + BigInt(r.timestampDelta),
      key: r.key,
      value: r.value,
      headers: r.headers,
    });
  }
  return out;
}

/** Every batch in a buffer of concatenated batches (a fetch result, a log read). */
export function* batchesIn(bytes: Buffer): Generator<RecordBatchView> {
  let at = 0;
  while (at + BATCH_HEADER_SIZE <= bytes.length) {
    const view = new RecordBatchView(bytes, at);
    if (at + view.sizeInBytes > bytes.length) return;
    yield view;
    at += view.sizeInBytes;
  }
}

export interface NewRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeader[];
  timestamp: number;
  /** Offset relative to the batch's base offset; by default the record's index (compaction keeps gaps). */
  offsetDelta?: number;
}

export interface BatchOptions {
  baseOffset?: bigint;
  partitionLeaderEpoch?: number;
  compression?: CompressionType;
  timestampType?: TimestampType;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  control?: boolean;
}

/** Builds one RecordBatch (magic 2) holding `records`, compressed as asked, with its CRC-32C. */
export async function buildBatch(records: NewRecord[], o: BatchOptions = {}): Promise<Buffer> {
  if (records.length === 0) throw new RangeError('a batch holds at least one record');
  // A loop, not Math.min(...): spreading an up-converted message set of many records overflows the stack.
  let baseTimestamp = records[0].timestamp;
  let maxTimestamp = records[0].timestamp;
  for (const r of records) {
    if (r.timestamp < baseTimestamp) baseTimestamp = r.timestamp;
    if (r.timestamp > maxTimestamp) maxTimestamp = r.timestamp;
  }
  const body = new Writer(256);
  const deltas = records.map((r, i) => r.offsetDelta ?? i);
  records.forEach((r, i) => encodeRecord(body, { attributes: 0, timestampDelta: r.timestamp - baseTimestamp, offsetDelta: deltas[i], key: r.key, value: r.value, headers: r.headers ?? [] }));
  let section = body.toBuffer();
  const compression = o.compression ?? CompressionType.None;
  if (compression !== CompressionType.None) section = await codecFor(compression).compress(section);
  const attributes = compression | ((o.timestampType ?? TimestampType.CreateTime) === TimestampType.LogAppendTime ? 0x08 : 0) | (o.transactional ? 0x10 : 0) | (o.control ? 0x20 : 0);
  return encodeBatch(
    {
      baseOffset: o.baseOffset ?? 0n,
      partitionLeaderEpoch: o.partitionLeaderEpoch ?? -1,
      attributes,
      lastOffsetDelta: deltas[deltas.length - 1],
      baseTimestamp: BigInt(baseTimestamp),
      maxTimestamp: BigInt(maxTimestamp),
      producerId: o.producerId ?? -1n,
      producerEpoch: o.producerEpoch ?? -1,
      baseSequence: o.baseSequence ?? -1,
      recordCount: records.length,
    },
    section,
  );
}

/** The header fields of a magic-2 record batch (its length, magic and CRC are derived). */
export interface BatchHeaderFields {
  baseOffset: bigint;
  partitionLeaderEpoch: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

/** A whole record batch: the header, then `section` (the records, compressed or not), CRC-32C set. */
export function encodeBatch(h: BatchHeaderFields, section: Buffer): Buffer {
  const w = new Writer(BATCH_HEADER_SIZE + section.length);
  w.int64(h.baseOffset);
  w.int32(BATCH_HEADER_SIZE - BATCH_LOG_OVERHEAD + section.length);
  w.int32(h.partitionLeaderEpoch);
  w.int8(2);
  w.uint32(0);
  w.int16(h.attributes);
  w.int32(h.lastOffsetDelta);
  w.int64(h.baseTimestamp);
  w.int64(h.maxTimestamp);
  w.int64(h.producerId);
  w.int16(h.producerEpoch);
  w.int32(h.baseSequence);
  w.int32(h.recordCount);
  w.raw(section);
  const batch = w.toBuffer();
  batch.writeUInt32BE(crc32c(batch.subarray(OFFSET_ATTRIBUTES)) >>> 0, OFFSET_CRC);
  return batch;
}

export const CONTROL_ABORT = 0;
export const CONTROL_COMMIT = 1;

/** A transaction marker: a control batch whose record key is version int16 + type int16 and value version int16 + coordinator epoch int32. */
export function buildControlBatch(type: typeof CONTROL_ABORT | typeof CONTROL_COMMIT, coordinatorEpoch: number, producerId: bigint, producerEpoch: number, timestamp: number): Promise<Buffer> {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(type, 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(coordinatorEpoch, 2);
  return buildBatch([{ key, value, timestamp }], { producerId, producerEpoch, transactional: true, control: true });
}
