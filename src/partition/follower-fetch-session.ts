/**
 * A follower's side of an incremental fetch session (KIP-227): the first fetch lists every
 * followed partition and asks for a session; later fetches name the session and list only the
 * partitions whose fetch position changed (or are new), plus those to forget; the leader answers
 * only partitions with something new. A session error from the leader (it evicted the session,
 * or an epoch went astray) or a lost connection starts over with a full fetch.
 */
import { INITIAL_EPOCH, nextEpoch } from './fetch-sessions.js';

export interface FollowedPosition {
  readonly topic: string;
  readonly partition: number;
  readonly fetchOffset: number;
  readonly currentLeaderEpoch: number;
  readonly logStartOffset: number;
  readonly maxBytes: number;
}

export interface SessionFetch {
  readonly sessionId: number;
  readonly sessionEpoch: number;
  /** The partitions this request lists (all of them in a full fetch). */
  readonly partitions: readonly FollowedPosition[];
  readonly forgotten: readonly { topic: string; partition: number }[];
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;
const NO_SESSION = 0;

export class FollowerFetchSession {
  private id = NO_SESSION;
  private epoch = INITIAL_EPOCH;
  /** What the leader's session holds for each partition: the positions last sent. */
  private sent = new Map<string, FollowedPosition>();

  /** The next request for `wanted` (every partition to fetch now). */
  next(wanted: readonly FollowedPosition[]): SessionFetch {
    if (this.id === NO_SESSION) return { sessionId: NO_SESSION, sessionEpoch: INITIAL_EPOCH, partitions: wanted, forgotten: [] };
    const wantedKeys = new Set(wanted.map((w) => key(w.topic, w.partition)));
    const changed = wanted.filter((w) => {
      const s = this.sent.get(key(w.topic, w.partition));
      return !s || s.fetchOffset !== w.fetchOffset || s.currentLeaderEpoch !== w.currentLeaderEpoch || s.maxBytes !== w.maxBytes;
    });
    const forgotten = [...this.sent.values()].filter((s) => !wantedKeys.has(key(s.topic, s.partition))).map((s) => ({ topic: s.topic, partition: s.partition }));
    return { sessionId: this.id, sessionEpoch: this.epoch, partitions: changed, forgotten };
  }

  /** The leader answered `request` (for `wanted`) without a top-level error, with `sessionId`. */
  answered(wanted: readonly FollowedPosition[], sessionId: number): void {
    if (this.id === NO_SESSION) {
      // A full fetch: the leader opened a session, or had no room for one (0: stay sessionless).
      this.id = sessionId;
      this.epoch = nextEpoch(INITIAL_EPOCH);
    } else {
      this.epoch = nextEpoch(this.epoch);
    }
    this.sent = new Map(wanted.map((w) => [key(w.topic, w.partition), w]));
  }

  /** Forget the session: the next fetch is a full one. */
  reset(): void {
    this.id = NO_SESSION;
    this.epoch = INITIAL_EPOCH;
    this.sent.clear();
  }

  get sessionId(): number {
    return this.id;
  }
}
