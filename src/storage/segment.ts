/**
 * One segment: a `.log` file of record batches and its two sparse indexes. The segment knows
 * bytes and batch headers, never records. Writes are positioned (the caller serializes them);
 * reads are positioned too, so reads and appends never share a file cursor.
 */
import { BATCH_HEADER_SIZE, BATCH_LOG_OVERHEAD, CURRENT_MAGIC, RecordBatchView } from '../protocol/records/record-batch.js';
import { indexFile, logFile, timeIndexFile } from './file-names.js';
import { OffsetIndex, TimeIndex, OFFSET_ENTRY_SIZE, TIME_ENTRY_SIZE } from './sparse-index.js';
import type { HandleCache } from './handle-cache.js';
import { readFileOrNull, writeWholeFile, type FileSystem, type StorageFile } from './file-system.js';
import { TransactionIndex, txnIndexFile } from './txn-index.js';
import { RecentBatches } from './recent-batches.js';
import { SegmentReadAhead } from './read-ahead.js';
import { processReadBuffers } from './read-buffers.js';

/** What a scan of a batch header tells. */
export interface BatchInfo {
  position: number;
  size: number;
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  leaderEpoch: number;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  /** Bit 4 transactional, bit 5 control (see record-batch.ts). */
  attributes: number;
}

const SCAN_CHUNK = 1 << 20;

/** A use of a segment that retention, truncation or compaction removed meanwhile. */
export class SegmentDeletedError extends Error {
  override readonly name: string = 'SegmentDeletedError';
}

/**
 * A use of a segment that compaction replaced by a cleaned one (a new Segment object) meanwhile.
 * Its file name now holds other bytes: the caller starts again from the log's current segments.
 * Uses that held the file open before the swap finish on the old file.
 */
export class SegmentReplacedError extends SegmentDeletedError {
  override readonly name = 'SegmentReplacedError';
}

export class Segment {
  /** Bytes in the .log file (written or queued). */
  size: number;
  /** Largest record timestamp seen, and the offset where it was first seen (for retention and MAX_TIMESTAMP). */
  maxTimestamp = -1;
  offsetOfMaxTimestamp = -1;
  /** Offset after the last batch of this segment (known once loaded or appended to). */
  nextOffset: number;
  private offsetIndex: OffsetIndex | null = null;
  private timeIndex: TimeIndex | null = null;
  private bytesSinceIndexEntry = 0;
  /** When the segment got its first batch, for segment.ms. */
  createdAt: number;
  /** The transactions aborted by markers in this segment (its `.txnindex`). */
  readonly txnIndex: TransactionIndex;
  /** The last batches appended by this process, for reads at the head of the log (recent-batches.ts). */
  private readonly recent = new RecentBatches();
  /** The next slice for a sequential reader, read while the previous answer is sent (read-ahead.ts). */
  private readonly ahead = new SegmentReadAhead();

  constructor(
    readonly dir: string,
    readonly baseOffset: number,
    size: number,
    private readonly handles: HandleCache,
    private readonly indexIntervalBytes: number,
    createdAt: number,
  ) {
    this.size = size;
    this.nextOffset = baseOffset;
    this.createdAt = createdAt;
    this.txnIndex = new TransactionIndex(handles.fs, txnIndexFile(dir, baseOffset));
  }

  private get fs(): FileSystem {
    return this.handles.fs;
  }

  get logPath(): string {
    return logFile(this.dir, this.baseOffset);
  }

  /** Set once the segment's files are deleted: its file must not be opened (and so re-created) again. */
  deleted = false;
  /** Set when compaction swapped a cleaned segment in for this one: its name is no longer its file. */
  replaced = false;

  /** Runs `fn` with this segment's file handle held open. */
  withFile<T>(fn: (fh: StorageFile) => Promise<T>): Promise<T> {
    if (this.replaced) return Promise.reject(new SegmentReplacedError(`segment ${this.logPath} was replaced by its cleaned version`));
    if (this.deleted) return Promise.reject(new SegmentDeletedError(`segment ${this.logPath} was deleted`));
    return this.handles.use(this.logPath, fn);
  }

  private loading: Promise<{ offsets: OffsetIndex; times: TimeIndex }> | null = null;

  get indexesLoaded(): boolean {
    return this.offsetIndex !== null && this.timeIndex !== null;
  }

