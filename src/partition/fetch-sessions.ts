/**
 * Fetch sessions (KIP-227). A consumer or follower that fetches many partitions sends the full
 * list once; later fetches name only what changed, and the answer holds only partitions with
 * something new. The cache is bounded: when full, the least recently used session is evicted and
 * its owner falls back to a full fetch after FETCH_SESSION_ID_NOT_FOUND.
 *
 *   sessionId 0, epoch -1   no session: a full fetch, answered in full
 *   sessionId 0, epoch 0    open a session with the request's partitions
 *   sessionId N, epoch E    incremental fetch: E must be the session's next epoch
 *   sessionId N, epoch -1   close session N, then a full fetch without a session
 */
import { randomInt } from 'node:crypto';

export const INITIAL_EPOCH = 0;
export const FINAL_EPOCH = -1;

export interface SessionPartition {
  readonly topic: string;
  readonly topicId: string;
  readonly partition: number;
  fetchOffset: number;
  maxBytes: number;
  /** What the last answer reported, to tell whether this partition has news. */
  lastHighWatermark: number;
  lastLogStartOffset: number;
}

export class FetchSession {
  /** The epoch the next incremental fetch must carry (the creating fetch, epoch 0, moves it to 1). */
  nextEpoch = 0;
  readonly partitions = new Map<string, SessionPartition>();
  lastUsed: number;

  constructor(
    readonly id: number,
    now: number,
  ) {
    this.lastUsed = now;
  }
}

export function sessionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>();

  constructor(private readonly maxSessions = 1000) {}

  get size(): number {
    return this.sessions.size;
  }

  /** Opens a session, evicting the least recently used one when the cache is full. */
  create(now: number): FetchSession {
    if (this.sessions.size >= this.maxSessions) {
      let oldest: FetchSession | undefined;
      for (const s of this.sessions.values()) if (!oldest || s.lastUsed < oldest.lastUsed) oldest = s;
      if (oldest) this.sessions.delete(oldest.id);
    }
    let id = 0;
    while (id === 0 || this.sessions.has(id)) id = randomInt(1, 2 ** 31 - 1);
    const session = new FetchSession(id, now);
    this.sessions.set(id, session);
    return session;
  }

  get(id: number, now: number): FetchSession | undefined {
    const s = this.sessions.get(id);
    if (s) s.lastUsed = now;
    return s;
  }

  remove(id: number): void {
    this.sessions.delete(id);
  }
}
