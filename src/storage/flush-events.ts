/**
 * A diagnostics channel event per group-commit round of a partition log (its fdatasyncs): what
 * Kafka's LogFlushStats LogFlushRateAndTimeMs measures. Costs one boolean check while nobody listens.
 */
import { channel } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';

export const FLUSH_CHANNEL_NAME = 'tributary:storage:flush';
const flushes = channel(FLUSH_CHANNEL_NAME);

export interface FlushEvent {
  /** The partition's log directory (a broker tells its own logs by its data directory). */
  readonly dir: string;
  /** Segments synced in the round. */
  readonly segments: number;
  readonly durationMs: number;
}

/** The start time of a round to measure, or -1 when nobody listens. */
export function flushStarted(): number {
  return flushes.hasSubscribers ? performance.now() : -1;
}

export function flushEnded(dir: string, segments: number, startedAt: number): void {
  if (startedAt < 0) return;
  const event: FlushEvent = { dir, segments, durationMs: performance.now() - startedAt };
  flushes.publish(event);
}
