/**
 * The leader's record of how far each follower has copied its log, taken from the follower's
 * Fetch requests: a fetch at offset N says the follower holds everything below N.
 *
 * "Caught up" follows Kafka's rule: a follower is caught up at the time of a fetch that reached
 * the leader's log end; a fetch that reached the end the leader had at the follower's previous
 * fetch shows it was caught up at that previous time. A follower that keeps up with a steady
 * stream of appends is thus never lagging, however fast the stream.
 */
export interface FollowerState {
  /** The follower's log end offset (its last fetch offset); -1 until it fetched. */
  readonly logEndOffset: number;
  /** When the follower was last known to hold the leader's whole log; -1 never. */
  readonly lastCaughtUpMs: number;
}

interface Tracked {
  logEndOffset: number;
  lastCaughtUpMs: number;
  lastFetchMs: number;
  leaderEndAtLastFetch: number;
}

const UNKNOWN: FollowerState = { logEndOffset: -1, lastCaughtUpMs: -1 };

export class FollowerProgress {
  private readonly followers = new Map<number, Tracked>();

  /** A fetch from `replicaId` at `fetchOffset` arrived at `nowMs`, when the leader's log ended at `leaderEnd`. */
  recordFetch(replicaId: number, fetchOffset: number, leaderEnd: number, nowMs: number): void {
    const f = this.followers.get(replicaId) ?? { logEndOffset: -1, lastCaughtUpMs: -1, lastFetchMs: -1, leaderEndAtLastFetch: -1 };
    if (fetchOffset >= leaderEnd) f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, nowMs);
    else if (f.lastFetchMs >= 0 && fetchOffset >= f.leaderEndAtLastFetch) f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, f.lastFetchMs);
    f.logEndOffset = fetchOffset;
    f.lastFetchMs = nowMs;
    f.leaderEndAtLastFetch = leaderEnd;
    this.followers.set(replicaId, f);
  }

  of(replicaId: number): FollowerState {
    return this.followers.get(replicaId) ?? UNKNOWN;
  }

  /**
   * Forgets what was known (a new leadership term): the followers' positions are learnt again from
   * their next fetches, each counted as caught up at `nowMs` so the term starts with its ISR whole.
   */
  reset(replicaIds: readonly number[], nowMs: number): void {
    this.followers.clear();
    for (const id of replicaIds) this.followers.set(id, { logEndOffset: -1, lastCaughtUpMs: nowMs, lastFetchMs: -1, leaderEndAtLastFetch: -1 });
  }
}
