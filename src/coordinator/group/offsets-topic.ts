/**
 * __consumer_offsets as the coordinator's log: key/value records written as uncompressed batches
 * to the group's partition (durable before the append resolves), and read back on start.
 *
 * Record layout inside a batch (Kafka's record v2), all varints zig-zag:
 *   length | attributes int8 | timestampDelta varlong | offsetDelta varint | keyLength | key
 *   | valueLength (-1 for null) | value | headerCount (0)
 */
import { crc32c } from '@node-rs/crc32';
import { Reader } from '../../protocol/reader.js';
import { Writer } from '../../protocol/writer.js';
import { BATCH_HEADER_SIZE, BATCH_LOG_OVERHEAD, OFFSET_ATTRIBUTES, OFFSET_CRC, RecordBatchView } from '../../protocol/records/record-batch.js';
import type { KeyValue, OffsetsTopic } from './coordinator.js';

/** Builds one uncompressed RecordBatch (magic 2) holding the records, all with timestamp `now`. */
export function buildKeyValueBatch(records: KeyValue[], now: number): Buffer {
  const body = new Writer(256);
  records.forEach((r, i) => {
    const rec = new Writer(64);
    rec.int8(0);
    rec.varlong(0);
    rec.varint(i);
    rec.varint(r.key.length);
    rec.raw(r.key);
    if (r.value === null) rec.varint(-1);
    else {
      rec.varint(r.value.length);
      rec.raw(r.value);
    }
    rec.varint(0);
    const bytes = rec.toBuffer();
    body.varint(bytes.length);
    body.raw(bytes);
  });
  const recordsBytes = body.toBuffer();
  const w = new Writer(BATCH_HEADER_SIZE + recordsBytes.length);
  w.int64(0n);
  w.int32(BATCH_HEADER_SIZE - BATCH_LOG_OVERHEAD + recordsBytes.length);
  w.int32(-1);
  w.int8(2);
  w.uint32(0);
  w.int16(0);
  w.int32(records.length - 1);
  w.int64(BigInt(now));
  w.int64(BigInt(now));
  w.int64(-1n);
  w.int16(-1);
  w.int32(-1);
  w.int32(records.length);
  w.raw(recordsBytes);
  const batch = w.toBuffer();
  batch.writeUInt32BE(crc32c(batch.subarray(OFFSET_ATTRIBUTES)) >>> 0, OFFSET_CRC);
  return batch;
}

/** The key/value records of the uncompressed batches in `bytes` (control batches skipped). */
export function* readKeyValues(bytes: Buffer): Generator<KeyValue> {
  let at = 0;
  while (at + BATCH_HEADER_SIZE <= bytes.length) {
    const view = new RecordBatchView(bytes, at);
    const end = at + view.batchLength + BATCH_LOG_OVERHEAD;
    if (end > bytes.length) return;
    if (!view.isControl && view.compression === 0) {
      const r = new Reader(bytes, at + BATCH_HEADER_SIZE, end);
      for (let i = 0; i < view.recordCount; i++) {
        const len = r.varint();
        const rec = new Reader(bytes, r.offset, r.offset + len);
        r.offset += len;
        rec.int8();
        rec.varlong();
        rec.varint();
        const keyLen = rec.varint();
        const key = keyLen < 0 ? Buffer.alloc(0) : rec.raw(keyLen);
        const valueLen = rec.varint();
        yield { key, value: valueLen < 0 ? null : rec.raw(valueLen) };
      }
    }
    at = end;
  }
}

/** What the offsets topic needs of a partition: append and read, on the broker's partition layer. */
export interface OffsetsPartition {
  readonly logStartOffset: number;
  readonly highWatermark: number;
  append(batch: Buffer): Promise<void>;
  read(offset: number, maxBytes: number): Promise<Buffer>;
}

export class ConsumerOffsetsTopic implements OffsetsTopic {
  constructor(
    private readonly partitionsList: OffsetsPartition[],
    private readonly now: () => number,
  ) {}

  get partitions(): number {
    return this.partitionsList.length;
  }

  append(partition: number, records: KeyValue[]): Promise<void> {
    return this.partitionsList[partition].append(buildKeyValueBatch(records, this.now()));
  }

  async *readAll(): AsyncIterable<KeyValue> {
    for (const p of this.partitionsList) {
      let offset = p.logStartOffset;
      while (offset < p.highWatermark) {
        const bytes = await p.read(offset, 1 << 20);
        if (bytes.length === 0) break;
        let at = 0;
        let last = offset - 1;
        while (at + BATCH_HEADER_SIZE <= bytes.length) {
          const view = new RecordBatchView(bytes, at);
          last = Number(view.lastOffset);
          at += view.batchLength + BATCH_LOG_OVERHEAD;
        }
        yield* readKeyValues(bytes);
        offset = last + 1;
      }
    }
  }
}
