/**
 * Which part of a compacted log may be cleaned now, and whether it is worth it (Kafka's
 * LogCleanerManager.cleanableOffsets and LogToClean):
 *
 * - the dirty part begins at the cleaner checkpoint (where the last pass stopped), reset to the log
 *   start when the checkpoint is below it or past the log end;
 * - it ends before the first segment that is the active one, that is not wholly below the recovery
 *   point (a record that is not on disk yet must never be what removes an older one: it is not
 *   acknowledged, and a crash may take it back), or that holds a record younger than
 *   min.compaction.lag.ms;
 * - the log is worth cleaning when dirty bytes / (clean + dirty bytes) exceeds
 *   min.cleanable.dirty.ratio, or when max.compaction.lag.ms has passed for the first batch of the
 *   dirty part and there is something to clean.
 */
import type { Segment } from './segment.js';
import { SegmentDeletedError } from './segment.js';

export interface CleaningView {
  /** Every segment; the last is the active one. */
  readonly segments: readonly Segment[];
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly recoveryPoint: number;
  /** The first offset of the earliest open transaction, or null (Kafka's firstUnstableOffset). */
  readonly firstUnstableOffset: number | null;
  /** Where the last cleaning pass stopped (Kafka's cleaner-offset-checkpoint). */
  readonly cleanerCheckpoint: number;
  readonly minCompactionLagMs: number;
  readonly maxCompactionLagMs: number;
  readonly now: number;
}

export interface CleanableRange {
  firstDirtyOffset: number;
  /** Offsets from here on are not cleaned in this pass; a segment boundary. */
  firstUncleanableOffset: number;
  /** Bytes of the segments before the dirty part. */
  cleanBytes: number;
  /** Bytes of the segments of the dirty part up to the first uncleanable offset. */
  cleanableBytes: number;
  cleanableRatio: number;
  /** max.compaction.lag.ms has passed for the oldest dirty batch. */
  needCompactionNow: boolean;
}

/** The part of the log a pass may clean now. */
export async function cleanableRange(v: CleaningView): Promise<CleanableRange> {
  const segs = v.segments;
  const active = segs[segs.length - 1];
  const firstDirtyOffset = v.cleanerCheckpoint < v.logStartOffset || v.cleanerCheckpoint > v.logEndOffset ? v.logStartOffset : v.cleanerCheckpoint;
  let bound = active.baseOffset;
  for (let i = 0; i + 1 < segs.length; i++) {
    if (segs[i + 1].baseOffset > v.recoveryPoint) {
      bound = Math.min(bound, segs[i].baseOffset);
      break;
    }
  }
  // An open transaction may still abort: nothing from its segment on is cleaned (its records could shadow live ones).
  if (v.firstUnstableOffset !== null) bound = Math.min(bound, segs[floorIndex(segs, v.firstUnstableOffset)].baseOffset);
  const dirty = segs.filter((s, i) => s !== active && endOf(segs, i) > firstDirtyOffset);
  if (v.minCompactionLagMs > 0) {
    for (const s of dirty) {
      await s.indexes();
      if (s.maxTimestamp > v.now - v.minCompactionLagMs) {
        bound = Math.min(bound, s.baseOffset);
        break;
      }
    }
  }
  const firstUncleanableOffset = Math.max(firstDirtyOffset, bound);
  const cleanBytes = sum(segs.filter((s) => s.baseOffset < firstDirtyOffset));
  const uncleanableBase = segs[floorIndex(segs, firstUncleanableOffset)].baseOffset;
  const from = Math.min(firstDirtyOffset, uncleanableBase);
  const cleanableBytes = sum(segs.filter((s, i) => s.baseOffset < uncleanableBase && endOf(segs, i) > from));
  const total = cleanBytes + cleanableBytes;
  return {
    firstDirtyOffset,
    firstUncleanableOffset,
    cleanBytes,
    cleanableBytes,
    cleanableRatio: total > 0 ? cleanableBytes / total : 0,
    needCompactionNow: await pastMaxCompactionLag(dirty, v),
  };
}

/** Kafka's choice: past the dirty ratio, or due by max.compaction.lag.ms with bytes to clean. */
export function worthCleaning(range: CleanableRange, minCleanableDirtyRatio: number): boolean {
  if (range.firstUncleanableOffset <= range.firstDirtyOffset) return false;
  return (range.needCompactionNow && range.cleanableBytes > 0) || range.cleanableRatio > minCleanableDirtyRatio;
}

async function pastMaxCompactionLag(dirty: Segment[], v: CleaningView): Promise<boolean> {
  const cleanUntil = v.now - v.maxCompactionLagMs;
  if (cleanUntil <= 0) return false;
  for (const s of dirty) {
    // As Kafka: the first batch's max timestamp stands for the segment's age; none (≤ 0) is ignored.
    const first = await s.batchAt(0).catch((err: unknown) => {
      if (err instanceof SegmentDeletedError) return null;
      throw err;
    });
    if (first && first.maxTimestamp > 0 && first.maxTimestamp < cleanUntil) return true;
  }
  return false;
}

/** The offset after segment i: the next segment's base, or the end of the last one. */
function endOf(segs: readonly Segment[], i: number): number {
  return i + 1 < segs.length ? segs[i + 1].baseOffset : segs[i].nextOffset;
}

function floorIndex(segs: readonly Segment[], offset: number): number {
  let found = 0;
  for (let i = 0; i < segs.length && segs[i].baseOffset <= offset; i++) found = i;
  return found;
}

function sum(segs: Segment[]): number {
  return segs.reduce((n, s) => n + s.size, 0);
}
