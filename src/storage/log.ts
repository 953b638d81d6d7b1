/**
 * A partition's log on disk: an ordered list of segments, the last one active. Appends assign
 * offsets by patching batch headers in place and write the same bytes; with the default flush
 * policy (flush.messages=1) an append resolves only after fdatasync, shared by concurrent appends.
 * Reads return whole batches with one positioned read, never past the offset limit they are given.
 *
 * A failed write, fsync or segment roll takes the log offline, as Kafka takes a log directory
 * offline on an I/O error: the failing appends and every later one are refused, nothing written
 * after the failure is acknowledged, and recovery at the next start cuts the log where the
 * failure left it. In-memory positions are never rolled back under a write that may have landed.
 */
import { BATCH_LOG_OVERHEAD, RecordBatchView } from '../protocol/records/record-batch.js';
import type { HandleCache } from './handle-cache.js';
import { GroupCommit } from './group-commit.js';
import { WriteCoalescer } from './write-coalescer.js';
import { FlushPolicy } from './flush-policy.js';
import { firstBatchAtTimestamp, headersFrom, largestTimestampIn, readBatches, segmentTimesOf, type ReadableLog } from './log-reads.js';
import { expireSegments } from './log-retention.js';
import type { LogConfig, OpenOptions } from './log-config.js';
import { infoOf, Segment, SegmentDeletedError, type BatchInfo } from './segment.js';
import { openLogDir } from './log-open.js';
import type { LeaderEpochFile } from './leader-epoch-file.js';
import { LogOfflineError, type AppendedBatches, type PartitionLog, type SegmentTime } from './partition-log.js';
import type { EpochEndOffset, EpochEntry } from './leader-epoch-cache.js';
import { followerBatches } from './follower-batches.js';
import type { SidecarFiles } from './sidecar-files.js';
import { restartLog, truncateLog, type TruncationHost } from './log-truncation.js';
import type { CompactionResult } from './compactor.js';
import { isIoError, LogCompaction, type CompactOptions } from './log-compaction.js';
import type { CleanableRange } from './cleaning-policy.js';
import type { AbortedTxn } from './txn-index.js';
import { appendAbortedTxnTo, collectAbortedTxnsIn } from './aborted-txns.js';
import { flushEnded, flushStarted } from './flush-events.js';

export { DEFAULT_LOG_CONFIG, type LogConfig, type OpenOptions } from './log-config.js';

export class DiskLog implements PartitionLog {
  private writeQueue: Promise<void> = Promise.resolve();
  private readonly writes: WriteCoalescer;
  private readonly commit: GroupCommit;
  private readonly flushPolicy: FlushPolicy;
  private readonly epochs: LeaderEpochFile;
  /** Set while a truncation runs: appends computed against the old end would land in the wrong place. */
  private truncating = false;
  private closed = false;
  /** Offsets below this are on disk (fsynced). */
  recoveryPoint: number;
  /** Cleaning passes beside appends, and the swaps of cleaned segments (log-compaction.ts). */
  private readonly compaction: LogCompaction;
  /** Bytes of the active segment whose writes completed; reads stop there. */
  private writtenEnd: number;
  /** Segments written since their last fdatasync (the active one, and a rolled one not yet synced). */
  private readonly dirty = new Set<Segment>();
  /** The I/O error that took the log offline, or null while it serves. */
  private failure: LogOfflineError | null = null;
  private readonly rollListeners: ((baseOffset: number) => void)[] = [];
  /** Where the partition's earliest open transaction begins (see PartitionLog.setFirstUnstableOffsetSource). */
  private firstUnstableOffset: () => number | null = () => null;

