/**
 * A follower's copy loop for the partitions it follows from one leader, as Kafka's
 * ReplicaFetcherThread: Fetch requests with this broker's id as replica id, the leader's batches
 * appended unchanged, the leader's high watermark taken as far as the local log reaches.
 *
 * A partition that starts following (or follows a new leader epoch) first truncates what the
 * leader does not have (KIP-101/279): OffsetForLeaderEpoch with the local log's latest epoch gives
 * where the logs diverge. The network is injected (`LeaderLink`), so this file never opens a socket.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import type { FetchResponse, OffsetForLeaderEpochResponse } from '../protocol/generated/index.js';
import type { Partition } from './partition.js';
import { FollowerFetchSession, type FollowedPosition } from './follower-fetch-session.js';
import { noteReplicated } from './replication-events.js';

/** The calls a follower makes to its leader. Each rejects when the leader cannot be reached. */
export interface LeaderLink {
  /**
   * The leader's answer, whose records may sit in memory the link reuses: `release()` once they
   * were appended (or dropped), and no byte of them is read after that.
   */
  fetch(request: FollowerFetch): Promise<FetchedRecords>;
  offsetsForLeaderEpoch(partitions: readonly { topic: string; partition: number; currentLeaderEpoch: number; leaderEpoch: number }[]): Promise<OffsetForLeaderEpochResponse>;
  /** The leader's log start offset of a partition (ListOffsets earliest), for a follower fallen behind it. */
  logStartOffset(topic: string, partition: number, currentLeaderEpoch: number): Promise<number>;
  close(): void;
}

export interface FetchedRecords {
  response: FetchResponse;
  release(): void;
}

export interface FollowerFetch {
  replicaId: number;
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  sessionId: number;
  sessionEpoch: number;
  partitions: readonly FollowedPosition[];
  forgotten: readonly { topic: string; partition: number }[];
}

export interface FetcherSettings {
  nodeId: number;
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  partitionMaxBytes: number;
  backoffMs: number;
  onError: (what: string, err: unknown) => void;
}

interface Followed {
  partition: Partition;
  /** The leader epoch this entry follows under; a new epoch truncates again. */
  epoch: number;
  truncated: boolean;
  /** Paused after a partition-level error until this time. */
  retryAt: number;
}

const key = (topic: string, index: number) => `${topic}\u0000${index}`;
const UNDEFINED_EPOCH = -1;

export class ReplicaFetcher {
  private readonly followed = new Map<string, Followed>();
  private running: Promise<void> | null = null;
  private stopped = false;
  private wake: (() => void) | null = null;
  private failing = false;
  private readonly session = new FollowerFetchSession();

  constructor(
    readonly leaderId: number,
    private readonly link: LeaderLink,
    private readonly settings: FetcherSettings,
  ) {}

  get size(): number {
    return this.followed.size;
  }

  /** Starts (or restarts, at a new leader epoch) copying `partition` from this fetcher's leader. */
  add(partition: Partition): void {
    const k = key(partition.topic, partition.index);
    const known = this.followed.get(k);
    if (known && known.partition === partition && known.epoch === partition.leaderEpoch) return;
    this.followed.set(k, { partition, epoch: partition.leaderEpoch, truncated: false, retryAt: 0 });
    this.running ??= this.loop().finally(() => (this.running = null));
    this.wake?.();
  }

