/**
 * Fetch sessions (KIP-227). A consumer or follower that fetches many partitions sends the full
 * list once; later fetches name only what changed, and the answer holds only partitions with
 * something new. What a request's (session id, epoch) pair means, as in Kafka's FetchManager:
 *
 *   id 0, epoch -1   no session: a full fetch, answered in full, no session opened
 *   id N, epoch -1   close session N, then the same sessionless full fetch
 *   id 0, epoch 0    a full fetch that opens a new session with the request's partitions
 *   id N, epoch 0    close session N and open a new one (what a Java client sends after any error)
 *   id N, epoch k>0  incremental fetch in session N: k must be the session's expected epoch
 *   id 0, epoch k>0  an incremental fetch in no session: FETCH_SESSION_ID_NOT_FOUND, as in Kafka
 *
 * The cache holds at most `max.incremental.fetch.session.cache.slots` sessions. When it is full a
 * new session may take the place of one unused for `min.incremental.fetch.session.eviction.ms`,
 * or else of an older one that is less valuable (fewer partitions; a consumer's before a
 * follower's); otherwise the fetch is answered without a session. A client opening sessions in a
 * loop therefore cannot push out the sessions of clients that use theirs.
 */
import { randomInt } from 'node:crypto';

export const INITIAL_EPOCH = 0;
export const FINAL_EPOCH = -1;
const MAX_SESSION_ID = 2 ** 31 - 1;

/** The epoch after `epoch`: it wraps from 2^31-1 to 1, never back to the INITIAL_EPOCH 0. */
export function nextEpoch(epoch: number): number {
  if (epoch < 0) return FINAL_EPOCH;
  return epoch === MAX_SESSION_ID ? 1 : epoch + 1;
}

export interface SessionPartition {
  /** Kept current from the topic id on every fetch when the session names topics by id. */
  topic: string;
  readonly topicId: string;
  readonly partition: number;
  fetchOffset: number;
  maxBytes: number;
  currentLeaderEpoch: number;
  /** What the last answer reported, to tell whether this partition has news. */
  lastHighWatermark: number;
  lastLogStartOffset: number;
}

export class FetchSession {
  readonly partitions = new Map<string, SessionPartition>();

  constructor(
    readonly id: number,
    /** A follower's session (replica id set); it outranks consumers' sessions in eviction. */
    readonly privileged: boolean,
    /** Opened by Fetch v13+, which names topics by id; later fetches must do the same. */
    readonly usesTopicIds: boolean,
    readonly createdMs: number,
    /** The epoch the next incremental fetch must carry. */
    public epoch: number,
    public lastUsedMs: number,
  ) {}
}

/** The key of a partition within a session: by topic id when the session uses ids, else by name. */
export function sessionKey(usesTopicIds: boolean, topic: string, topicId: string, partition: number): string {
  return `${usesTopicIds ? topicId : topic}\u0000${partition}`;
}

export interface FetchSessionCacheConfig {
  /** max.incremental.fetch.session.cache.slots */
  readonly maxSessions: number;
  /** min.incremental.fetch.session.eviction.ms */
  readonly evictionMs: number;
}

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>();
  /** Sessions evicted to make room for others, for tests and metrics. */
  evictions = 0;

  constructor(private readonly config: FetchSessionCacheConfig = { maxSessions: 1000, evictionMs: 120_000 }) {}

  get size(): number {
    return this.sessions.size;
  }

  /**
   * Opens a session for `size` partitions when there is room or a session may be evicted for it;
   * null when not (the fetch is then answered without a session, session id 0).
   */
  maybeCreate(now: number, privileged: boolean, size: number, usesTopicIds: boolean): FetchSession | null {
    if (this.config.maxSessions <= 0) return null;
    if (this.sessions.size >= this.config.maxSessions && !this.tryEvict(now, privileged, size)) return null;
    let id = 0;
    while (id === 0 || this.sessions.has(id)) id = randomInt(1, MAX_SESSION_ID);
    const session = new FetchSession(id, privileged, usesTopicIds, now, nextEpoch(INITIAL_EPOCH), now);
    this.sessions.set(id, session);
    return session;
  }

  /**
   * Kafka's rule: first the least recently used session if it has been idle past the eviction
   * time; else the least valuable session among those older than the eviction time (a follower
   * may also take a consumer's younger session), if the new one is worth more. Worth orders by
   * (privileged, partition count); a tie does not evict.
   */
  private tryEvict(now: number, privileged: boolean, size: number): boolean {
    let stalest: FetchSession | undefined;
    for (const s of this.sessions.values()) if (!stalest || s.lastUsedMs < stalest.lastUsedMs) stalest = s;
    if (!stalest) return false;
    if (now - stalest.lastUsedMs > this.config.evictionMs) {
      this.remove(stalest.id);
      this.evictions++;
      return true;
    }
    let cheapest: FetchSession | undefined;
    for (const s of this.sessions.values()) {
      const old = now - s.createdMs > this.config.evictionMs;
      const evictable = old || (privileged && !s.privileged);
      if (evictable && (!cheapest || worth(s) < worth(cheapest) || (worth(s) === worth(cheapest) && s.id < cheapest.id))) cheapest = s;
    }
    if (!cheapest) return false;
    const newWorth = (privileged ? 2 ** 32 : 0) + size;
    if (newWorth <= worth(cheapest)) return false;
    this.remove(cheapest.id);
    this.evictions++;
    return true;
  }

  get(id: number): FetchSession | undefined {
    return this.sessions.get(id);
  }

  touch(session: FetchSession, now: number): void {
    session.lastUsedMs = now;
  }

  remove(id: number): boolean {
    return this.sessions.delete(id);
  }
}

function worth(s: FetchSession): number {
  return (s.privileged ? 2 ** 32 : 0) + s.partitions.size;
}
