/**
 * Committed offsets per group, as the coordinator serves them. A commit is answered only after
 * its records are durable in __consumer_offsets (the persistence callback); the map here is the
 * cache rebuilt from that topic when one of its partitions is loaded, for the groups it holds.
 * Each offset keeps the log offset of its record: when a transaction's offsets are committed,
 * they replace a committed one only if they were written after it (Kafka compares the same).
 */

export interface CommittedOffset {
  readonly offset: bigint;
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly commitTimestamp: number;
  /** Explicit expiry (OffsetCommit v2-4 retention), or -1. */
  readonly expireTimestamp: number;
}

export interface OffsetEntry {
  readonly topic: string;
  readonly partition: number;
  /** null deletes the committed offset (a tombstone). */
  readonly value: CommittedOffset | null;
}

/** A committed offset with the log offset of the record that holds it. */
export interface LoggedOffset extends CommittedOffset {
  readonly recordOffset: number;
}

/** An entry as it was written: `recordOffset` is where its record is in __consumer_offsets. */
export interface LoggedEntry extends OffsetEntry {
  readonly recordOffset: number;
}

/** The entries of one write whose first record landed at `firstOffset`, one record each, in order. */
export function loggedAt(entries: readonly OffsetEntry[], firstOffset: number): LoggedEntry[] {
  return entries.map((e, i) => ({ ...e, recordOffset: firstOffset + i }));
}

export class OffsetCache {
  private readonly byGroup = new Map<string, Map<string, Map<number, LoggedOffset>>>();

  apply(groupId: string, entries: readonly LoggedEntry[]): void {
    let topics = this.byGroup.get(groupId);
    for (const e of entries) {
      if (e.value === null) {
        topics?.get(e.topic)?.delete(e.partition);
        if (topics?.get(e.topic)?.size === 0) topics.delete(e.topic);
        continue;
      }
      if (!topics) {
        topics = new Map();
        this.byGroup.set(groupId, topics);
      }
      let partitions = topics.get(e.topic);
      if (!partitions) {
        partitions = new Map();
        topics.set(e.topic, partitions);
      }
      partitions.set(e.partition, { ...e.value, recordOffset: e.recordOffset });
    }
    if (topics && topics.size === 0) this.byGroup.delete(groupId);
  }

  /**
   * A committed transaction's offset for one partition: it becomes the committed one unless the
   * offset committed now was written later in the log (a plain commit after the transactional
   * one). Returns whether it did.
   */
  materialize(groupId: string, topic: string, partition: number, value: LoggedOffset): boolean {
    const current = this.get(groupId, topic, partition);
    if (current && current.recordOffset > value.recordOffset) return false;
    this.apply(groupId, [{ topic, partition, value, recordOffset: value.recordOffset }]);
    return true;
  }

  get(groupId: string, topic: string, partition: number): LoggedOffset | undefined {
    return this.byGroup.get(groupId)?.get(topic)?.get(partition);
  }

  /** Every committed offset of a group: topic -> partition -> offset. */
  all(groupId: string): ReadonlyMap<string, ReadonlyMap<number, LoggedOffset>> {
    return this.byGroup.get(groupId) ?? new Map();
  }

  hasOffsets(groupId: string): boolean {
    return this.byGroup.has(groupId);
  }

  groups(): string[] {
    return [...this.byGroup.keys()];
  }

  /** Tombstones for every offset of a group (DeleteGroups); applied once they are written. */
  tombstones(groupId: string): OffsetEntry[] {
    const removed: OffsetEntry[] = [];
    for (const [topic, partitions] of this.all(groupId)) for (const partition of partitions.keys()) removed.push({ topic, partition, value: null });
    return removed;
  }

  /** Drops a group's offsets from memory only (its partition was unloaded; the log keeps them). */
  forget(groupId: string): void {
    this.byGroup.delete(groupId);
  }

  /** Takes over a group's offsets from another cache (a replayed partition), replacing any held here. */
  adopt(groupId: string, from: OffsetCache): void {
    const topics = from.byGroup.get(groupId);
    if (topics) this.byGroup.set(groupId, topics);
    else this.byGroup.delete(groupId);
  }

  /** Tombstones for every offset a group holds for one of `topics` (deleted topics). */
  ofTopics(groupId: string, topics: ReadonlySet<string>): OffsetEntry[] {
    const out: OffsetEntry[] = [];
    for (const [topic, partitions] of this.all(groupId)) if (topics.has(topic)) for (const partition of partitions.keys()) out.push({ topic, partition, value: null });
    return out;
  }

  /** Offsets an empty group holds past retention (Kafka's offsets.retention.minutes rule). */
  expired(groupId: string, now: number, retentionMs: number, emptySince: number): OffsetEntry[] {
    const out: OffsetEntry[] = [];
    for (const [topic, partitions] of this.all(groupId)) {
      for (const [partition, v] of partitions) {
        const expiresAt = v.expireTimestamp >= 0 ? v.expireTimestamp : Math.max(emptySince, v.commitTimestamp) + retentionMs;
        if (now >= expiresAt) out.push({ topic, partition, value: null });
      }
    }
    return out;
  }
}
