/**
 * retention.ms and retention.bytes on a disk log: deletes whole segments, oldest first. A segment
 * is past retention.ms by its largest record timestamp, or by its file's modification time when
 * its records carry none. As in Kafka, an active segment wholly past retention.ms is rolled (a new
 * empty one takes its place) and deleted too; size retention never takes the active segment.
 * Runs under the log's write queue (DiskLog.applyRetention).
 */
import type { FileSystem } from './file-system.js';
import type { Segment } from './segment.js';
import type { LogConfig } from './log-config.js';
import { retentionTimestamp } from './log-reads.js';

export interface RetentionHost {
  readonly fs: FileSystem;
  /** The log's segments, oldest first; the last is the active one. Changed in place. */
  readonly segments: Segment[];
  readonly config: Pick<LogConfig, 'retentionMs' | 'retentionBytes'>;
  now(): number;
  /** Whether writes to `segment` are still queued (then it is not expired yet). */
  hasPendingWrites(segment: Segment): boolean;
  /** Rolls the active segment (a new empty one after it). */
  roll(): void;
  /** `segment` left `segments`; its files are deleted next. */
  removed(segment: Segment): void;
}

/** Deletes the segments past retention; answers how many went. */
export async function expireSegments(log: RetentionHost): Promise<number> {
  let deleted = 0;
  let total = log.segments.reduce((sum, s) => sum + s.size, 0);
  for (;;) {
    const oldest = log.segments[0];
    const isActive = log.segments.length === 1;
    // An empty active segment has nothing to expire; one with writes still queued waits.
    if (isActive && (oldest.size === 0 || log.hasPendingWrites(oldest))) break;
    await oldest.indexes();
    const byTime = log.config.retentionMs >= 0 && log.now() - (await retentionTimestamp(oldest, log.fs)) > log.config.retentionMs;
    const bySize = !isActive && log.config.retentionBytes >= 0 && total - oldest.size >= log.config.retentionBytes;
    if (!byTime && !bySize) break;
    if (isActive) log.roll();
    log.segments.shift();
    log.removed(oldest);
    total -= oldest.size;
    await oldest.delete();
    deleted++;
  }
  return deleted;
}
