/** The partitions of one transaction: topic → partition ids, in the order they were added. */
import type { TopicPartitions } from './records.js';

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export class PartitionSet {
  private readonly byTopic = new Map<string, Set<number>>();
  private count = 0;

  constructor(partitions: Iterable<TopicPartition> = []) {
    for (const tp of partitions) this.add(tp.topic, tp.partition);
  }

  static fromGrouped(grouped: readonly TopicPartitions[]): PartitionSet {
    const set = new PartitionSet();
    for (const g of grouped) for (const p of g.partitions) set.add(g.topic, p);
    return set;
  }

  get size(): number {
    return this.count;
  }

  add(topic: string, partition: number): void {
    let ids = this.byTopic.get(topic);
    if (!ids) this.byTopic.set(topic, (ids = new Set()));
    if (!ids.has(partition)) {
      ids.add(partition);
      this.count++;
    }
  }

  has(topic: string, partition: number): boolean {
    return this.byTopic.get(topic)?.has(partition) ?? false;
  }

  delete(topic: string, partition: number): boolean {
    const ids = this.byTopic.get(topic);
    if (!ids?.delete(partition)) return false;
    if (ids.size === 0) this.byTopic.delete(topic);
    this.count--;
    return true;
  }

  clear(): void {
    this.byTopic.clear();
    this.count = 0;
  }

  /** This set with `more` added (a new set; this one is unchanged). */
  union(more: Iterable<TopicPartition>): PartitionSet {
    const out = new PartitionSet(this.list());
    for (const tp of more) out.add(tp.topic, tp.partition);
    return out;
  }

  containsAll(partitions: Iterable<TopicPartition>): boolean {
    for (const tp of partitions) if (!this.has(tp.topic, tp.partition)) return false;
    return true;
  }

  equals(other: PartitionSet): boolean {
    return this.count === other.count && other.containsAll(this.list());
  }

  list(): TopicPartition[] {
    const out: TopicPartition[] = [];
    for (const [topic, ids] of this.byTopic) for (const partition of ids) out.push({ topic, partition });
    return out;
  }

  grouped(): TopicPartitions[] {
    return [...this.byTopic].map(([topic, ids]) => ({ topic, partitions: [...ids] }));
  }
}
