/**
 * One cleaning pass over a compacted log (cleanup.policy=compact), as Kafka's Cleaner.doClean:
 *
 * 1. the offset map: the dirty part [first dirty offset, first uncleanable offset) is read in
 *    bounded chunks and the latest offset of each key recorded in a map of bounded size
 *    (log.cleaner.dedupe.buffer.size). When the map fills, the pass cleans only up to the last
 *    offset the map covers, and the next pass goes on from there;
 * 2. the segments from the log start up to that offset are grouped (consecutive segments whose
 *    sizes add up to at most segment.bytes become one), and each group is streamed through the
 *    record filter (record-filter.ts) into one cleaned segment, written incrementally;
 * 3. each cleaned segment is swapped in for its group by the log, which alone takes its write
 *    queue, for the swap only (segment-swap.ts).
 *
 * Offsets never change: kept records keep their offsets and batches their base and last offsets,
 * so consumers see gaps, never renumbering. A single-segment group in which nothing changes is
 * not rewritten. Memory per pass: the offset map, one read chunk and one write buffer (half of
 * log.cleaner.io.buffer.size each), and the batch being filtered.
 */
import { readBatchRecords } from '../protocol/records/batch-records.js';
import type { HandleCache } from './handle-cache.js';
import { OffsetMap } from './offset-map.js';
import { filterBatch, TransactionTracker, type FilterContext } from './record-filter.js';
import { CleanedSegmentWriter } from './cleaned-segment-writer.js';
import { segmentBatches } from './segment-reader.js';
import type { Segment } from './segment.js';
import type { AbortedTxn } from './txn-index.js';

export interface CleanerOptions {
  /** log.cleaner.dedupe.buffer.size: bytes of the offset map of one pass. */
  dedupeBufferBytes: number;
  /** log.cleaner.io.buffer.load.factor: how full the map may get. */
  loadFactor: number;
  /** log.cleaner.io.buffer.size: the read chunk and the write buffer of a pass, half each. */
  ioBufferBytes: number;
}

export const DEFAULT_CLEANER_OPTIONS: CleanerOptions = { dedupeBufferBytes: 128 * 1024 * 1024, loadFactor: 0.9, ioBufferBytes: 512 * 1024 };

export interface CompactionResult {
  /** Old segments replaced by cleaned ones. */
  segments: number;
  /** Cleaned segments swapped in. */
  cleanedSegments: number;
  bytesBefore: number;
  bytesAfter: number;
  recordsRemoved: number;
  /** The next pass's first dirty offset. */
  cleanedUpTo: number;
  /** The offset map filled before the dirty part ended. */
  mapFull: boolean;
  /** Bytes the offset map took. */
  offsetMapBytes: number;
}

/** The pass was stopped (the log closes, the broker stops, or the log changed under it). */
export class CleaningAbortedError extends Error {
  override readonly name = 'CleaningAbortedError';
}

/** What a pass needs from its log. */
export interface CleaningTarget {
  readonly dir: string;
  readonly handles: HandleCache;
  readonly now: number;
  readonly segmentBytes: number;
  readonly segmentIndexBytes: number;
  readonly indexIntervalBytes: number;
  readonly deleteRetentionMs: number;
  readonly producerIdExpirationMs: number;
  /** The non-active segments from the log start up to the first uncleanable offset. */
  readonly segments: readonly Segment[];
  readonly firstDirtyOffset: number;
  readonly firstUncleanableOffset: number;
  /**
   * Swaps `cleaned` in for `old` (under the log's write queue); false when the log changed under
   * them (retention took one), and the cleaned file is then discarded.
   */
  swap(old: readonly Segment[], cleaned: Segment, cleanedPath: string, abortedTxns: readonly AbortedTxn[]): Promise<boolean>;
  /** The log's aborted transactions overlapping [from, to) (its aborted-transaction indexes). */
  abortedTxns(from: number, to: number): Promise<AbortedTxn[]>;
  /** Throws CleaningAbortedError when the pass must stop. */
  checkAborted(): void;
  /** Called at points where tests pause the pass. */
  onProgress?: (stage: 'mapped' | 'group-written' | 'group-swapped') => Promise<void>;
}

