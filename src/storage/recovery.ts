/**
 * Opening a partition directory: the segments found there, and, after an unclean stop, recovery:
 * every batch from the recovery point on is checked (length, magic, CRC-32C); the log is cut at
 * the first torn or corrupt one, later segments are deleted, and indexes are rebuilt for what was
 * scanned. What was acknowledged under the default flush policy lies before the cut.
 */
import { join } from 'node:path';
import { Segment } from './segment.js';
import { sizeOrZero, type DirEntry } from './file-system.js';
import { logFile, segmentBaseName, segmentBaseOffsets } from './file-names.js';
import type { HandleCache } from './handle-cache.js';
import { completeInterruptedSwaps } from './segment-swap.js';

/** The segments of a partition directory, and the names of its other files (sidecars, checkpoints). */
export async function loadSegments(dir: string, listing: DirEntry[], handles: HandleCache, indexIntervalBytes: number, now: () => number): Promise<{ segments: Segment[]; otherFiles: string[] }> {
  let entries = listing;
  // Leftovers of an interrupted checkpoint write or of a cleaning pass before its swap are dropped;
  // a swap that was decided (a `.swap` file) is completed (segment-swap.ts).
  const leftover = (n: string) => n.endsWith('.tmp') || n.endsWith('.cleaned');
  for (const e of entries) if (leftover(e.name)) await handles.fs.unlink(join(dir, e.name));
  if (await completeInterruptedSwaps(handles.fs, dir, entries.map((e) => e.name))) entries = await handles.fs.readdir(dir);
  const names = entries.map((e) => e.name);
  const bases = new Set(segmentBaseOffsets(names));
  // An aborted-transaction index whose segment is gone (a compaction swap merged it away before
  // the index was removed) must not be taken by a later segment of that base.
  for (const n of names) if (/^\d{20}\.txnindex$/.test(n) && !bases.has(Number(n.slice(0, 20)))) await handles.fs.unlink(join(dir, n));
  const segments: Segment[] = [];
  for (const base of segmentBaseOffsets(names)) {
    const seg = new Segment(dir, base, await sizeOrZero(handles.fs, logFile(dir, base)), handles, indexIntervalBytes, now());
    if (!names.includes(`${segmentBaseName(base)}.txnindex`)) seg.txnIndex.assumeAbsent();
    segments.push(seg);
  }
  const otherFiles = entries.filter((e) => !e.isDirectory && !leftover(e.name) && !/^\d{20}\.(log|index|timeindex|txnindex)$/.test(e.name)).map((e) => e.name);
  return { segments, otherFiles };
}

export interface RecoveryResult {
  /** Bytes cut from the end of the log. */
  truncatedBytes: number;
  segmentsDeleted: number;
}

/**
 * `gapless`: offsets run on from one segment to the next (a log compaction never touched). Then a
 * segment that ends before the next one begins lost its unsynced tail whole, and what follows it
 * was never acknowledged either (a sync covers every segment written before it): it goes, so the
 * log stays one contiguous run of offsets.
 */
export async function recoverSegments(segments: Segment[], recoveryPoint: number, gapless: boolean): Promise<RecoveryResult> {
  const result: RecoveryResult = { truncatedBytes: 0, segmentsDeleted: 0 };
  let first = 0;
  for (let i = 0; i < segments.length; i++) if (segments[i].baseOffset <= recoveryPoint) first = i;
  for (let i = first; i < segments.length; i++) {
    const seg = segments[i];
    const batches = await seg.scanFrom(0, true);
    const validEnd = batches.length > 0 ? batches[batches.length - 1].position + batches[batches.length - 1].size : 0;
    // Offsets only grow; compaction leaves gaps between batches, so growth, not adjacency, is checked.
    const continuous = batches.every((b, k) => k === 0 || b.baseOffset > batches[k - 1].lastOffset);
    if (validEnd < seg.size || !continuous) {
      const keep = continuous ? batches.length : batches.findIndex((b, k) => k > 0 && b.baseOffset <= batches[k - 1].lastOffset);
      const end = keep === 0 ? 0 : batches[keep - 1].position + batches[keep - 1].size;
      result.truncatedBytes += seg.size - end;
      const nextOffset = keep === 0 ? seg.baseOffset : batches[keep - 1].lastOffset + 1;
      await seg.rebuildIndexes();
      await seg.truncateTo(end, nextOffset);
      // Everything after a damaged segment is unreachable: remove it.
      for (const later of segments.splice(i + 1)) {
        await later.delete();
        result.segmentsDeleted++;
      }
      break;
    }
    await seg.rebuildIndexes();
    // An index entry whose marker a crash took back describes nothing (the partition re-adds lost ones as it replays).
    await seg.txnIndex.truncateTo(seg.nextOffset);
    const next = segments[i + 1];
    if (next && (next.baseOffset < seg.nextOffset || (gapless && next.baseOffset > seg.nextOffset))) {
      for (const later of segments.splice(i + 1)) {
        result.truncatedBytes += later.size;
        await later.delete();
        result.segmentsDeleted++;
      }
      break;
    }
  }
  return result;
}