  /** Loads the indexes (once, however many callers wait), rebuilding them when absent or inconsistent. */
  indexes(): Promise<{ offsets: OffsetIndex; times: TimeIndex }> {
    if (this.indexesLoaded) return Promise.resolve({ offsets: this.offsetIndex as OffsetIndex, times: this.timeIndex as TimeIndex });
    this.loading ??= this.loadIndexes().finally(() => (this.loading = null));
    return this.loading;
  }

  private async loadIndexes(): Promise<{ offsets: OffsetIndex; times: TimeIndex }> {
    if (!this.offsetIndex || !this.timeIndex) {
      const offsets = decodeOrNull(await readFileOrNull(this.fs, indexFile(this.dir, this.baseOffset)), (b) => OffsetIndex.decode(b, Math.max(this.size, 1)));
      const times = decodeOrNull(await readFileOrNull(this.fs, timeIndexFile(this.dir, this.baseOffset)), (b) => TimeIndex.decode(b));
      if (offsets && times && (await this.lastEntryPointsAtItsBatch(offsets))) {
        this.offsetIndex = offsets;
        this.timeIndex = times;
        this.takeMaxTimestampFrom(times);
        // Batches after the last indexed one (an unclean stop leaves some) are indexed again.
        const last = offsets.entries[offsets.entries.length - 1];
        this.bytesSinceIndexEntry = 0;
        for (const b of await this.scanFrom(last ? last.position : 0)) {
          if (last && b.position === last.position) this.advancePast(b);
          else this.indexBatch(b);
        }
      } else {
        await this.rebuildIndexes();
      }
    }
    return { offsets: this.offsetIndex as OffsetIndex, times: this.timeIndex as TimeIndex };
  }

  /** Kafka's sanity check, cheaply: the last index entry must name the batch found at its position. */
  private async lastEntryPointsAtItsBatch(offsets: OffsetIndex): Promise<boolean> {
    const last = offsets.entries[offsets.entries.length - 1];
    if (!last) return this.size < this.indexIntervalBytes * 2;
    if (last.position + BATCH_HEADER_SIZE > this.size) return false;
    const header = await this.read(last.position, BATCH_HEADER_SIZE);
    return header.length === BATCH_HEADER_SIZE && Number(new RecordBatchView(header).baseOffset) === this.baseOffset + last.relativeOffset;
  }

  /** The time index's last entry holds the segment's largest timestamp and where it is (see sealTimeIndex). */
  private takeMaxTimestampFrom(times: TimeIndex): void {
    const last = times.entries[times.entries.length - 1];
    this.maxTimestamp = last ? last.timestamp : -1;
    this.offsetOfMaxTimestamp = last ? this.baseOffset + last.relativeOffset : -1;
  }

  private advancePast(b: BatchInfo): void {
    this.bytesSinceIndexEntry += b.size;
    if (b.maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = b.maxTimestamp;
      this.offsetOfMaxTimestamp = b.baseOffset;
    }
    this.nextOffset = b.lastOffset + 1;
  }

  /** Rebuilds both indexes by scanning every batch header of the log. */
  async rebuildIndexes(): Promise<void> {
    this.offsetIndex = new OffsetIndex();
    this.timeIndex = new TimeIndex();
    this.bytesSinceIndexEntry = 0;
    this.maxTimestamp = -1;
    this.recent.clear();
    for (const b of await this.scanFrom(0)) this.indexBatch(b);
    await this.writeIndexFiles();
  }

  /**
   * Records a batch in the in-memory indexes (called for every appended or scanned batch); one this
   * process `appended` is also kept among the recent batches, for reads at the head of the log.
   */
  indexBatch(b: BatchInfo, appended = false): void {
    if (appended) this.recent.note(b);
    const rel = b.baseOffset - this.baseOffset;
    if (this.offsetIndex && (this.offsetIndex.entries.length === 0 || this.bytesSinceIndexEntry >= this.indexIntervalBytes)) {
      this.offsetIndex.add(rel, b.position);
      this.bytesSinceIndexEntry = 0;
      if (b.maxTimestamp > this.maxTimestamp) this.timeIndex?.add(b.maxTimestamp, rel);
    }
    this.advancePast(b);
  }

