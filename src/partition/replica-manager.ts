/**
 * The partitions this broker holds, by topic and index: opens their logs at start, creates and
 * deletes them as topics change, and holds the purgatory where requests wait for them to change.
 */
import type { TopicRecord } from '../metadata/local-store.js';
import { Partition, type PartitionContext } from './partition.js';
import type { PartitionLog } from '../storage/partition-log.js';
import { forEachBounded } from '../storage/bounded-concurrency.js';
import { ErrorCode, KafkaError } from '../protocol/error-codes.js';
import { Purgatory, partitionKey } from './purgatory.js';
import type { Scheduler } from './clock.js';

/** What the replica manager needs from the storage of partition logs (on disk or in memory). */
export interface PartitionLogStore {
  /** Opens a partition's log; `create` for a new partition, whose directory may hold nothing older. */
  open(topic: TopicRecord, partition: number, create: boolean): Promise<PartitionLog>;
  /** Makes the partitions just created durable (their directories' entries), before they are shown. */
  syncCreated(): Promise<void>;
  /** Closes the logs of `partitions` (those of them that are open are in `logs`) and sets their data aside for deletion. */
  remove(topic: TopicRecord, partitions: readonly number[], logs: readonly PartitionLog[]): Promise<void>;
  /** Once every partition of `topics` is open: sets aside the data no topic owns. */
  setAsideUnowned(topics: readonly TopicRecord[]): Promise<void>;
  reconfigure(topic: TopicRecord, logs: PartitionLog[]): void;
}

/**
 * Partitions created at a time. Creating one is a dozen short file-system calls and two fsyncs on
 * libuv's pool (4 threads by default): more than 4 at a time gains nothing (measured), and since the
 * pool serves its queue in order, a produce's fsync waits behind at most a few of them.
 */
const CREATE_CONCURRENCY = 4;
const LOAD_CONCURRENCY = 32;

export class ReplicaManager {
  private readonly partitions = new Map<string, (Partition | undefined)[]>();
  /** The topic record each topic's open partitions belong to (a newer topic of the name has another id). */
  private readonly records = new Map<string, TopicRecord>();

  /** Fetches waiting for bytes and produces waiting for the high watermark; every partition change is checked against it. */
  readonly purgatory: Purgatory;

  constructor(
    private readonly store: PartitionLogStore,
    private readonly context?: PartitionContext,
    /** The purgatory's deadlines (the system clock unless a test injects one). */
    scheduler?: Scheduler,
  ) {
    this.purgatory = new Purgatory({ scheduler, onError: (err) => context?.onBackgroundError('a delayed operation', err) });
  }

  /** A partition's changes reach the purgatory (so a change nobody waits for costs one map lookup). */
  private hosted(partition: Partition): Partition {
    const key = partitionKey(partition.topic, partition.index);
    partition.onChange(() => this.purgatory.checkAndComplete(key));
    return partition;
  }

  private readonly expiry: { timer: NodeJS.Timeout | null } = { timer: null };

  /** Forgets idle producer ids every `intervalMs` (producer.id.expiration.check.interval.ms) until close. */
  expireProducersEvery(intervalMs: number): void {
    this.expiry.timer = setInterval(() => {
      for (const list of this.partitions.values()) for (const p of list) p?.expireProducers();
    }, intervalMs);
    this.expiry.timer.unref();
  }

  /**
   * Opens the given partitions of each topic, several at a time, as they are on disk (the start of
   * the broker), then sets aside directories none of `owned` owns.
   */
  async loadTopics(held: readonly { topic: TopicRecord; partitions: readonly number[] }[], owned: readonly TopicRecord[], concurrency = LOAD_CONCURRENCY): Promise<void> {
    const work = held.flatMap(({ topic, partitions }) => partitions.map((p) => ({ t: topic, p })));
    await forEachBounded(work, concurrency, async ({ t, p }) => {
      const list = this.partitions.get(t.name) ?? [];
      this.partitions.set(t.name, list);
      this.records.set(t.name, t);
      const partition = this.hosted(new Partition(t.name, p, await this.store.open(t, p, false), this.context));
      await partition.restoreProducers();
      list[p] = partition;
    });
    await this.store.syncCreated();
    await this.store.setAsideUnowned(owned);
  }

  /** The topic record the open partitions of `name` belong to. */
  localTopic(name: string): TopicRecord | undefined {
    return this.records.get(name);
  }

