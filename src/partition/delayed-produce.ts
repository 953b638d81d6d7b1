/**
 * An acks=all produce waiting for its batch to be committed (Kafka's DelayedProduce): until the
 * partition's high watermark reaches the offset after the batch, the request's timeout_ms passes,
 * or the partition stops being led here (checked first: a deposed leader's high watermark is the
 * new leader's and says nothing about this batch, as in Kafka's DelayedProduce). On a single node the high watermark moves at the append
 * itself, so nothing waits; with followers it moves as they fetch, and each move is a
 * checkAndComplete of the partition's key.
 */
import type { Completion, Purgatory } from './purgatory.js';

/**
 * - 'reached':    the high watermark covers the target (the batch is committed);
 * - 'timeout':    timeout_ms passed first (Kafka answers REQUEST_TIMED_OUT);
 * - 'not-leader': the partition stopped being led here first (NOT_LEADER_OR_FOLLOWER);
 * - 'aborted':    the client's connection closed (nobody reads the answer);
 * - 'shutdown':   the broker is stopping.
 */
export type HighWatermarkWait = 'reached' | 'timeout' | 'not-leader' | 'aborted' | 'shutdown';

export interface HighWatermarkTarget {
  /** The partition's watch key (partitionKey(topic, index)). */
  readonly key: string;
  /** The partition's high watermark now. */
  readonly highWatermark: () => number;
  /** The wait is met once the high watermark is at least this: the offset after the batch's last record. */
  readonly targetOffset: number;
  /**
   * Whether this broker still leads the partition in the leader epoch the batch was appended in
   * (always, when omitted). Checked before the high watermark: see `outcome`.
   */
  readonly isLeader?: () => boolean;
  /** The request's timeout_ms. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/** The wait for one partition; a produce to several partitions waits for each (they share no state). */
export function waitForHighWatermark(purgatory: Purgatory, target: HighWatermarkTarget): Promise<HighWatermarkWait> {
  const reached = () => target.highWatermark() >= target.targetOffset;
  const leads = () => target.isLeader?.() ?? true;
  const outcome = (how: Completion): HighWatermarkWait => {
    if (how === 'aborted' || how === 'shutdown') return how;
    try {
      // Leadership first: a broker that stopped leading (and may have truncated the batch away)
      // can see its high watermark, now the new leader's, pass the target over other records.
      if (!leads()) return 'not-leader';
      // A commit the last change did not report (or that came with the deadline) still counts.
      return reached() ? 'reached' : 'timeout';
    } catch {
      // The partition could not say (it is being removed): the producer retries elsewhere.
      return 'not-leader';
    }
  };
  return new Promise((resolve) => {
    purgatory.tryCompleteElseWatch({
      kind: 'produce',
      keys: [target.key],
      timeoutMs: target.timeoutMs,
      signal: target.signal,
      tryComplete: () => !leads() || reached(),
      onComplete: (how) => resolve(outcome(how)),
    });
  });
}
