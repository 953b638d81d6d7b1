/**
 * ListOffsets v0's answer, after Kafka's UnifiedLog.legacyFetchOffsetsBefore and
 * Partition.legacyFetchOffsetsForTimestamp: up to `maxNumOffsets` segment start offsets, newest
 * first, of the segments last written at or before `timestamp` (file times, not record
 * timestamps: v0 predates them). The log end counts as one more "segment" written now when the
 * last segment holds data. -1 (latest) starts from the newest entry, -2 (earliest) from the oldest.
 * A consumer never sees an offset above the high watermark: those are replaced by it.
 */
import type { SegmentTime } from '../storage/partition-log.js';

const LATEST = -1;
const EARLIEST = -2;

export interface LegacyOffsetsInput {
  readonly segments: readonly SegmentTime[];
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
  readonly now: number;
  readonly timestamp: number;
  readonly maxNumOffsets: number;
  /** replica_id -1: a consumer, which only sees offsets below the high watermark. */
  readonly fromConsumer: boolean;
}

export function legacyOffsetsBefore(i: LegacyOffsetsInput): number[] {
  const entries = i.segments.map((s) => ({ offset: Math.max(s.baseOffset, i.logStartOffset), time: s.lastModifiedMs }));
  const last = i.segments[i.segments.length - 1];
  if (last && last.sizeInBytes > 0) entries.push({ offset: i.logEndOffset, time: i.now });
  let start: number;
  if (i.timestamp === LATEST) start = entries.length - 1;
  else if (i.timestamp === EARLIEST) start = 0;
  else {
    start = entries.length - 1;
    while (start >= 0 && entries[start].time > i.timestamp) start--;
  }
  const offsets: number[] = [];
  for (let j = start; j >= 0 && offsets.length < i.maxNumOffsets; j--) offsets.push(entries[j].offset);
  offsets.sort((a, b) => b - a);
  if (!i.fromConsumer || !offsets.some((o) => o > i.highWatermark)) return offsets;
  return [i.highWatermark, ...offsets.filter((o) => o <= i.highWatermark)];
}