  /**
   * Writes the index files trimmed to their entries (on roll, close, and after a rebuild). As in
   * Kafka, the time index first gets a last entry for the largest timestamp when the sparse entries
   * missed it, so the segment's max timestamp and its offset survive a reopen.
   */
  async writeIndexFiles(): Promise<void> {
    if (!this.offsetIndex || !this.timeIndex || this.deleted || this.replaced) return;
    if (this.maxTimestamp >= 0) this.timeIndex.add(this.maxTimestamp, this.offsetOfMaxTimestamp - this.baseOffset);
    await writeWholeFile(this.fs, indexFile(this.dir, this.baseOffset), this.offsetIndex.encode());
    await writeWholeFile(this.fs, timeIndexFile(this.dir, this.baseOffset), this.timeIndex.encode());
  }

  /** Reads batch headers from `position` to the end, stopping at the first that is incomplete or invalid. */
  scanFrom(position: number, verifyCrc = false): Promise<BatchInfo[]> {
    return this.withFile(async (fh) => {
      const out: BatchInfo[] = [];
      for await (const b of this.scanWith(fh, position, verifyCrc)) out.push(b);
      return out;
    });
  }

  /** The batch headers from `position` on, one chunk of the file in memory at a time. */
  async *headersFrom(position: number): AsyncGenerator<BatchInfo> {
    // The handle is taken per chunk, not held across the consumer's awaits.
    let pos = position;
    for (;;) {
      const chunk = await this.withFile(async (fh) => {
        const out: BatchInfo[] = [];
        for await (const b of this.scanWith(fh, pos, false, SCAN_CHUNK)) out.push(b);
        return out;
      });
      if (chunk.length === 0) return;
      yield* chunk;
      const last = chunk[chunk.length - 1];
      pos = last.position + last.size;
    }
  }

