/**
 * A partition log kept in memory: the twin of the disk log behind the same interface, for an
 * embedded broker that never touches disk (`startBroker({ storage: 'memory' })`) and for tests.
 */
import { RecordBatchView, BATCH_LOG_OVERHEAD } from '../protocol/records/record-batch.js';
import type { AppendedBatches, BatchHeader, PartitionLog, SegmentTime } from './partition-log.js';
import { LeaderEpochCache, type EpochEndOffset, type EpochEntry } from './leader-epoch-cache.js';
import { sidecarsPast } from './file-names.js';
import { followerBatches } from './follower-batches.js';
import { collectFrom, isIndexed, type AbortedTxn } from './txn-index.js';

interface StoredBatch {
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  bytes: Buffer;
}

export class MemoryLog implements PartitionLog {
  private batches: StoredBatch[] = [];
  private start = 0;
  private end = 0;
  private readonly epochs = new LeaderEpochCache();
  /** The aborted-transaction index of the whole log (a disk log keeps one per segment). */
  private aborted: AbortedTxn[] = [];
  /** What a segment file's modification time is to a disk log (ListOffsets v0). */
  private lastAppendMs = Date.now();

  get logStartOffset(): number {
    return this.start;
  }

  get logEndOffset(): number {
    return this.end;
  }

  get sizeInBytes(): number {
    return this.batches.reduce((n, b) => n + b.bytes.length, 0);
  }

  get segmentCount(): number {
    return 1;
  }

  async append(batches: Buffer, leaderEpoch: number, logAppendTime: number | null, onWritten?: (endOffset: number) => void): Promise<AppendedBatches> {
    const baseOffset = this.end;
    this.epochs.noteBatch(leaderEpoch, baseOffset);
    let at = 0;
    while (at < batches.length) {
      const view = new RecordBatchView(batches, at);
      const size = view.batchLength + BATCH_LOG_OVERHEAD;
      view.patchBaseOffset(BigInt(this.end));
      view.patchPartitionLeaderEpoch(leaderEpoch);
      if (logAppendTime !== null) view.patchLogAppendTime(BigInt(logAppendTime));
      // Copy: the request buffer must not be kept alive by the log.
      const bytes = Buffer.from(batches.subarray(at, at + size));
      this.batches.push({ baseOffset: this.end, lastOffset: this.end + view.lastOffsetDelta, maxTimestamp: Number(view.maxTimestamp), bytes });
      this.end += view.lastOffsetDelta + 1;
      at += size;
    }
    this.lastAppendMs = Date.now();
    onWritten?.(this.end);
    return { baseOffset, lastOffset: this.end - 1 };
  }

  async appendAsFollower(batches: Buffer): Promise<AppendedBatches> {
    const found = followerBatches(batches, this.end);
    for (const b of found) {
      this.epochs.noteBatch(b.leaderEpoch, b.baseOffset);
      const bytes = Buffer.from(batches.subarray(b.position, b.position + b.size));
      this.batches.push({ baseOffset: b.baseOffset, lastOffset: b.lastOffset, maxTimestamp: b.maxTimestamp, bytes });
    }
    const last = found[found.length - 1];
    if (last) this.end = last.lastOffset + 1;
    this.lastAppendMs = Date.now();
    return { baseOffset: found[0]?.baseOffset ?? this.end, lastOffset: this.end - 1 };
  }

  async truncateTo(offset: number): Promise<void> {
    if (offset >= this.end) {
      this.epochs.truncateFromEnd(this.end);
      return;
    }
    if (offset < this.start) return this.truncateFullyAndStartAt(offset);
    const cut = this.batches.findIndex((b) => b.lastOffset >= offset);
    // A batch holding `offset` goes whole; a target in a gap between batches is the new end.
    this.end = cut < 0 ? offset : Math.min(offset, this.batches[cut].baseOffset);
    if (cut >= 0) this.batches.length = cut;
    this.start = Math.min(this.start, this.end);
    this.epochs.truncateFromEnd(this.end);
    this.aborted = this.aborted.filter((t) => t.lastOffset < this.end);
    for (const name of sidecarsPast(this.sidecars.keys(), this.end)) this.sidecars.delete(name);
  }