  /** Topics with open partitions here. */
  localTopicNames(): string[] {
    return [...this.records.keys()];
  }

  /** The indexes of the open partitions of `name`. */
  localPartitions(name: string): number[] {
    return (this.partitions.get(name) ?? []).flatMap((p, i) => (p ? [i] : []));
  }

  /** Every open partition. */
  *all(): Generator<Partition> {
    for (const list of this.partitions.values()) for (const p of list) if (p) yield p;
  }

  get(topic: string, index: number): Partition | undefined {
    return this.partitions.get(topic)?.[index];
  }

  leaderEpoch(topic: string, index: number): number {
    return this.get(topic, index)?.leaderEpoch ?? 0;
  }

  /**
   * Creates partitions `indexes` of `topic`, a few at a time; partitions that are open are kept as
   * they are. They are published together once all are open; when one fails (or the broker stops
   * meanwhile) the ones opened are removed again and the error is thrown.
   */
  async createPartitions(topic: TopicRecord, indexes: readonly number[]): Promise<void> {
    const existing = this.partitions.get(topic.name) ?? [];
    const missing = indexes.filter((p) => !existing[p]);
    if (missing.length === 0) return;
    const opened: Partition[] = [];
    try {
      await forEachBounded(missing, CREATE_CONCURRENCY, async (p) => {
        if (this.stopping) throw new KafkaError(ErrorCode.BROKER_NOT_AVAILABLE, 'The broker is shutting down.');
        const partition = this.hosted(new Partition(topic.name, p, await this.store.open(topic, p, true), this.context));
        opened.push(partition);
        // A new log is empty (claimDir set any older directory aside), so this reads nothing; it keeps
        // created and loaded partitions on one path, should a log ever hold state when created.
        await partition.restoreProducers();
      });
      await this.store.syncCreated();
    } catch (err) {
      await this.store.remove(topic, missing, opened.map((p) => p.log)).catch(() => undefined);
      throw err;
    }
    const list = this.partitions.get(topic.name) ?? [];
    for (const p of opened) list[p.index] = p;
    this.partitions.set(topic.name, list);
    this.records.set(topic.name, topic);
  }

  /** Removes partitions `indexes` of `topic` (moved to other brokers, or a creation undone). */
  async deletePartitions(topic: TopicRecord, indexes: readonly number[]): Promise<void> {
    const list = this.partitions.get(topic.name) ?? [];
    const removed = indexes.flatMap((p) => (list[p] ? [list[p]] : []));
    for (const p of indexes) delete list[p];
    for (const p of removed) p.retire();
    await this.store.remove(topic, indexes, removed.map((p) => p.log));
  }

  /** Closes every partition of `topic` (waiting fetches answer at once) and sets its data aside for deletion. */
  async deleteTopic(topic: TopicRecord): Promise<void> {
    const list = this.partitions.get(topic.name) ?? [];
    this.partitions.delete(topic.name);
    this.records.delete(topic.name);
    const open = list.filter((p): p is Partition => p !== undefined);
    for (const p of open) p.retire();
    const indexes = new Set([...Array.from({ length: topic.partitions }, (_, p) => p), ...open.map((p) => p.index)]);
    await this.store.remove(topic, [...indexes].sort((a, b) => a - b), open.map((p) => p.log));
  }

  configsChanged(topic: TopicRecord): void {
    if (this.records.has(topic.name)) this.records.set(topic.name, topic);
    const list = this.partitions.get(topic.name) ?? [];
    this.store.reconfigure(topic, list.filter((p): p is Partition => p !== undefined).map((p) => p.log));
  }

  /** Long polls waiting for data now (for tests and metrics). */
  get waitingFetches(): number {
    return this.purgatory.waitingOf('fetch');
  }

  private stopping = false;

  /** Ends every waiting long poll (and produce wait) now and refuses new waits (at shutdown, so fetches answer at once). */
  wakeAll(): void {
    this.stopping = true;
    this.purgatory.close();
  }

  async close(): Promise<void> {
    if (this.expiry.timer) clearInterval(this.expiry.timer);
    this.purgatory.close();
    for (const list of this.partitions.values()) {
      for (const p of list) {
        if (!p) continue;
        await p.saveProducers();
        await p.log.close();
      }
    }
    this.partitions.clear();
  }
}