  private async *scanWith(fh: StorageFile, position: number, verifyCrc: boolean, maxBytes = Infinity): AsyncGenerator<BatchInfo> {
    let pos = position;
    while (pos + BATCH_HEADER_SIZE <= this.size && pos - position < maxBytes) {
      const chunk = Buffer.allocUnsafe(Math.min(SCAN_CHUNK, this.size - pos));
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, pos);
      let at = 0;
      let progressed = false;
      while (at + BATCH_HEADER_SIZE <= bytesRead) {
        const view = new RecordBatchView(chunk, at);
        const size = view.batchLength + BATCH_LOG_OVERHEAD;
        if (size < BATCH_HEADER_SIZE || view.magic !== CURRENT_MAGIC || pos + at + size > this.size) return;
        if (at + size > bytesRead) {
          if (!progressed) {
            // A batch larger than the scan chunk: read it whole when its CRC must be checked.
            if (verifyCrc) {
              const whole = Buffer.allocUnsafe(size);
              await fh.read(whole, 0, size, pos + at);
              if (!new RecordBatchView(whole).isCrcValid()) return;
            }
            yield infoOf(view, pos + at);
            at += size;
            progressed = true;
          }
          break;
        }
        if (verifyCrc && !view.isCrcValid()) return;
        yield infoOf(view, pos + at);
        at += size;
        progressed = true;
      }
      if (!progressed) return;
      pos += at;
    }
  }

  /** The position of the first batch whose last offset is at or past `offset`, or null past the end. */
  async positionOf(offset: number): Promise<BatchInfo | null> {
    const { offsets } = await this.indexes();
    const recent = this.recent.find(offset);
    if (recent !== undefined) return recent;
    const ahead = await this.batchReadAhead(offset);
    if (ahead) return ahead;
    const start = offsets.lookup(offset - this.baseOffset);
    return this.withFile(async (fh) => {
      const header = Buffer.allocUnsafe(BATCH_HEADER_SIZE);
      let pos = start;
      while (pos + BATCH_HEADER_SIZE <= this.size) {
        // Stop at what the file really holds: the size may count a write still in flight.
        const { bytesRead } = await fh.read(header, 0, BATCH_HEADER_SIZE, pos);
        if (bytesRead < BATCH_HEADER_SIZE) return null;
        const info = infoOf(new RecordBatchView(header), pos);
        if (info.size < BATCH_HEADER_SIZE) return null;
        if (info.lastOffset >= offset) return info;
        pos += info.size;
      }
      return null;
    });
  }

  /** The header of the batch at `position`, or null when none is complete there. */
  async batchAt(position: number): Promise<BatchInfo | null> {
    if (position + BATCH_HEADER_SIZE > this.size) return null;
    const header = await this.read(position, BATCH_HEADER_SIZE);
    if (header.length < BATCH_HEADER_SIZE) return null;
    return infoOf(new RecordBatchView(header), position);
  }

  /** The batch holding `offset` when it is the first of the slice read ahead. */
  private async batchReadAhead(offset: number): Promise<BatchInfo | null> {
    await this.ahead.settled();
    const position = this.ahead.heldPosition;
    const bytes = position === null ? null : this.ahead.peek(position);
    if (position === null || !bytes || bytes.length < BATCH_HEADER_SIZE) return null;
    const info = infoOf(new RecordBatchView(bytes), position);
    return info.baseOffset <= offset && offset <= info.lastOffset ? info : null;
  }

  /**
   * Reads `length` bytes at `position` into memory now, for a sequential reader's next fetch;
   * every one of them must be written already (the caller checks readableEnd).
   */
  readAhead(position: number, length: number): void {
    if (this.deleted || this.replaced) return;
    this.ahead.start(position, length, (fn) => this.withFile(fn));
  }

  async read(position: number, length: number): Promise<Buffer> {
    if (!this.deleted && !this.replaced) {
      await this.ahead.settled(position);
      const held = this.deleted || this.replaced ? null : this.ahead.take(position, length);
      if (held) return held;
    }
    return this.withFile(async (fh) => {
      // Pooled: a Fetch gives it back once sent (read-buffers.ts); any other reader just drops it.
      const buf = processReadBuffers.take(length);
      const { bytesRead } = await fh.read(buf, 0, length, position);
      return bytesRead === length ? buf : buf.subarray(0, bytesRead);
    });
  }

  /** Cuts the log at `position` and drops index entries past it. */
  async truncateTo(position: number, nextOffset: number): Promise<void> {
    this.ahead.drop();
    await this.withFile((fh) => fh.truncate(position));
    // A read ahead started while the file was being cut may hold bytes past the cut.
    this.ahead.drop();
    this.size = position;
    this.recent.truncateToPosition(position);
    const { offsets, times } = await this.indexes();
    offsets.truncateToPosition(position);
    times.truncateToOffset(nextOffset - this.baseOffset);
    this.nextOffset = nextOffset;
    this.takeMaxTimestampFrom(times);
    this.bytesSinceIndexEntry = this.indexIntervalBytes;
    await this.writeIndexFiles();
    await this.txnIndex.truncateTo(nextOffset);
  }

  async delete(): Promise<void> {
    this.deleted = true;
    this.ahead.drop();
    await this.handles.close(this.logPath);
    for (const f of [this.logPath, indexFile(this.dir, this.baseOffset), timeIndexFile(this.dir, this.baseOffset)]) await this.fs.unlink(f);
    await this.txnIndex.delete();
  }

  /** A new segment starts with empty in-memory indexes, before any of its files exist. */
  startEmptyIndexes(): void {
    this.recent.clear();
    this.offsetIndex = new OffsetIndex();
    this.timeIndex = new TimeIndex();
    this.bytesSinceIndexEntry = 0;
  }

  /** Preallocates the index files of a new active segment (trimmed again on roll or close). */
  async preallocateIndexes(maxIndexBytes: number): Promise<void> {
    if (!this.indexesLoaded) this.startEmptyIndexes();
    await writeWholeFile(this.fs, indexFile(this.dir, this.baseOffset), Buffer.alloc(0), roundDown(maxIndexBytes, OFFSET_ENTRY_SIZE));
    await writeWholeFile(this.fs, timeIndexFile(this.dir, this.baseOffset), Buffer.alloc(0), roundDown(maxIndexBytes, TIME_ENTRY_SIZE));
  }
}

function roundDown(n: number, unit: number): number {
  return Math.floor(n / unit) * unit;
}

export function infoOf(view: RecordBatchView, position: number): BatchInfo {
  const baseOffset = Number(view.baseOffset);
  return {
    position,
    size: view.batchLength + BATCH_LOG_OVERHEAD,
    baseOffset,
    lastOffset: baseOffset + view.lastOffsetDelta,
    maxTimestamp: Number(view.maxTimestamp),
    leaderEpoch: view.partitionLeaderEpoch,
    producerId: view.producerId,
    producerEpoch: view.producerEpoch,
    baseSequence: view.baseSequence,
    attributes: view.attributes,
  };
}

function decodeOrNull<T>(bytes: Buffer | null, decode: (b: Buffer) => T | null): T | null {
  return bytes === null ? null : decode(bytes);
}