  async truncateFullyAndStartAt(offset: number): Promise<void> {
    this.batches = [];
    this.start = offset;
    this.end = offset;
    this.epochs.clear();
    this.aborted = [];
    for (const name of sidecarsPast(this.sidecars.keys(), -1)) this.sidecars.delete(name);
  }

  get leaderEpochs(): readonly EpochEntry[] {
    return this.epochs.entries;
  }

  endOffsetForEpoch(epoch: number): EpochEndOffset {
    return this.epochs.endOffsetFor(epoch, this.end);
  }

  async read(offset: number, maxBytes: number, maxOffsetExclusive: number, minOneBatch: boolean): Promise<Buffer> {
    const out: Buffer[] = [];
    let size = 0;
    for (const b of this.batches) {
      if (b.lastOffset < offset) continue;
      if (b.lastOffset >= maxOffsetExclusive) break;
      if (size + b.bytes.length > maxBytes && !(minOneBatch && out.length === 0)) break;
      out.push(b.bytes);
      size += b.bytes.length;
    }
    return Buffer.concat(out, size);
  }

  async offsetForTimestamp(timestamp: number): Promise<{ offset: number; timestamp: number } | null> {
    for (const b of this.batches) {
      if (b.lastOffset >= this.start && b.maxTimestamp >= timestamp) return { offset: Math.max(b.baseOffset, this.start), timestamp: b.maxTimestamp };
    }
    return null;
  }

  async maxTimestamp(): Promise<{ offset: number; timestamp: number } | null> {
    let best: StoredBatch | null = null;
    for (const b of this.batches) if (!best || b.maxTimestamp > best.maxTimestamp) best = b;
    return best ? { offset: best.baseOffset, timestamp: best.maxTimestamp } : null;
  }

  /** One segment, last written at the latest append (or when the log was made). */
  async segmentTimes(): Promise<SegmentTime[]> {
    return [{ baseOffset: this.start, lastModifiedMs: this.lastAppendMs, sizeInBytes: this.sizeInBytes }];
  }

  async deleteRecordsBefore(offset: number): Promise<void> {
    this.start = Math.max(this.start, Math.min(offset, this.end));
    this.batches = this.batches.filter((b) => b.lastOffset >= this.start);
    this.aborted = this.aborted.filter((t) => t.lastOffset >= this.start);
    this.epochs.truncateFromStart(this.start);
  }

  private readonly sidecars = new Map<string, Buffer>();

  /** Nothing outlives a memory log: whatever state it was given is current. */
  readonly openedClean = true;

  /** A memory log never rolls. */
  onRoll(): void {}

  async *batchHeaders(fromOffset: number): AsyncGenerator<BatchHeader> {
    for (const b of [...this.batches]) {
      if (b.lastOffset < fromOffset) continue;
      const v = new RecordBatchView(b.bytes);
      yield { baseOffset: b.baseOffset, lastOffset: b.lastOffset, maxTimestamp: b.maxTimestamp, producerId: v.producerId, producerEpoch: v.producerEpoch, baseSequence: v.baseSequence, attributes: v.attributes };
    }
  }

  /** A memory log is never compacted. */
  setFirstUnstableOffsetSource(): void {}

  async appendAbortedTxn(t: AbortedTxn): Promise<void> {
    const last = this.aborted[this.aborted.length - 1];
    if (isIndexed(this.aborted, t)) return;
    if (last && last.lastOffset > t.lastOffset) throw new RangeError(`aborted transaction ending at ${t.lastOffset} is below the last one (${last.lastOffset})`);
    this.aborted.push({ producerId: t.producerId, firstOffset: t.firstOffset, lastOffset: t.lastOffset, lastStableOffset: t.lastStableOffset });
  }

  async collectAbortedTxns(fetchOffset: number, upperBoundOffset: number): Promise<AbortedTxn[]> {
    return collectFrom(this.aborted, fetchOffset, upperBoundOffset).found;
  }

  async listSidecars(): Promise<string[]> {
    return [...this.sidecars.keys()];
  }

  async deleteSidecar(name: string): Promise<void> {
    this.sidecars.delete(name);
  }

  async readSidecar(name: string): Promise<Buffer | null> {
    return this.sidecars.get(name) ?? null;
  }

  async writeSidecar(name: string, bytes: Buffer): Promise<void> {
    this.sidecars.set(name, Buffer.from(bytes));
  }

  async close(): Promise<void> {}

  async destroy(): Promise<void> {
    this.batches = [];
  }
}