const INT32_MAX = 2 ** 31 - 1;

export async function cleanSegments(target: CleaningTarget, options: CleanerOptions): Promise<CompactionResult> {
  const chunkBytes = Math.max(1024, Math.floor(options.ioBufferBytes / 2));
  for (const s of target.segments) await s.indexes();
  const mapped = await buildOffsetMap(target, options, chunkBytes);
  await target.onProgress?.('mapped');
  const result: CompactionResult = { segments: 0, cleanedSegments: 0, bytesBefore: 0, bytesAfter: 0, recordsRemoved: 0, cleanedUpTo: mapped.end, mapFull: mapped.full, offsetMapBytes: mapped.ctx.map.memoryBytes };
  const candidates = target.segments.filter((s) => s.baseOffset < mapped.end);
  for (const group of await groupSegments(candidates, target, mapped.end)) {
    target.checkAborted();
    const written = await cleanGroup(group, mapped.ctx, target, chunkBytes);
    result.recordsRemoved += written.removed;
    const writer = written.writer;
    if (!writer) continue;
    let swapped: boolean;
    let cleaned: Segment;
    try {
      cleaned = await writer.finish();
      await target.onProgress?.('group-written');
      target.checkAborted();
      swapped = await target.swap(group, cleaned, writer.path, written.abortedTxns);
    } catch (err) {
      // After a swap began, its file has another name: removing the cleaned name is then a no-op.
      // A failure to remove it is an I/O error of its own, and takes the place of `err`.
      await writer.discard();
      throw err;
    }
    if (!swapped) {
      await writer.discard();
      continue;
    }
    await target.onProgress?.('group-swapped');
    result.segments += group.length;
    result.cleanedSegments++;
    result.bytesBefore += group.reduce((n, s) => n + s.size, 0);
    result.bytesAfter += cleaned.size;
  }
  return result;
}

/** Step 1: keys of the dirty part, and the last batch of each producer there. */
async function buildOffsetMap(target: CleaningTarget, options: CleanerOptions, chunkBytes: number): Promise<{ ctx: FilterContext; end: number; full: boolean }> {
  const start = target.firstDirtyOffset;
  const limit = target.firstUncleanableOffset;
  const map = OffsetMap.within(options.dedupeBufferBytes, options.loadFactor, limit - start);
  const lastBatchOfProducer = new Map<bigint, number>();
  const segs = target.segments;
  // Aborted records must not take a key's place in the map: the value before them is the live one.
  const transactions = new TransactionTracker();
  transactions.addAborted(await target.abortedTxns(start, limit));
  let full = false;
  for (let i = 0; i < segs.length && !full; i++) {
    const seg = segs[i];
    const segEnd = i + 1 < segs.length ? segs[i + 1].baseOffset : limit;
    if (segEnd <= start || seg.baseOffset >= limit) continue;
    const { offsets } = await seg.indexes();
    const from = seg.baseOffset >= start ? 0 : offsets.lookup(start - seg.baseOffset);
    for await (const { view } of segmentBatches(seg, chunkBytes, from)) {
      target.checkAborted();
      const lastOffset = Number(view.lastOffset);
      if (lastOffset < start) continue;
      if (view.producerId >= 0n) lastBatchOfProducer.set(view.producerId, lastOffset);
      const aborted = view.isControl ? (transactions.onControl(view, await readBatchRecords(view)), true) : transactions.onData(view);
      if (!aborted) {
        for (const r of await readBatchRecords(view)) {
          const offset = Number(r.offset);
          if (r.key === null || offset < start) continue;
          if (map.isFull) {
            full = true;
            break;
          }
          map.put(r.key, offset);
        }
      }
      if (full) break;
      map.coverUpTo(lastOffset);
    }
    // Offsets between this segment's last batch and the next segment hold no keys.
    if (!full) map.coverUpTo(segEnd - 1);
  }
  const end = full ? map.latestOffset + 1 : limit;
  const ctx: FilterContext = { map, now: target.now, deleteRetentionMs: target.deleteRetentionMs, producerIdExpirationMs: target.producerIdExpirationMs, lastBatchOfProducer, transactions: new TransactionTracker() };
  return { ctx, end, full };
}

