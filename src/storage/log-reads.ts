/**
 * The read path of a disk log: whole batches by offset (one positioned read per segment slice),
 * the first batch at a timestamp, the largest timestamp. Reads run beside appends, retention and
 * compaction, so the segment list is looked at again after every wait, and a read that meets a
 * segment compaction replaced starts over on the current list.
 */
import { BATCH_LOG_OVERHEAD, RecordBatchView } from '../protocol/records/record-batch.js';
import { SegmentDeletedError, SegmentReplacedError, type BatchInfo, type Segment } from './segment.js';
import { holdsRecords, lastOffsetIn } from './batch-run.js';
import type { FileSystem } from './file-system.js';
import type { SegmentTime } from './partition-log.js';

/** What the read path sees of a log, read afresh at each call. */
export interface ReadableLog {
  segments(): readonly Segment[];
  startOffset(): number;
  logEndOffset(): number;
  /** Bytes of `seg` whose writes completed (the active segment's tail may still be in flight). */
  readableEnd(seg: Segment): number;
}

/** The index of the segment holding `offset` (the last whose base offset is at or below it). */
export function segmentIndexFor(segments: readonly Segment[], offset: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (segments[mid].baseOffset <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function segmentAfter(segments: readonly Segment[], baseOffset: number): Segment | undefined {
  const i = segmentIndexFor(segments, baseOffset);
  const seg = segments[i];
  return seg && seg.baseOffset > baseOffset ? seg : segments[i + 1];
}

/**
 * Runs a read again when compaction swapped a segment it was about to open: a read that already
 * held the file finished on it; one that had not yet starts over on the current segments.
 */
async function retryingSwaps<T>(read: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await read();
    } catch (err) {
      if (!(err instanceof SegmentReplacedError)) throw err;
    }
  }
}

/** Whole batches from the one holding `offset`: at most `maxBytes` unless the first alone is larger and `minOneBatch`. */
export async function readBatches(log: ReadableLog, offset: number, maxBytes: number, maxOffsetExclusive: number, minOneBatch: boolean): Promise<Buffer> {
  try {
    return await retryingSwaps(() => readOnce(log, offset, maxBytes, maxOffsetExclusive, minOneBatch));
  } catch (err) {
    // Retention removed the segment under this read: what it wanted is below the log start now.
    if (err instanceof SegmentDeletedError) return Buffer.alloc(0);
    throw err;
  }
}

async function readOnce(log: ReadableLog, offset: number, maxBytes: number, maxOffsetExclusive: number, minOneBatch: boolean): Promise<Buffer> {
  if (offset >= maxOffsetExclusive || offset >= log.logEndOffset()) return Buffer.alloc(0);
  const from = Math.max(offset, log.startOffset());
  // Segments are looked up again after each wait: a swap or retention may change the list meanwhile.
  for (let seg: Segment | undefined = log.segments()[segmentIndexFor(log.segments(), from)]; seg; seg = segmentAfter(log.segments(), seg.baseOffset)) {
    const info = await seg.positionOf(Math.max(offset, log.startOffset()));
    if (!info) continue;
    if (info.baseOffset >= maxOffsetExclusive) return Buffer.alloc(0);
    const end = log.readableEnd(seg);
    const want = Math.min(Math.max(maxBytes, minOneBatch ? info.size : 0), end - info.position);
    if (want < info.size) return Buffer.alloc(0);
    const bytes = await seg.read(info.position, want);
    let cut = 0;
    while (cut + BATCH_LOG_OVERHEAD <= bytes.length) {
      const size = bytes.readInt32BE(cut + 8) + BATCH_LOG_OVERHEAD;
      if (cut + size > bytes.length) break;
      const view = new RecordBatchView(bytes, cut);
      if (view.lastOffset >= BigInt(maxOffsetExclusive)) break;
      cut += size;
    }
    const found = bytes.subarray(0, cut);
    // The reader's next fetch most likely starts where this answer ends: read it while this one is sent.
    const next = info.position + cut;
    if (cut > 0 && next < end) seg.readAhead(next, Math.min(want, end - next));
    // Compaction keeps some batches without records (a producer's last, a merged segment's end):
    // a client such as kafkajs 2.x waits for ever on a fetch answer without a record, so the read
    // goes on past such a stretch (into the next segment) while the byte budget allows.
    if (cut > 0 && !holdsRecords(found)) {
      const rest = await readOnce(log, lastOffsetIn(found) + 1, maxBytes - cut, maxOffsetExclusive, false);
      return rest.length === 0 ? found : Buffer.concat([found, rest]);
    }
    return found;
  }
  return Buffer.alloc(0);
}

/** The first batch whose max timestamp is at or after `timestamp` (the caller looks inside it). */
export function firstBatchAtTimestamp(log: ReadableLog, timestamp: number): Promise<{ offset: number; timestamp: number } | null> {
  return retryingSwaps(async () => {
    for (const seg of [...log.segments()]) {
      const { offsets, times } = await seg.indexes();
      const start = log.startOffset();
      if (seg.maxTimestamp < timestamp || seg.nextOffset <= start) continue;
      const end = log.readableEnd(seg);
      let position = offsets.lookup(times.lookup(timestamp));
      while (position < end) {
        const b = await seg.batchAt(position);
        if (!b) break;
        if (b.maxTimestamp >= timestamp && b.lastOffset >= start) return { offset: Math.max(b.baseOffset, start), timestamp: b.maxTimestamp };
        position += b.size;
      }
    }
    return null;
  });
}

/** The largest timestamp of the log and the offset where it first appears (ListOffsets MAX_TIMESTAMP). */
export async function largestTimestampIn(segments: readonly Segment[]): Promise<{ offset: number; timestamp: number } | null> {
  let best: { offset: number; timestamp: number } | null = null;
  for (const seg of [...segments]) {
    await seg.indexes();
    if (seg.maxTimestamp >= 0 && (!best || seg.maxTimestamp > best.timestamp)) best = { offset: seg.offsetOfMaxTimestamp, timestamp: seg.maxTimestamp };
  }
  return best;
}

/** Batch headers from the batch holding `fromOffset` to what has been written, segment by segment. */
export async function* headersFrom(log: ReadableLog, fromOffset: number): AsyncGenerator<BatchInfo> {
  const from = Math.max(fromOffset, log.startOffset());
  const segments = log.segments();
  for (let i = segmentIndexFor(segments, from); i < segments.length; i++) {
    const seg = segments[i];
    const first = await seg.positionOf(from);
    if (!first) continue;
    for await (const b of seg.headersFrom(first.position)) {
      if (b.position + b.size > log.readableEnd(seg)) return;
      yield b;
    }
  }
}

/** The time retention.ms measures a segment by: its largest record timestamp, or its file's modification time when its records carry none. */
export async function retentionTimestamp(seg: Segment, fs: FileSystem): Promise<number> {
  if (seg.maxTimestamp >= 0) return seg.maxTimestamp;
  return (await fs.stat(seg.logPath)).mtimeMs;
}

/**
 * Each segment's base offset, file modification time and size (ListOffsets v0 answers from file
 * times, as Kafka does); an offline log (`failure` set) refuses.
 */
export async function segmentTimesOf(segments: readonly Segment[], fs: FileSystem, failure: Error | null): Promise<SegmentTime[]> {
  if (failure) throw failure;
  const out: SegmentTime[] = [];
  for (const seg of [...segments]) out.push({ baseOffset: seg.baseOffset, lastModifiedMs: (await fs.stat(seg.logPath)).mtimeMs, sizeInBytes: seg.size });
  return out;
}
