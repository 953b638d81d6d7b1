/**
 * Truncating a disk log (log.ts runs these in its write order, with appends refused meanwhile).
 * Each step is ordered so that a crash at any point leaves a log that recovery opens as one
 * contiguous run, either the old log or a prefix of it ending at or below the target, with
 * nothing beside it that describes more: producer snapshots past the cut go first, then the
 * segments, then the leader epoch file (one a crash left ahead of the log is trimmed at open).
 */
import type { FileSystem } from './file-system.js';
import type { LeaderEpochFile } from './leader-epoch-file.js';
import type { Segment } from './segment.js';
import type { SidecarFiles } from './sidecar-files.js';

/** What truncation needs of its disk log. */
export interface TruncationHost {
  readonly dir: string;
  readonly fs: FileSystem;
  readonly segments: Segment[];
  readonly sidecars: SidecarFiles;
  readonly epochs: LeaderEpochFile;
  readonly indexBytes: number;
  readonly startOffset: number;
  newSegment(baseOffset: number): Segment;
  /** Before segments change: compaction restarts its dirty range at `offset` at most. */
  truncating(offset: number): void;
  /** After: `gone` were deleted, the log now starts at `startOffset` and ends where its last segment does. */
  truncated(gone: Segment[], startOffset: number): void;
}

function endOf(segments: Segment[]): number {
  return segments[segments.length - 1].nextOffset;
}

/** PartitionLog.truncateTo on a disk log. */
export async function truncateLog(log: TruncationHost, offset: number): Promise<void> {
  // Nothing to cut, but an epoch a leader noted without appending may still lie at the end (Kafka does this too).
  if (offset >= endOf(log.segments)) return log.epochs.truncateFromEnd(endOf(log.segments));
  // Below the log start nothing worth keeping is left: Kafka restarts the log when the target is
  // below its first segment; here the log start decides, so both logs answer alike and records
  // DeleteRecords removed never come back.
  if (offset < log.startOffset) return restartLog(log, offset);
  log.truncating(offset);
  await log.sidecars.dropPast(offset);
  const gone = await cutSegmentsAt(log.segments, offset, log.fs, log.dir);
  const end = endOf(log.segments);
  log.truncated(gone, Math.min(log.startOffset, end));
  await log.sidecars.dropPast(end);
  await log.epochs.truncateFromEnd(end);
}

/** PartitionLog.truncateFullyAndStartAt on a disk log. */
export async function restartLog(log: TruncationHost, offset: number): Promise<void> {
  log.truncating(offset);
  await log.sidecars.dropPast(-1);
  const gone = await replaceSegmentsWith(log.segments, log.newSegment(offset), log.indexBytes, log.fs, log.dir);
  log.truncated(gone, offset);
  await log.epochs.clear();
}

/**
 * Cuts `segments` (the last one active) so the log ends at or below `offset`: whole segments
 * after it go first, newest first, and their names are made durable before the remaining segment
 * shrinks (so a crash never keeps a later segment behind a cut one, which a compacted log, whose
 * recovery allows gaps, would take back). A batch holding `offset` goes whole; a target in a gap
 * between batches (compaction) is the new end. Returns the segments deleted.
 */
export async function cutSegmentsAt(segments: Segment[], offset: number, fs: FileSystem, dir: string): Promise<Segment[]> {
  const gone: Segment[] = [];
  while (segments.length > 1 && segments[segments.length - 1].baseOffset >= offset) {
    const seg = segments.pop() as Segment;
    gone.push(seg);
    await seg.delete();
  }
  if (gone.length > 0) await fs.syncDir(dir);
  const seg = segments[segments.length - 1];
  const info = await seg.positionOf(offset);
  if (info) await seg.truncateTo(info.position, Math.min(offset, info.baseOffset));
  else seg.nextOffset = Math.min(seg.nextOffset, Math.max(offset, seg.baseOffset));
  await seg.withFile((fh) => fh.datasync());
  return gone;
}

/**
 * Replaces every segment with `fresh` (empty): `segments` holds only it at once, so reads meanwhile
 * see an empty log; the old files go newest first (a crash keeps a prefix of the log), then the
 * new one's files are made and their names synced. Returns the segments deleted.
 */
export async function replaceSegmentsWith(segments: Segment[], fresh: Segment, indexBytes: number, fs: FileSystem, dir: string): Promise<Segment[]> {
  fresh.startEmptyIndexes();
  fresh.txnIndex.assumeAbsent();
  const gone = segments.splice(0, segments.length, fresh);
  for (const seg of [...gone].reverse()) await seg.delete();
  await fs.syncDir(dir);
  await fresh.preallocateIndexes(indexBytes);
  await fresh.withFile((fh) => fh.sync());
  await fs.syncDir(dir);
  return gone;
}
