/**
 * A disk log's compaction: its cleaner checkpoint, one cleaning pass at a time running beside
 * appends, reads and offset commits, and the swap of each cleaned segment, which alone takes the
 * log's write queue, briefly (a rename, a few removals, two directory fsyncs, two index files).
 *
 * The swap gives the cleaned data a new Segment object in place of the old ones. A read that holds
 * an old segment's file handle when the swap happens finishes on the old file (the handle stays
 * open until its last user is done, and Linux keeps a renamed-over or removed file readable
 * through it); a use of an old segment that had no handle yet is refused with
 * SegmentReplacedError, and the log retries it on its current segments. So no read ever combines
 * positions of one file with bytes of another.
 */
import { cleanSegments, CleaningAbortedError, DEFAULT_CLEANER_OPTIONS, type CleanerOptions, type CompactionResult } from './compactor.js';
import { cleanableRange, type CleanableRange, type CleaningView } from './cleaning-policy.js';
import { swapInCleaned } from './segment-swap.js';
import { collectAbortedTxnsIn } from './aborted-txns.js';
import type { AbortedTxn } from './txn-index.js';
import { SegmentDeletedError, type Segment } from './segment.js';
import { LogOfflineError } from './partition-log.js';
import type { HandleCache } from './handle-cache.js';

/** The compaction settings of a log's configuration (topic configs, see log.ts LogConfig). */
export interface CompactionConfig {
  compact: boolean;
  segmentBytes: number;
  segmentIndexBytes: number;
  indexIntervalBytes: number;
  deleteRetentionMs: number;
  minCompactionLagMs: number;
  maxCompactionLagMs: number;
  producerIdExpirationMs: number;
}

/** What compaction needs from its disk log. */
export interface CompactionHost {
  readonly dir: string;
  readonly handles: HandleCache;
  /** The log's live segment list (the last is active); a swap replaces entries in place. */
  readonly segments: Segment[];
  config(): CompactionConfig;
  now(): number;
  /** `firstUnstableOffset`: the first offset of the earliest open transaction (null: none); nothing from its segment on is cleaned, as in Kafka. */
  offsets(): { logStartOffset: number; logEndOffset: number; recoveryPoint: number; firstUnstableOffset: number | null };
  /** The log is closed or offline: no pass may run. */
  stopped(): boolean;
  /** Runs `task` in the log's write queue; an I/O error there takes the log offline. */
  maintain(task: () => Promise<void>): Promise<void>;
  /** Takes the log offline after an I/O error. */
  fail(err: unknown): LogOfflineError;
  /** A segment left the log: group commit need not sync it. */
  forget(segment: Segment): void;
}

export interface CompactOptions extends Partial<CleanerOptions> {
  /** Stops the pass (the broker's cleaner stops). */
  signal?: AbortSignal;
  /** A test seam: awaited at the named points of a pass. */
  onProgress?: (stage: 'mapped' | 'group-written' | 'group-swapped') => Promise<void>;
}

export class LogCompaction {
  private pass: Promise<CompactionResult | null> | null = null;
  private stopping = false;
  /** Counts truncations: a pass whose log was truncated meanwhile may hold keys that are gone. */
  private truncations = 0;
  /** Set when a pass met data it cannot clean: no more passes until a restart (Kafka marks it uncleanable). */
  uncleanable: Error | null = null;

  constructor(
    private readonly host: CompactionHost,
    /** Where the dirty part begins (Kafka's cleaner-offset-checkpoint entry). */
    public cleanerCheckpoint: number,
  ) {}

  get inProgress(): boolean {
    return this.pass !== null;
  }

  private view(now: number): CleaningView {
    const c = this.host.config();
    return { ...this.host.offsets(), segments: this.host.segments, cleanerCheckpoint: this.cleanerCheckpoint, minCompactionLagMs: c.minCompactionLagMs, maxCompactionLagMs: c.maxCompactionLagMs, now };
  }

  private runnable(): boolean {
    return this.host.config().compact && !this.uncleanable && !this.stopping && !this.host.stopped() && this.pass === null;
  }

  /** The cleanable range now, or null when no pass may run (for the broker's choice of log). */
  async candidate(): Promise<CleanableRange | null> {
    if (!this.runnable()) return null;
    return cleanableRange(this.view(this.host.now()));
  }

  /** Runs one cleaning pass over what is cleanable now; null when there was nothing or it stopped. */
  async compact(options: CompactOptions = {}): Promise<CompactionResult | null> {
    if (!this.runnable()) return null;
    this.pass = this.run(options);
    try {
      return await this.pass;
    } finally {
      this.pass = null;
    }
  }

  /** Offsets at and after `offset` are gone: a pass in progress is abandoned, the checkpoint kept below. */
  onTruncate(offset: number): void {
    this.truncations++;
    this.cleanerCheckpoint = Math.min(this.cleanerCheckpoint, offset);
  }

