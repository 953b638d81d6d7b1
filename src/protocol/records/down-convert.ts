/**
 * Down-conversion of stored RecordBatch v2 bytes to magic 0 or 1 message sets, for consumers
 * that fetch with versions 0-3 (magic 0 for Fetch v0-1, magic 1 for v2-3), after Kafka's
 * RecordsUtil.downConvert:
 *
 * - offsets are kept; headers, producer fields and the partition leader epoch are dropped (the
 *   old formats have no place for them); control batches (transaction markers) are left out;
 * - an uncompressed batch becomes one message per record, leaving out records below the fetch
 *   offset (a fetch from the middle of a batch; some librdkafka versions rely on it);
 * - a compressed batch becomes one wrapper message compressed with the same codec, holding all
 *   its records: inner offsets relative to the first record for magic 1, absolute for magic 0;
 *   the wrapper carries the last record's offset and, for magic 1, the largest timestamp (or the
 *   log append time). LZ4 wrappers of magic 0 get Kafka's old header checksum (lz4-legacy-framing.ts);
 * - magic 1 messages carry each record's timestamp and the batch's timestamp type;
 * - zstd cannot be down-converted (KIP-110): the conversion stops before such a batch, and a
 *   partition whose first batch is one gets UNSUPPORTED_COMPRESSION_TYPE from the caller.
 *
 * Memory stays bounded: messages are converted only while they fit in `maxBytes` (the first
 * message is returned whole when `minOneMessage`, as Kafka returns a first oversized batch), and
 * one batch at a time is decompressed, within `maxDecompressedBytes`.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { codecFor } from '../compression/index.js';
import { withMagic0HeaderChecksum } from '../compression/lz4-legacy-framing.js';
import { batchesIn, readBatchRecords, type DecodedRecord } from './batch-records.js';
import { CompressionType, RecordBatchView, TimestampType } from './record-batch.js';
import { encodeLegacyMessageSet, LEGACY_LOG_APPEND_TIME, legacyEntrySize, writeLegacyMessage, type LegacyMagic, type LegacyMessage } from './legacy-message-writer.js';

export interface DownConversionOptions {
  readonly toMagic: LegacyMagic;
  /** The fetch offset: records below it are left out of uncompressed batches. */
  readonly firstOffset: bigint;
  /** Most bytes of converted messages to return. */
  readonly maxBytes: number;
  /** Return the first message even when it alone is larger than `maxBytes`. */
  readonly minOneMessage: boolean;
  /** Bound on one batch's decompressed records. */
  readonly maxDecompressedBytes: number;
}

export interface DownConverted {
  /** The message set (empty when nothing could be converted). */
  readonly records: Buffer;
  /** Messages written at the outer level (a wrapper counts once). */
  readonly messages: number;
  /** The conversion stopped at a zstd-compressed batch. */
  readonly stoppedAtZstd: boolean;
}

/** Records converted between two turns of the event loop, so a large conversion does not hold it. */
const RECORDS_BETWEEN_YIELDS = 1 << 14;

export async function downConvert(batches: Buffer, o: DownConversionOptions): Promise<DownConverted> {
  const parts: Buffer[] = [];
  let used = 0;
  let messages = 0;
  let sinceYield = 0;
  let stoppedAtZstd = false;
  // A message fits within what is left, or whatever its size when it would be the first one.
  const fits = (size: number) => used + size <= o.maxBytes || (messages === 0 && o.minOneMessage);
  for (const view of batchesIn(batches)) {
    if (view.isControl) continue;
    if (view.compression === CompressionType.Zstd) {
      stoppedAtZstd = true;
      break;
    }
    // The smallest message there is would not fit: nothing more can be added.
    if (!fits(legacyEntrySize(o.toMagic, null, null))) break;
    const records = await readBatchRecords(view, o.maxDecompressedBytes);
    if (records.length === 0) continue;
    sinceYield += records.length;
    if (view.compression === CompressionType.None) {
      const { bytes, count, full } = plainMessages(view, records, o, o.maxBytes - used, messages === 0 && o.minOneMessage);
      if (count > 0) {
        parts.push(bytes);
        used += bytes.length;
        messages += count;
      }
      if (full) break;
    } else {
      const wrapper = await wrapperMessage(view, records, o.toMagic);
      if (!fits(wrapper.length)) break;
      parts.push(wrapper);
      used += wrapper.length;
      messages++;
    }
    if (sinceYield >= RECORDS_BETWEEN_YIELDS) {
      sinceYield = 0;
      await nextTurn();
    }
  }
  return { records: parts.length === 1 ? parts[0] : Buffer.concat(parts, used), messages, stoppedAtZstd };
}

function recordAttributes(view: RecordBatchView, magic: LegacyMagic): number {
  return magic === 1 && view.timestampType === TimestampType.LogAppendTime ? LEGACY_LOG_APPEND_TIME : 0;
}

/**
 * One message per record at or after the fetch offset, as many as fit in `room` bytes (the first
 * whatever its size when `firstMayExceed`); `full` when the room stopped it.
 */
function plainMessages(view: RecordBatchView, records: DecodedRecord[], o: DownConversionOptions, room: number, firstMayExceed: boolean): { bytes: Buffer; count: number; full: boolean } {
  const attributes = recordAttributes(view, o.toMagic);
  const chosen: DecodedRecord[] = [];
  let size = 0;
  let full = false;
  for (const r of records) {
    if (r.offset < o.firstOffset) continue;
    const entry = legacyEntrySize(o.toMagic, r.key, r.value);
    if (size + entry > room && !(chosen.length === 0 && firstMayExceed)) {
      full = true;
      break;
    }
    chosen.push(r);
    size += entry;
  }
  const bytes = Buffer.allocUnsafe(size);
  let at = 0;
  for (const r of chosen) at = writeLegacyMessage(bytes, at, o.toMagic, { offset: r.offset, attributes, timestamp: r.timestamp, key: r.key, value: r.value });
  return { bytes, count: chosen.length, full };
}

/** The whole batch as one compressed wrapper message. */
async function wrapperMessage(view: RecordBatchView, records: DecodedRecord[], magic: LegacyMagic): Promise<Buffer> {
  const attributes = recordAttributes(view, magic);
  const first = records[0].offset;
  let maxTimestamp = -1n;
  const inner: LegacyMessage[] = records.map((r) => {
    if (r.timestamp > maxTimestamp) maxTimestamp = r.timestamp;
    return { offset: magic === 1 ? r.offset - first : r.offset, attributes, timestamp: r.timestamp, key: r.key, value: r.value };
  });
  let value = await codecFor(view.compression).compress(encodeLegacyMessageSet(magic, inner));
  if (magic === 0 && view.compression === CompressionType.Lz4) value = withMagic0HeaderChecksum(value);
  const timestamp = view.timestampType === TimestampType.LogAppendTime ? view.maxTimestamp : maxTimestamp;
  return encodeLegacyMessageSet(magic, [{ offset: records[records.length - 1].offset, attributes: attributes | view.compression, timestamp, key: null, value }]);
}