  private constructor(
    readonly dir: string,
    public config: LogConfig,
    private readonly handles: HandleCache,
    private readonly now: () => number,
    private readonly segments: Segment[],
    private startOffset: number,
    epochs: LeaderEpochFile,
    private readonly onDestroy: () => void,
    private readonly onOffline: (err: unknown) => void,
    readonly openedClean: boolean,
    private readonly sidecars: SidecarFiles,
    cleanerCheckpoint: number,
  ) {
    this.commit = new GroupCommit((issued) => this.syncDirty(issued));
    this.flushPolicy = new FlushPolicy(() => this.config, () => this.backgroundFlush());
    this.writes = new WriteCoalescer({
      enqueue: (task) => this.enqueue(task),
      failure: () => this.failure,
      fail: (err) => this.fail(err),
      willWrite: (segment) => this.dirty.add(segment),
      wrote: (segment, end) => {
        if (segment === this.active) this.writtenEnd = Math.max(this.writtenEnd, end);
      },
    });
    this.recoveryPoint = this.logEndOffset;
    this.writtenEnd = this.active.size;
    this.epochs = epochs;
    this.compaction = new LogCompaction(
      {
        dir,
        handles,
        segments,
        config: () => this.config,
        now,
        offsets: () => ({ logStartOffset: this.startOffset, logEndOffset: this.logEndOffset, recoveryPoint: this.recoveryPoint, firstUnstableOffset: this.firstUnstableOffset() }),
        stopped: () => this.closed || this.failure !== null,
        maintain: (task) => this.maintain(task),
        fail: (err) => this.fail(err),
        forget: (segment) => this.dirty.delete(segment),
      },
      cleanerCheckpoint,
    );
  }

  static async open(o: OpenOptions): Promise<DiskLog> {
    const { segments, startOffset, epochs, sidecars } = await openLogDir(o);
    return new DiskLog(o.dir, o.config, o.handles, o.now, segments, startOffset, epochs, o.onDestroy ?? (() => undefined), o.onOffline ?? (() => undefined), o.cleanShutdown, sidecars, o.cleanerCheckpoint ?? startOffset);
  }

  get active(): Segment {
    return this.segments[this.segments.length - 1];
  }

  get logStartOffset(): number {
    return this.startOffset;
  }

  get logEndOffset(): number {
    return this.active.nextOffset;
  }

  get sizeInBytes(): number {
    return this.segments.reduce((n, s) => n + s.size, 0);
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  get syncCount(): number {
    return this.commit.syncs;
  }

  /** The error that took this log offline, or null. */
  get offline(): LogOfflineError | null {
    return this.failure;
  }

  /** Takes the log offline for good (until a restart recovers it); the first failure is kept. */
  private fail(err: unknown): LogOfflineError {
    if (!this.failure) {
      this.failure = err instanceof LogOfflineError ? err : new LogOfflineError(`log ${this.dir} is offline after an I/O error: ${err instanceof Error ? err.message : String(err)}`, err);
      this.writes.rejectAll(this.failure);
      this.onOffline(err);
    }
    return this.failure;
  }

  /** Appends validated batches; resolves when acknowledged by the flush policy. */
  async append(batches: Buffer, leaderEpoch: number, logAppendTime: number | null, onWritten?: (endOffset: number) => void): Promise<AppendedBatches> {
    await this.readyToAppend();
    const infos: BatchInfo[] = [];
    let next = this.logEndOffset;
    for (let at = 0; at < batches.length; ) {
      const view = new RecordBatchView(batches, at);
      view.patchBaseOffset(BigInt(next));
      view.patchPartitionLeaderEpoch(leaderEpoch);
      if (logAppendTime !== null) view.patchLogAppendTime(BigInt(logAppendTime));
      const info = infoOf(view, at);
      infos.push(info);
      next = info.lastOffset + 1;
      at += view.batchLength + BATCH_LOG_OVERHEAD;
    }
    this.noteEpoch(leaderEpoch, this.logEndOffset);
    return this.writeBatches(batches, infos, onWritten);
  }

  /** Appends a leader's batches as they are (see PartitionLog.appendAsFollower). */
  async appendAsFollower(batches: Buffer): Promise<AppendedBatches> {
    await this.readyToAppend();
    const infos = followerBatches(batches, this.logEndOffset);
    for (const info of infos) this.noteEpoch(info.leaderEpoch, info.baseOffset);
    return this.writeBatches(batches, infos);
  }

  private async readyToAppend(): Promise<void> {
    if (!this.failure && !this.closed && !this.truncating && !this.active.indexesLoaded) await this.active.indexes();
    // Checked after that wait: taken offline, discarded or truncating meanwhile, nothing may be queued.
    if (this.failure) throw this.failure;
    if (this.closed) throw new Error('log is closed');
    if (this.truncating) throw new Error(`log ${this.dir} is being truncated`);
  }

  /** Indexes `infos` (positions within `batches`) in the active segment, writes them, and waits for the flush policy. */
  private async writeBatches(batches: Buffer, infos: BatchInfo[], onWritten?: (endOffset: number) => void): Promise<AppendedBatches> {
    const baseOffset = infos[0]?.baseOffset ?? this.logEndOffset;
    if (infos.length === 0) return { baseOffset, lastOffset: baseOffset - 1 };
    if (this.active.size > 0 && (this.active.size + batches.length > this.config.segmentBytes || this.now() - this.active.createdAt >= this.config.segmentMs)) this.roll();
    const segment = this.active;
    const position = segment.size;
    for (const info of infos) segment.indexBatch({ ...info, position: position + info.position }, true);
    const next = infos[infos.length - 1].lastOffset + 1;
    segment.size += batches.length;
    if (segment.size === batches.length) segment.createdAt = this.now();
    const written = await this.writes.write(segment, position, batches);
    onWritten?.(next);
    if (this.config.flushMessages <= 1) {
      await this.commit.sync(written);
      if (this.failure) throw this.failure;
      this.recoveryPoint = Math.max(this.recoveryPoint, next);
    } else {
      this.flushPolicy.appended(next - baseOffset);
    }
    return { baseOffset, lastOffset: next - 1 };
  }

  /**
   * Runs maintenance (retention, compaction, truncation) in write order. An I/O error there takes
   * the log offline like a failed append: a half-deleted or half-swapped segment is for recovery.
   */
  private maintain(task: () => Promise<void>): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return this.enqueue(async () => {
      if (this.failure) throw this.failure;
      try {
        await task();
      } catch (err) {
        if (isIoError(err)) throw this.fail(err);
        throw err;
      }
    });
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.writeQueue.then(task);
    this.writeQueue = run.catch(() => undefined);
    return run;
  }

