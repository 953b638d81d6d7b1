/**
 * A fetch waiting for bytes (Kafka's DelayedFetch). The fetch has read once and found fewer than
 * min_bytes; it waits until one of its partitions shows something a new read would answer
 * differently, then reads again. Without byte positions in the log interface the check cannot
 * count the bytes that arrived (Kafka's accumulated-size test), so a fetch with a large min_bytes
 * may wake, read, and wait again; what it never does is wake for a change that cannot alter its
 * answer.
 */
import type { Partition } from './partition.js';
import { READ_COMMITTED } from './partition.js';
import { partitionKey, type Completion, type Purgatory } from './purgatory.js';

/** current_leader_epoch -1: the client does not know the epoch (Kafka's NO_PARTITION_LEADER_EPOCH). */
const NO_LEADER_EPOCH = -1;

/** One partition the fetch read, and what that read saw. */
export interface FetchWatch {
  readonly partition: Partition;
  readonly fetchOffset: number;
  /** The client's current_leader_epoch (-1 when it sent none). */
  readonly currentLeaderEpoch: number;
  /** The high watermark the read was bounded by. */
  readonly seenHighWatermark: number;
  /** The last stable offset the read answered with (a read_committed read is bounded by it). */
  readonly seenLastStableOffset: number;
  /** A follower's read: the leader's log end it was bounded by (it waits for that, not the high watermark). */
  readonly seenEnd?: number;
}

export interface FetchWait {
  readonly watches: readonly FetchWatch[];
  /** read_uncommitted (0) or read_committed (1). */
  readonly isolationLevel: number;
  /** The partition hosted now under a topic and index (a deleted one is gone, a recreated one is another). */
  readonly lookup: (topic: string, index: number) => Partition | undefined;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/**
 * Whether a new read of `w` may answer differently (Kafka's DelayedFetch cases): the partition is
 * gone or replaced, the client's leader epoch no longer matches, the fetch offset left the log,
 * or the end of what the fetch may read moved.
 */
function mayAnswerDifferently(w: FetchWatch, isolationLevel: number, lookup: FetchWait['lookup']): boolean {
  const p = w.partition;
  if (lookup(p.topic, p.index) !== p) return true;
  if (w.currentLeaderEpoch !== NO_LEADER_EPOCH && w.currentLeaderEpoch !== p.leaderEpoch) return true;
  if (!p.isLeader) return true;
  if (w.fetchOffset < p.logStartOffset || w.fetchOffset > p.logEndOffset) return true;
  if (w.seenEnd !== undefined) return p.replicaEnd !== w.seenEnd;
  if (p.highWatermark !== w.seenHighWatermark) return true;
  return isolationLevel === READ_COMMITTED && p.lastStableOffset !== w.seenLastStableOffset;
}

/**
 * Resolves 'completed' once a new read may answer differently, 'expired' after `timeoutMs`,
 * 'aborted' when `signal` fires (the client went away), 'shutdown' when the broker stops. With no
 * partitions to watch (an incremental fetch whose session has nothing) it waits out its time.
 */
export function waitForFetchData(purgatory: Purgatory, wait: FetchWait): Promise<Completion> {
  return new Promise((resolve) => {
    purgatory.tryCompleteElseWatch({
      kind: 'fetch',
      // One key per partition read; the purgatory takes a key named twice as once.
      keys: wait.watches.map((w) => partitionKey(w.partition.topic, w.partition.index)),
      timeoutMs: wait.timeoutMs,
      signal: wait.signal,
      tryComplete: () => wait.watches.some((w) => mayAnswerDifferently(w, wait.isolationLevel, wait.lookup)),
      onComplete: resolve,
    });
  });
}