/**
 * Step 2's grouping (Kafka's groupSegmentsBySize): consecutive segments whose logs add up to at
 * most segment.bytes and whose offset indexes to at most segment.index.bytes, spanning fewer than
 * 2^31 offsets (index entries hold offsets relative to the base).
 */
async function groupSegments(segs: readonly Segment[], target: CleaningTarget, end: number): Promise<Segment[][]> {
  const indexBytes = await Promise.all(segs.map(async (s) => (await s.indexes()).offsets.entries.length * 8));
  const groups: Segment[][] = [];
  for (let i = 0; i < segs.length; ) {
    const group = [segs[i]];
    let logBytes = segs[i].size;
    let idxBytes = indexBytes[i];
    let j = i + 1;
    while (j < segs.length && logBytes + segs[j].size <= target.segmentBytes && idxBytes + indexBytes[j] <= target.segmentIndexBytes) {
      const lastOffset = j + 1 < segs.length ? segs[j + 1].baseOffset - 1 : end - 1;
      if (segs[j].size > 0 && lastOffset - group[0].baseOffset > INT32_MAX) break;
      group.push(segs[j]);
      logBytes += segs[j].size;
      idxBytes += indexBytes[j];
      j++;
    }
    groups.push(group);
    i = j;
  }
  return groups;
}

/**
 * Streams one group through the filter. A writer is made at once for a merged group; for a single
 * segment only at the first batch that changes (the unchanged batches before it are then copied),
 * so a segment with nothing to remove costs a read, not a rewrite. The group's last batch is kept
 * (empty if need be), so the cleaned segment ends at the same offset as the segments it replaces:
 * swap recovery reads the range a swap file replaces from its batches, and recovery after an
 * unclean stop takes a gap between segments of a log that is no longer compacted for lost data.
 */
async function cleanGroup(group: Segment[], ctx: FilterContext, target: CleaningTarget, chunkBytes: number): Promise<{ writer: CleanedSegmentWriter | null; removed: number; abortedTxns: AbortedTxn[] }> {
  const groupEnd = group[group.length - 1].nextOffset;
  const newWriter = () => new CleanedSegmentWriter(target.handles, target.dir, group[0].baseOffset, target.indexIntervalBytes, group[0].createdAt, chunkBytes);
  let writer = group.length > 1 ? newWriter() : null;
  let removed = 0;
  ctx.transactions.retained = [];
  try {
    for (const [i, seg] of group.entries()) {
      // The whole segment's range, as Kafka collects them: the cleaned segment's index is rebuilt from what its markers keep.
      ctx.transactions.addAborted(await target.abortedTxns(seg.baseOffset, group[i + 1]?.baseOffset ?? seg.nextOffset));
      for await (const { view, position } of segmentBatches(seg, chunkBytes)) {
        target.checkAborted();
        const outcome = await filterBatch(view, ctx, Number(view.lastOffset) + 1 === groupEnd);
        removed += outcome.removed;
        if (!writer) {
          if (outcome.kind === 'unchanged') continue;
          writer = newWriter();
          for await (const before of segmentBatches(seg, chunkBytes)) {
            if (before.position >= position) break;
            await writer.add(before.view.bytes());
          }
        }
        if (outcome.kind === 'unchanged') await writer.add(view.bytes());
        else if (outcome.kind === 'rewritten') await writer.add(outcome.bytes);
      }
    }
    return { writer, removed, abortedTxns: ctx.transactions.retained };
  } catch (err) {
    await writer?.discard();
    throw err;
  }
}
