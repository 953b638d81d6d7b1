/**
 * The partitions this broker holds, by topic and index: opens their logs at start, creates and
 * deletes them as topics change, and lets fetches wait for new data.
 */
import type { TopicRecord } from '../metadata/local-store.js';
import { Partition, type PartitionContext } from './partition.js';
import type { PartitionLog } from '../storage/partition-log.js';
import type { PartitionLogs } from './topic-service.js';

/** Opens (creating when absent) the log of one partition with its topic's configuration. */
export type LogOpener = (topic: TopicRecord, partition: number) => Promise<PartitionLog>;

export class ReplicaManager implements PartitionLogs {
  private readonly partitions = new Map<string, Partition[]>();

  constructor(
    private readonly openLog: LogOpener,
    private readonly applyConfigs: (topic: TopicRecord, logs: PartitionLog[]) => void,
    private readonly context?: PartitionContext,
  ) {}

  private readonly expiry: { timer: NodeJS.Timeout | null } = { timer: null };

  /** Forgets idle producer ids every `intervalMs` (producer.id.expiration.check.interval.ms) until close. */
  expireProducersEvery(intervalMs: number): void {
    this.expiry.timer = setInterval(() => {
      for (const list of this.partitions.values()) for (const p of list) p?.expireProducers();
    }, intervalMs);
    this.expiry.timer.unref();
  }

  /** Opens every partition of `topics`, several at a time (opening is mostly waiting on the disk). */
  async loadTopics(topics: TopicRecord[], concurrency = 32): Promise<void> {
    const work = topics.flatMap((t) => Array.from({ length: t.partitions }, (_, p) => ({ t, p })));
    let next = 0;
    const worker = async () => {
      while (next < work.length) {
        const { t, p } = work[next++];
        const list = this.partitions.get(t.name) ?? [];
        this.partitions.set(t.name, list);
        const partition = new Partition(t.name, p, await this.openLog(t, p), this.context);
        await partition.restoreProducers();
        list[p] = partition;
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, work.length) }, worker));
  }

  get(topic: string, index: number): Partition | undefined {
    return this.partitions.get(topic)?.[index];
  }

  leaderEpoch(topic: string, index: number): number {
    return this.get(topic, index)?.leaderEpoch ?? 0;
  }

  async createPartitions(topic: TopicRecord, from: number, to: number): Promise<void> {
    const list = this.partitions.get(topic.name) ?? [];
    for (let p = from; p < to; p++) list[p] = new Partition(topic.name, p, await this.openLog(topic, p), this.context);
    this.partitions.set(topic.name, list);
  }

  async deleteTopic(topic: TopicRecord): Promise<void> {
    const list = this.partitions.get(topic.name) ?? [];
    this.partitions.delete(topic.name);
    for (const p of list) {
      p.notify();
      await p.log.destroy();
    }
  }

  configsChanged(topic: TopicRecord): void {
    const list = this.partitions.get(topic.name) ?? [];
    this.applyConfigs(topic, list.map((p) => p.log));
  }

  /**
   * Resolves at the first change in any of `partitions` or after `timeoutMs`, whichever comes
   * first; with false when the broker is shutting down (the fetch should answer now).
   */
  waitForChange(partitions: Partition[], timeoutMs: number): Promise<boolean> {
    if (this.stopping) return Promise.resolve(false);
    return new Promise((resolve) => {
      const cancels: (() => void)[] = [];
      const done = () => {
        clearTimeout(timer);
        for (const c of cancels) c();
        resolve(!this.stopping);
      };
      const timer = setTimeout(done, timeoutMs);
      for (const p of partitions) cancels.push(p.onChange(done));
    });
  }

  private stopping = false;

  /** Ends every waiting long poll now and refuses new waits (at shutdown, so fetches answer at once). */
  wakeAll(): void {
    this.stopping = true;
    for (const list of this.partitions.values()) for (const p of list) p.notify();
  }

  async close(): Promise<void> {
    if (this.expiry.timer) clearInterval(this.expiry.timer);
    for (const list of this.partitions.values()) {
      for (const p of list) {
        p.notify();
        await p.saveProducers();
        await p.log.close();
      }
    }
    this.partitions.clear();
  }
}
