/**
 * Log compaction (cleanup.policy=compact): in the segments before the active one, only the last
 * record of each key is kept; tombstones (null values) are kept for delete.retention.ms and then
 * dropped too. Offsets never change: a rewritten batch keeps its base offset and the offsets of
 * the records it keeps, so consumers see gaps, never renumbering. Control batches are kept whole.
 *
 * Each cleaned segment is written to `<base>.log.cleaned`, fsynced, and renamed over its `.log`; a
 * crash leaves either the old or the new file (a leftover `.cleaned` file is removed at open).
 */
import { RecordBatchView } from '../protocol/records/record-batch.js';
import { buildBatch, readBatchRecords } from '../protocol/records/batch-records.js';
import type { HandleCache } from './handle-cache.js';
import { writeFully } from './file-system.js';
import type { Segment } from './segment.js';

export interface CompactionResult {
  segments: number;
  bytesBefore: number;
  bytesAfter: number;
  recordsRemoved: number;
}

async function* batchesOf(seg: Segment): AsyncGenerator<RecordBatchView> {
  for (const info of await seg.scanFrom(0)) yield new RecordBatchView(await seg.read(info.position, info.size));
}

const keyOf = (key: Buffer | null) => (key === null ? null : key.toString('base64'));

/** Compacts `segments` (never the active one); `now` and `deleteRetentionMs` decide tombstones. */
export async function compactSegments(segments: Segment[], handles: HandleCache, now: number, deleteRetentionMs: number): Promise<CompactionResult> {
  const result: CompactionResult = { segments: 0, bytesBefore: 0, bytesAfter: 0, recordsRemoved: 0 };
  // Pass 1: the last offset of every key in the cleanable range.
  const latest = new Map<string, bigint>();
  for (const seg of segments) {
    for await (const batch of batchesOf(seg)) {
      if (batch.isControl) continue;
      for (const r of await readBatchRecords(batch)) {
        const k = keyOf(r.key);
        if (k !== null) latest.set(k, r.offset);
      }
    }
  }
  // Pass 2: rewrite each segment with what survives.
  for (const seg of segments) {
    await seg.indexes();
    const dropTombstones = seg.maxTimestamp >= 0 && now - seg.maxTimestamp > deleteRetentionMs;
    const out: Buffer[] = [];
    let removed = 0;
    for await (const batch of batchesOf(seg)) {
      if (batch.isControl) {
        out.push(batch.bytes());
        continue;
      }
      const records = await readBatchRecords(batch);
      const keep = records.filter((r) => {
        const k = keyOf(r.key);
        if (k !== null && latest.get(k) !== r.offset) return false;
        return !(r.value === null && dropTombstones);
      });
      removed += records.length - keep.length;
      if (keep.length === records.length) out.push(batch.bytes());
      else if (keep.length > 0) {
        const rebuilt = await buildBatch(
          keep.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: Number(r.timestamp), offsetDelta: Number(r.offset - batch.baseOffset) })),
          { baseOffset: batch.baseOffset, partitionLeaderEpoch: batch.partitionLeaderEpoch, compression: batch.compression, producerId: batch.producerId, producerEpoch: batch.producerEpoch, baseSequence: batch.baseSequence },
        );
        out.push(rebuilt);
      }
    }
    if (removed === 0) continue;
    const bytes = Buffer.concat(out);
    const cleaned = `${seg.logPath}.cleaned`;
    const fh = await handles.fs.open(cleaned, 'replace');
    try {
      await writeFully(fh, bytes, 0);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await handles.close(seg.logPath);
    await handles.fs.rename(cleaned, seg.logPath);
    await handles.fs.syncDir(seg.dir);
    result.bytesBefore += seg.size;
    result.bytesAfter += bytes.length;
    result.segments++;
    result.recordsRemoved += removed;
    seg.size = bytes.length;
    await seg.rebuildIndexes();
  }
  return result;
}
