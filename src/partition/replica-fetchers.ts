/**
 * The follower's side of replication on this broker: one replica fetcher per leader broker, and
 * each followed partition in the fetcher of its current leader. Partitions report role changes
 * (PartitionContext.roleChanged); this moves them between fetchers, and stops fetchers left empty.
 */
import type { Partition } from './partition.js';
import { ReplicaFetcher, type FetcherSettings, type LeaderLink } from './replica-fetcher.js';

/** Opens a link to a leader broker, or null while its endpoint is unknown (not registered). */
export type LeaderLinkFactory = (leaderId: number) => LeaderLink | null;

export class ReplicaFetchers {
  private readonly fetchers = new Map<number, ReplicaFetcher>();
  /** Which fetcher each followed partition is in. */
  private readonly assigned = new Map<Partition, number>();
  private stopped = false;

  constructor(
    private readonly links: LeaderLinkFactory,
    private readonly settings: FetcherSettings,
  ) {}

  /** Puts `partition` where its state says: in its leader's fetcher while it follows, nowhere else. */
  update(partition: Partition): void {
    if (this.stopped) return;
    const leader = partition.isFollower && partition.leaderId >= 0 ? partition.leaderId : -1;
    const current = this.assigned.get(partition);
    if (current !== undefined && current !== leader) {
      this.fetchers.get(current)?.remove(partition);
      this.assigned.delete(partition);
      this.stopIfIdle(current);
    }
    if (leader < 0) return;
    let fetcher = this.fetchers.get(leader);
    if (!fetcher) {
      const link = this.links(leader);
      if (!link) return;
      fetcher = new ReplicaFetcher(leader, link, this.settings);
      this.fetchers.set(leader, fetcher);
    }
    fetcher.add(partition);
    this.assigned.set(partition, leader);
  }

  /** Stops following `partition` (it is being removed). */
  forget(partition: Partition): void {
    const current = this.assigned.get(partition);
    if (current === undefined) return;
    this.fetchers.get(current)?.remove(partition);
    this.assigned.delete(partition);
    this.stopIfIdle(current);
  }

  /** Partitions followed now, by leader (for tests and metrics). */
  followedBy(): Map<number, number> {
    return new Map([...this.fetchers].map(([leader, f]) => [leader, f.size]));
  }

  /** Brokers whose endpoint appeared: partitions waiting for a link to them get one. */
  retryUnlinked(partitions: Iterable<Partition>): void {
    for (const p of partitions) if (p.isFollower && !this.assigned.has(p)) this.update(p);
  }

  private stopIfIdle(leader: number): void {
    const fetcher = this.fetchers.get(leader);
    if (fetcher && fetcher.size === 0) {
      this.fetchers.delete(leader);
      void fetcher.stop();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.fetchers.values()].map((f) => f.stop()));
    this.fetchers.clear();
    this.assigned.clear();
  }
}