  remove(partition: Partition): void {
    const k = key(partition.topic, partition.index);
    if (this.followed.get(k)?.partition === partition) this.followed.delete(k);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    this.link.close();
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopped && this.followed.size > 0) {
      try {
        await this.truncatePending();
        const ready = [...this.followed.values()].filter((f) => f.truncated && f.retryAt <= Date.now());
        if (ready.length === 0) {
          await this.pause(this.settings.backoffMs);
          continue;
        }
        await this.fetchOnce(ready);
        this.failing = false;
      } catch (err) {
        if (this.stopped) return;
        // A leader that went away is the metadata's news, not an error: say it once per outage.
        if (!this.failing) this.settings.onError(`fetching from broker ${this.leaderId}`, err);
        this.failing = true;
        await this.pause(this.settings.backoffMs);
      }
    }
  }

  /** Waits `ms`, or less when a partition is added or the fetcher stops. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }

  /** KIP-279: each partition new to this fetcher drops the records its leader does not hold. */
  private async truncatePending(): Promise<void> {
    const pending = [...this.followed.values()].filter((f) => !f.truncated && f.retryAt <= Date.now());
    if (pending.length === 0) return;
    const asks = pending.map((f) => ({ f, latest: lastEpoch(f.partition) }));
    const withoutEpochs = asks.filter((a) => a.latest === UNDEFINED_EPOCH);
    // A log holding no epoch entry (empty, or written before epochs) falls back to its high watermark, as Kafka's did.
    for (const a of withoutEpochs) await this.truncate(a.f, a.f.partition.highWatermark);
    const asking = asks.filter((a) => a.latest !== UNDEFINED_EPOCH);
    if (asking.length === 0) return;
    const response = await this.link.offsetsForLeaderEpoch(asking.map((a) => ({ topic: a.f.partition.topic, partition: a.f.partition.index, currentLeaderEpoch: a.f.epoch, leaderEpoch: a.latest })));
    const answers = new Map<string, { errorCode: number; leaderEpoch: number; endOffset: bigint }>();
    for (const t of response.topics) for (const p of t.partitions) answers.set(key(t.topic, p.partition), p);
    for (const { f, latest } of asking) {
      const answer = answers.get(key(f.partition.topic, f.partition.index));
      if (!answer || answer.errorCode !== ErrorCode.NONE) {
        f.retryAt = Date.now() + this.settings.backoffMs;
        continue;
      }
      let target: number;
      if (answer.leaderEpoch === UNDEFINED_EPOCH || answer.endOffset < 0n) target = f.partition.highWatermark;
      else if (answer.leaderEpoch === latest) target = Number(answer.endOffset);
      // The leader's latest epoch at or below ours is older: we diverge where our copy of that epoch ends.
      else target = Math.min(Number(answer.endOffset), f.partition.log.endOffsetForEpoch(answer.leaderEpoch).endOffset);
      await this.truncate(f, target);
    }
  }

  private async truncate(f: Followed, offset: number): Promise<void> {
    if (offset < f.partition.logEndOffset) await f.partition.truncateTo(Math.max(offset, f.partition.logStartOffset));
    f.truncated = true;
  }

  private async fetchOnce(ready: Followed[]): Promise<void> {
    const wanted: FollowedPosition[] = ready.map((f) => ({
      topic: f.partition.topic,
      partition: f.partition.index,
      fetchOffset: f.partition.acknowledgedEnd,
      currentLeaderEpoch: f.epoch,
      logStartOffset: f.partition.logStartOffset,
      maxBytes: this.settings.partitionMaxBytes,
    }));
    const request = this.session.next(wanted);
    let fetched: FetchedRecords;
    try {
      fetched = await this.link.fetch({
        replicaId: this.settings.nodeId,
        maxWaitMs: this.settings.maxWaitMs,
        minBytes: this.settings.minBytes,
        maxBytes: this.settings.maxBytes,
        ...request,
      });
    } catch (err) {
      // The connection went: whether the leader kept the session is unknown, so start over.
      this.session.reset();
      throw err;
    }
    try {
      await this.take(ready, wanted, fetched.response);
    } finally {
      // Every append settled: the log wrote the records or dropped them.
      fetched.release();
    }
  }

  private async take(ready: Followed[], wanted: FollowedPosition[], response: FetchResponse): Promise<void> {
    if (response.errorCode !== ErrorCode.NONE) {
      this.session.reset();
      // The leader evicted the session or an epoch went astray: the next fetch is a full one.
      if (response.errorCode === ErrorCode.FETCH_SESSION_ID_NOT_FOUND || response.errorCode === ErrorCode.INVALID_FETCH_SESSION_EPOCH) return;
      throw new Error(`the leader answered the fetch with error ${response.errorCode}`);
    }
    this.session.answered(wanted, response.sessionId);
    const appends: Promise<void>[] = [];
    try {
      for (const t of response.responses) {
        for (const p of t.partitions) {
          const f = this.followed.get(key(t.topic, p.partitionIndex));
          if (!f || !ready.includes(f)) continue;
          appends.push(this.handle(f, p.errorCode, p.records ?? Buffer.alloc(0), Number(p.highWatermark), Number(p.logStartOffset)));
        }
      }
    } finally {
      // Settled, each of them, before the caller releases the records' memory.
      await Promise.allSettled(appends);
    }
  }

  private async handle(f: Followed, errorCode: number, records: Buffer, leaderHighWatermark: number, leaderLogStart: number): Promise<void> {
    try {
      if (errorCode === ErrorCode.NONE) {
        // Followed still under the same epoch (a role change meanwhile discards what arrived).
        if (this.followed.get(key(f.partition.topic, f.partition.index)) !== f || f.partition.leaderEpoch !== f.epoch) return;
        await f.partition.appendReplicated(records, leaderHighWatermark);
        noteReplicated(this.settings.nodeId, f.partition.topic, records.length);
        // Records the leader deleted (DeleteRecords, retention) go here too, as Kafka's follower does.
        if (leaderLogStart > f.partition.logStartOffset && leaderLogStart <= f.partition.highWatermark) await f.partition.deleteRecordsBefore(leaderLogStart);
        return;
      }
      if (errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
        await this.recoverOutOfRange(f);
        return;
      }
      // NOT_LEADER_OR_FOLLOWER, FENCED/UNKNOWN_LEADER_EPOCH, UNKNOWN_TOPIC_OR_PARTITION, storage errors:
      // the metadata will move the partition (or the leader recover); try again later.
      f.retryAt = Date.now() + this.settings.backoffMs;
    } catch (err) {
      this.settings.onError(`copying ${f.partition.topic}-${f.partition.index} from broker ${this.leaderId}`, err);
      f.retryAt = Date.now() + this.settings.backoffMs;
      f.truncated = false;
    }
  }

  /**
   * The leader does not have our fetch offset: past its end we truncate (again, via the epochs);
   * before its start we start over at its log start, as Kafka's truncateFullyAndStartAt.
   */
  private async recoverOutOfRange(f: Followed): Promise<void> {
    const leaderStart = await this.link.logStartOffset(f.partition.topic, f.partition.index, f.epoch);
    if (f.partition.acknowledgedEnd < leaderStart) await f.partition.truncateFullyAndStartAt(leaderStart);
    else f.truncated = false;
  }
}

function lastEpoch(partition: Partition): number {
  const epochs = partition.log.leaderEpochs;
  return epochs.length === 0 ? UNDEFINED_EPOCH : epochs[epochs.length - 1].epoch;
}