  /** Starts a new active segment; the old one is synced and its indexes trimmed, in write order. */
  private roll(): void {
    const old = this.active;
    const next = new Segment(this.dir, this.logEndOffset, 0, this.handles, this.config.indexIntervalBytes, this.now());
    // Appends to the new segment index themselves at once; its files are made in write order below.
    next.startEmptyIndexes();
    next.txnIndex.assumeAbsent();
    this.segments.push(next);
    this.writtenEnd = 0;
    for (const l of this.rollListeners) l(next.baseOffset);
    // The old segment's data is synced by the next group commit round (it stays dirty until then);
    // the new file's name is made durable here, before any round can acknowledge a write to it.
    this.enqueue(async () => {
      if (this.failure) return;
      await old.writeIndexFiles();
      if (next.deleted) return;
      await next.preallocateIndexes(this.config.segmentIndexBytes);
      await next.withFile(async () => undefined);
      await this.handles.fs.syncDir(this.dir);
    }).catch((err: unknown) => this.fail(err));
  }

  /** One group commit round: fdatasync of every segment written since its last sync. */
  private async syncDirty(issued: (covers: number) => void): Promise<void> {
    await this.writeQueue;
    if (this.failure) throw this.failure;
    issued(this.writes.completed);
    const segments = [...this.dirty];
    this.dirty.clear();
    const startedAt = flushStarted();
    try {
      for (const seg of segments) {
        // A segment deleted since it was written (retention, truncation) needs no sync.
        await seg.withFile((fh) => fh.datasync()).catch((err: unknown) => {
          if (!(err instanceof SegmentDeletedError)) throw err;
        });
      }
    } catch (err) {
      // After a failed fsync the kernel may have dropped the dirty pages: nothing unsynced is safe.
      throw this.fail(err);
    }
    flushEnded(this.dir, segments.length, startedAt);
  }

  /** A flush nobody waits for: its failure takes the log offline (and is reported once, there). */
  private backgroundFlush(): void {
    this.flush().catch((err: unknown) => this.fail(err));
  }

