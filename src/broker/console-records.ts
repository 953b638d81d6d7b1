/**
 * The console's message browser: records of one partition from an offset, or from the first
 * record at or after a timestamp, optionally only those whose key contains a substring. Every scan
 * is bounded in records returned and in bytes read, so a search over a large log answers quickly
 * with where it stopped (`nextOffset`), and the browser can go on from there. Batches are decoded
 * by the protocol's record reader, decompressing through the project's codecs; control batches
 * (transaction markers) are skipped, as consumers skip them. Reads stop at the high watermark.
 */
import type { BrokerParts } from './observed.js';
import { READ_UNCOMMITTED } from '../partition/partition.js';
import { batchesIn, readBatchRecords } from '../protocol/records/batch-records.js';

export const MAX_RECORDS = 500;
export const MAX_SCAN_BYTES = 16 * 1024 * 1024;
/** One read from the log; a larger batch is still returned whole (minOneBatch). */
const READ_CHUNK_BYTES = 1024 * 1024;
/** A browser shows values, not archives: each key and value is cut at this size. */
const MAX_FIELD_BYTES = 64 * 1024;
/** And one answer carries at most this much of them (500 records of 64 KiB would be 32 MiB). */
const MAX_SHOWN_BYTES = 4 * 1024 * 1024;

export interface RecordQuery {
  readonly topic: string;
  readonly partition: number;
  /** Start at this offset (clamped to the log start), or at the first record at/after `timestamp`. */
  readonly offset?: number;
  readonly timestamp?: number;
  /** Only records whose key (as UTF-8) contains this. */
  readonly keyContains?: string;
  readonly limit: number;
  readonly maxScanBytes: number;
}

export interface ConsoleRecord {
  readonly offset: number;
  readonly timestamp: number;
  /** Base64 of the bytes (cut at MAX_FIELD_BYTES), null for a null key or value. */
  readonly key: string | null;
  readonly value: string | null;
  readonly keySize: number;
  readonly valueSize: number;
  readonly truncated: boolean;
  readonly headers: { key: string; value: string | null }[];
}

export interface RecordPage {
  readonly topic: string;
  readonly partition: number;
  readonly startOffset: number;
  /** Where a next page would start: after the last record scanned. */
  readonly nextOffset: number;
  readonly highWatermark: number;
  readonly logStartOffset: number;
  readonly scannedBytes: number;
  /** Why the scan stopped: the limit of records, a byte bound (read, or shown), or the high watermark. */
  readonly stoppedBy: 'limit' | 'bytes' | 'end';
  readonly records: ConsoleRecord[];
}

export class RecordLookupError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export async function readRecords(parts: BrokerParts, q: RecordQuery): Promise<RecordPage> {
  if (!parts.view?.topic(q.topic)) throw new RecordLookupError(404, `Topic ${q.topic} does not exist.`);
  const p = parts.replicas?.get(q.topic, q.partition);
  if (!p) throw new RecordLookupError(404, `This broker holds no copy of ${q.topic}-${q.partition}.`);
  let start = q.offset ?? p.log.logStartOffset;
  if (q.timestamp !== undefined) {
    const found = await p.offsetForTimestamp(q.timestamp);
    start = found ? found.offset : p.highWatermark;
  }
  start = Math.max(start, p.log.logStartOffset);
  const keyNeedle = q.keyContains !== undefined && q.keyContains !== '' ? Buffer.from(q.keyContains) : null;
  const records: ConsoleRecord[] = [];
  let at = start;
  let scanned = 0;
  let shownBytes = 0;
  let stoppedBy: RecordPage['stoppedBy'] = 'end';
  scan: while (true) {
    if (at >= p.highWatermark) break;
    if (scanned >= q.maxScanBytes) {
      stoppedBy = 'bytes';
      break;
    }
    const read = await p.read(at, Math.min(READ_CHUNK_BYTES, q.maxScanBytes - scanned), READ_UNCOMMITTED, true);
    if (read.records.length === 0) break;
    scanned += read.records.length;
    let advanced = false;
    for (const batch of batchesIn(read.records)) {
      const batchEnd = Number(batch.baseOffset) + batch.lastOffsetDelta + 1;
      if (batch.isControl) {
        if (batchEnd > at) at = batchEnd;
        advanced = true;
        continue;
      }
      for (const r of await readBatchRecords(batch)) {
        const offset = Number(r.offset);
        if (offset < at) continue;
        at = offset + 1;
        advanced = true;
        if (keyNeedle !== null && (r.key === null || !r.key.includes(keyNeedle))) continue;
        records.push(shown(offset, Number(r.timestamp), r.key, r.value, r.headers));
        shownBytes += Math.min(r.key?.length ?? 0, MAX_FIELD_BYTES) + Math.min(r.value?.length ?? 0, MAX_FIELD_BYTES);
        if (records.length >= q.limit) {
          stoppedBy = 'limit';
          break scan;
        }
        if (shownBytes >= MAX_SHOWN_BYTES) {
          stoppedBy = 'bytes';
          break scan;
        }
      }
      // Compaction leaves gaps: the next read starts after the batch, not after its last record.
      if (batchEnd > at) at = batchEnd;
    }
    if (!advanced) break;
  }
  return { topic: q.topic, partition: q.partition, startOffset: start, nextOffset: at, highWatermark: p.highWatermark, logStartOffset: p.log.logStartOffset, scannedBytes: scanned, stoppedBy, records };
}

function cut(b: Buffer | null): string | null {
  return b === null ? null : b.subarray(0, MAX_FIELD_BYTES).toString('base64');
}

function shown(offset: number, timestamp: number, key: Buffer | null, value: Buffer | null, headers: readonly { key: string; value: Buffer | null }[]): ConsoleRecord {
  return {
    offset,
    timestamp,
    key: cut(key),
    value: cut(value),
    keySize: key?.length ?? -1,
    valueSize: value?.length ?? -1,
    truncated: (key?.length ?? 0) > MAX_FIELD_BYTES || (value?.length ?? 0) > MAX_FIELD_BYTES,
    headers: headers.map((h) => ({ key: h.key, value: cut(h.value) })),
  };
}
