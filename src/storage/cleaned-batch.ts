/**
 * The batches compaction writes in place of an original one, as Kafka's cleaner writes them:
 *
 * - a rebuilt batch keeps the original's base offset and last offset delta (so the producer's last
 *   sequence, baseSequence + lastOffsetDelta, survives), partition leader epoch, compression codec,
 *   timestamp type, producer id/epoch/base sequence and transactional and control flags; a
 *   LogAppendTime batch keeps the append time as its max timestamp. Only the kept records and the
 *   record count change, and the CRC with them.
 * - KIP-534's delete horizon: when the batch holds a tombstone (or is the marker of a transaction
 *   with nothing left), its first cleaning sets attribute bit 6 and puts the horizon (clean time +
 *   delete.retention.ms) in the base timestamp; record timestamp deltas are rebased on it, so every
 *   record keeps its timestamp. The horizon thus travels with the batch, durably, and survives
 *   later rewrites and merges of the segment.
 * - an empty batch (Kafka's writeEmptyHeader): the header alone, no records, kept where the batch's
 *   producer fields or last offset must survive although every record went.
 */
import { Writer } from '../protocol/writer.js';
import { codecFor } from '../protocol/compression/index.js';
import { encodeRecord } from '../protocol/records/record.js';
import { encodeBatch, type DecodedRecord } from '../protocol/records/batch-records.js';
import { CompressionType, TimestampType, type RecordBatchView } from '../protocol/records/record-batch.js';

const TIMESTAMP_TYPE_FLAG = 0x08;
const TRANSACTIONAL_FLAG = 0x10;
const CONTROL_FLAG = 0x20;
const DELETE_HORIZON_FLAG = 0x40;

interface Header {
  compression: CompressionType;
  deleteHorizon: boolean;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  recordCount: number;
}

function writeBatch(original: RecordBatchView, h: Header, records: Buffer): Buffer {
  const attributes = h.compression | (original.timestampType === TimestampType.LogAppendTime ? TIMESTAMP_TYPE_FLAG : 0) | (original.isTransactional ? TRANSACTIONAL_FLAG : 0) | (original.isControl ? CONTROL_FLAG : 0) | (h.deleteHorizon ? DELETE_HORIZON_FLAG : 0);
  return encodeBatch(
    {
      baseOffset: original.baseOffset,
      partitionLeaderEpoch: original.partitionLeaderEpoch,
      attributes,
      lastOffsetDelta: original.lastOffsetDelta,
      baseTimestamp: h.baseTimestamp,
      maxTimestamp: h.maxTimestamp,
      producerId: original.producerId,
      producerEpoch: original.producerEpoch,
      baseSequence: original.baseSequence,
      recordCount: h.recordCount,
    },
    records,
  );
}

/**
 * `original` with only `kept` (at least one of its records); `deleteHorizonMs` null keeps no
 * horizon. Records keep their offsets, keys, values, headers and timestamps.
 */
export async function rebuiltBatch(original: RecordBatchView, kept: DecodedRecord[], deleteHorizonMs: number | null): Promise<Buffer> {
  if (kept.length === 0) throw new RangeError('a rebuilt batch keeps at least one record');
  const baseOffset = original.baseOffset;
  const baseTimestamp = deleteHorizonMs !== null ? BigInt(deleteHorizonMs) : kept[0].timestamp;
  let maxTimestamp = kept[0].timestamp;
  const body = new Writer(256);
  for (const r of kept) {
    if (r.timestamp > maxTimestamp) maxTimestamp = r.timestamp;
    encodeRecord(body, { attributes: 0, timestampDelta: Number(r.timestamp - baseTimestamp), offsetDelta: Number(r.offset - baseOffset), key: r.key, value: r.value, headers: r.headers });
  }
  let records = body.toBuffer();
  if (original.compression !== CompressionType.None) records = await codecFor(original.compression).compress(records);
  // LogAppendTime: the append time stays the batch's timestamp, whatever records remain.
  if (original.timestampType === TimestampType.LogAppendTime) maxTimestamp = original.maxTimestamp;
  return writeBatch(original, { compression: original.compression, deleteHorizon: deleteHorizonMs !== null, baseTimestamp, maxTimestamp, recordCount: kept.length }, records);
}

/** The header of `original` with no records: producer fields, offsets, epoch and timestamp type kept. */
export function emptyBatch(original: RecordBatchView): Buffer {
  const t = original.maxTimestamp;
  return writeBatch(original, { compression: CompressionType.None, deleteHorizon: false, baseTimestamp: t, maxTimestamp: t, recordCount: 0 }, Buffer.alloc(0));
}