  /** Syncs everything written so far; the recovery point advances to the end. */
  async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    const end = this.logEndOffset;
    // Waiting for the queue first makes the round cover every write queued before this call.
    await this.writeQueue;
    await this.commit.sync(this.writes.completed);
    if (this.failure) throw this.failure;
    this.recoveryPoint = Math.max(this.recoveryPoint, end);
  }

  /** A new epoch is written to the epoch file in write order, before the batch that begins it: the file never misses an epoch the log holds. */
  private noteEpoch(epoch: number, startOffset: number): void {
    const write = this.epochs.noteBatch(epoch, startOffset);
    if (write) this.enqueue(write).catch((err: unknown) => this.fail(err));
  }

  get leaderEpochs(): readonly EpochEntry[] {
    return this.epochs.entries;
  }

  endOffsetForEpoch(epoch: number): EpochEndOffset {
    return this.epochs.endOffsetFor(epoch, this.logEndOffset);
  }

  /** The view the read path (log-reads.ts) works on: the segment list as it is at each step. */
  private readonly readable: ReadableLog = {
    segments: () => this.segments,
    startOffset: () => this.startOffset,
    logEndOffset: () => this.logEndOffset,
    readableEnd: (seg) => (seg === this.active ? this.writtenEnd : seg.size),
  };

  /** Whole batches from the one holding `offset`: at most `maxBytes` unless the first alone is larger and `minOneBatch`. */
  async read(offset: number, maxBytes: number, maxOffsetExclusive: number, minOneBatch: boolean): Promise<Buffer> {
    if (this.failure) throw this.failure;
    return readBatches(this.readable, offset, maxBytes, maxOffsetExclusive, minOneBatch);
  }

  /** The first batch whose max timestamp is at or after `timestamp` (the caller looks inside it). */
  async offsetForTimestamp(timestamp: number): Promise<{ offset: number; timestamp: number } | null> {
    if (this.failure) throw this.failure;
    return firstBatchAtTimestamp(this.readable, timestamp);
  }

  async maxTimestamp(): Promise<{ offset: number; timestamp: number } | null> {
    if (this.failure) throw this.failure;
    return largestTimestampIn(this.segments);
  }

  readonly segmentTimes = (): Promise<SegmentTime[]> => segmentTimesOf(this.segments, this.handles.fs, this.failure);

  /** Advances the log start offset; segments wholly below it are deleted. */
  async deleteRecordsBefore(offset: number): Promise<void> {
    if (this.failure) throw this.failure;
    const target = Math.min(offset, this.logEndOffset);
    if (target <= this.startOffset) return;
    this.startOffset = target;
    await this.maintain(async () => {
      while (this.segments.length > 1 && this.segments[1].baseOffset <= target) await (this.segments.shift() as Segment).delete();
      await this.epochs.truncateFromStart(target);
    });
  }

  /** See PartitionLog.truncateTo; the steps and their crash safety are in log-truncation.ts. */
  truncateTo(offset: number): Promise<void> {
    return this.truncation(() => truncateLog(this.truncationHost, offset));
  }

  truncateFullyAndStartAt(offset: number): Promise<void> {
    return this.truncation(() => restartLog(this.truncationHost, offset));
  }

  /** Made when a truncation starts (under the write queue): its offsets are the log's at that point. */
  private get truncationHost(): TruncationHost {
    return {
      dir: this.dir,
      fs: this.handles.fs,
      segments: this.segments,
      sidecars: this.sidecars,
      epochs: this.epochs,
      indexBytes: this.config.segmentIndexBytes,
      startOffset: this.startOffset,
      newSegment: (baseOffset) => new Segment(this.dir, baseOffset, 0, this.handles, this.config.indexIntervalBytes, this.now()),
      truncating: (offset) => this.compaction.onTruncate(offset),
      truncated: (gone, startOffset) => {
        for (const seg of gone) this.dirty.delete(seg);
        this.writtenEnd = this.active.size;
        this.recoveryPoint = Math.max(Math.min(this.recoveryPoint, this.logEndOffset), this.segments[0].baseOffset);
        this.startOffset = startOffset;
      },
    };
  }

  /** Runs a truncation in write order; appends are refused until it is done. */
  private async truncation(task: () => Promise<void>): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.truncating) throw new Error(`log ${this.dir} is already being truncated`);
    this.truncating = true;
    try {
      await this.maintain(task);
    } finally {
      this.truncating = false;
    }
  }

  /** retention.ms and retention.bytes (log-retention.ts); how many segments went. A failed deletion takes the log offline, so the start offset moves after a whole pass. */
  async applyRetention(): Promise<number> {
    let deleted = 0;
    await this.maintain(async () => {
      deleted = await expireSegments({
        fs: this.handles.fs,
        segments: this.segments,
        config: this.config,
        now: this.now,
        hasPendingWrites: (segment) => this.writes.hasPendingFor(segment),
        roll: () => this.roll(),
        removed: (segment) => this.dirty.delete(segment),
      });
      this.startOffset = Math.max(this.startOffset, this.segments[0].baseOffset);
      await this.epochs.truncateFromStart(this.startOffset);
    });
    return deleted;
  }

  /**
   * One compaction pass (cleanup.policy=compact) over the segments that are cleanable now (see
   * cleaning-policy.ts), beside appends; only the swap of each cleaned segment waits in the write
   * queue. Null when nothing is cleanable or the pass was stopped. Only segments wholly below the
   * recovery point are cleaned: a record that is not on disk yet (not acknowledged, so a crash may
   * take it back) must never be what removes an older one.
   */
  compact(options?: CompactOptions): Promise<CompactionResult | null> {
    return this.compaction.compact(options);
  }

  /** The cleanable range now, for the broker's cleaner; null when no pass may run. */
  cleaningCandidate(): Promise<CleanableRange | null> {
    return this.compaction.candidate();
  }

  /** Where the next compaction pass begins (Kafka's cleaner-offset-checkpoint entry). */
  get cleanerCheckpoint(): number {
    return this.compaction.cleanerCheckpoint;
  }

  /** Set when compaction met data it cannot clean; the log is not compacted again until a restart. */
  get uncleanable(): Error | null {
    return this.compaction.uncleanable;
  }

  onRoll(listener: (baseOffset: number) => void): void {
    this.rollListeners.push(listener);
  }

  setFirstUnstableOffsetSource(source: () => number | null): void {
    this.firstUnstableOffset = source;
  }

  /** Batch headers from the batch holding `fromOffset` to what has been written, segment by segment. */
  batchHeaders(fromOffset: number): AsyncGenerator<BatchInfo> {
    return headersFrom(this.readable, fromOffset);
  }

  /** In write order, so truncation and retention never run beside it (aborted-txns.ts). */
  readonly appendAbortedTxn = (t: AbortedTxn): Promise<void> => this.maintain(() => appendAbortedTxnTo(this.segments, t));
  readonly collectAbortedTxns = (fetchOffset: number, upperBoundOffset: number): Promise<AbortedTxn[]> => collectAbortedTxnsIn(this.segments, fetchOffset, upperBoundOffset);

  // The partition's small state files (producer snapshots): see sidecar-files.ts.
  readonly listSidecars = async (): Promise<string[]> => this.sidecars.list();
  readonly deleteSidecar = (name: string): Promise<void> => this.sidecars.delete(name);
  readonly readSidecar = (name: string): Promise<Buffer | null> => this.sidecars.read(name);
  readonly writeSidecar = (name: string, bytes: Buffer): Promise<void> => this.sidecars.write(name, bytes);

  /** Flushes, trims the active segment's indexes, and releases file handles. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.compaction.stop();
    this.flushPolicy.cancel();
    // An offline log closes without writing: its owner must not mark the shutdown clean.
    if (!this.failure) await this.flush().catch((err: unknown) => this.fail(err));
    this.closed = true;
    await this.writeQueue;
    if (!this.failure) await this.active.writeIndexFiles().catch((err: unknown) => this.fail(err));
    for (const s of this.segments) await this.handles.close(s.logPath);
  }

  /**
   * Closes a log whose files are about to go (its partition was deleted): nothing is flushed or
   * trimmed, writes and syncs not yet started are refused as on an offline log, and no segment file
   * is opened again (a read finds it deleted), so no call touches the files once this resolves.
   * Its owner is not told: this is no I/O failure.
   */
  async discard(): Promise<void> {
    this.onDestroy();
    // Closed first: a cleaning pass stops at its next step (quietly, before the swap) and new appends are refused.
    this.closed = true;
    this.flushPolicy.cancel();
    await this.compaction.stop();
    this.failure ??= new LogOfflineError(`log ${this.dir} was deleted`);
    this.writes.rejectAll(this.failure);
    for (const s of this.segments) s.deleted = true;
    await this.writeQueue;
    for (const s of this.segments) await this.handles.close(s.logPath);
  }

  async destroy(): Promise<void> {
    await this.discard();
    await this.handles.fs.removeTree(this.dir);
  }
}