  /** Stops compaction of this log: a pass in progress stops at its next step, and is waited for. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.pass?.catch(() => undefined);
  }

  private async run(options: CompactOptions): Promise<CompactionResult | null> {
    const now = this.host.now();
    const config = this.host.config();
    const range = await cleanableRange(this.view(now));
    if (range.firstUncleanableOffset <= range.firstDirtyOffset) return null;
    const all = this.host.segments;
    const segments = all.filter((s, i) => i < all.length - 1 && s.baseOffset < range.firstUncleanableOffset);
    const sizes = new Map(segments.map((s) => [s, s.size]));
    const truncations = this.truncations;
    try {
      const result = await cleanSegments(
        {
          dir: this.host.dir,
          handles: this.host.handles,
          now,
          segmentBytes: config.segmentBytes,
          segmentIndexBytes: config.segmentIndexBytes,
          indexIntervalBytes: config.indexIntervalBytes,
          deleteRetentionMs: config.deleteRetentionMs,
          producerIdExpirationMs: config.producerIdExpirationMs,
          segments,
          firstDirtyOffset: range.firstDirtyOffset,
          firstUncleanableOffset: range.firstUncleanableOffset,
          swap: (old, cleaned, path, aborted) => this.swap(old, sizes, cleaned, path, truncations, aborted),
          abortedTxns: (from, to) => collectAbortedTxnsIn(this.host.segments, from, to),
          checkAborted: () => {
            if (this.stopping || this.host.stopped() || options.signal?.aborted || this.truncations !== truncations) throw new CleaningAbortedError(`cleaning of ${this.host.dir} stopped`);
          },
          onProgress: options.onProgress,
        },
        { ...DEFAULT_CLEANER_OPTIONS, ...definedOnly(options) },
      );
      if (this.truncations === truncations) this.cleanerCheckpoint = result.cleanedUpTo;
      return result;
    } catch (err) {
      // Stopped, or retention or truncation took a segment the pass was reading: the next pass starts over.
      if (err instanceof CleaningAbortedError || err instanceof SegmentDeletedError) return null;
      if (err instanceof LogOfflineError) throw err;
      if (isIoError(err)) throw this.host.fail(err);
      this.uncleanable = err instanceof Error ? err : new Error(String(err));
      throw err;
    }
  }

  /** The only step in the write queue: validate that the group is as the pass read it, then swap. */
  private async swap(old: readonly Segment[], sizes: ReadonlyMap<Segment, number>, cleaned: Segment, cleanedPath: string, truncations: number, aborted: readonly AbortedTxn[]): Promise<boolean> {
    let swapped = false;
    await this.host.maintain(async () => {
      if (this.truncations !== truncations) throw new CleaningAbortedError(`${this.host.dir} was truncated during cleaning`);
      const segs = this.host.segments;
      const at = segs.indexOf(old[0]);
      // The group must still be there, whole, unchanged, and short of the active segment.
      if (at < 0 || at + old.length >= segs.length) return;
      if (!old.every((s, i) => segs[at + i] === s && !s.deleted && !s.replaced && s.size === sizes.get(s))) return;
      // Indexes in memory: no lazy load of an old segment can write its index files after this.
      for (const s of old) await s.indexes();
      const releases: (() => void)[] = [];
      try {
        // Pinned handles: while names change below, uses of the old segments reach the old files.
        for (const s of old) releases.push(await this.host.handles.pin(s.logPath));
        await swapInCleaned(this.host.handles.fs, this.host.dir, cleanedPath, old.map((s) => s.baseOffset));
        // One synchronous step: old segments refuse new uses, their handles close after the last
        // use in flight, and the cleaned segment takes their place.
        for (const s of old) {
          s.replaced = true;
          this.host.forget(s);
        }
        const closing = old.map((s) => this.host.handles.close(s.logPath));
        segs.splice(at, old.length, cleaned);
        swapped = true;
        for (const release of releases.splice(0)) release();
        await Promise.all(closing);
      } finally {
        for (const release of releases) release();
      }
      await cleaned.writeIndexFiles();
      if (!swapped) return;
      // The cleaned segment's aborted-transaction index: the entries its kept ABORT markers still
      // need (the old segments' files go; a crash before this leaves the first one's entries, a
      // superset naming transactions whose records are gone, which a reader ignores).
      await cleaned.txnIndex.replaceWith(aborted);
      for (const s of old.slice(1)) await s.txnIndex.delete();
    });
    return swapped;
  }
}

function definedOnly(o: Partial<CleanerOptions>): Partial<CleanerOptions> {
  const out: Partial<CleanerOptions> = {};
  if (o.dedupeBufferBytes !== undefined) out.dedupeBufferBytes = o.dedupeBufferBytes;
  if (o.loadFactor !== undefined) out.loadFactor = o.loadFactor;
  if (o.ioBufferBytes !== undefined) out.ioBufferBytes = o.ioBufferBytes;
  return out;
}

/** An error from the file system (it carries an errno code), as opposed to a bug or bad data. */
export function isIoError(err: unknown): boolean {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string';
}
