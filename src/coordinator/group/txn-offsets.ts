/**
 * Offsets committed inside transactions (TxnOffsetCommit), pending until the producer's
 * end-transaction marker reaches the group's __consumer_offsets partition, after Kafka's
 * OffsetMetadataManager: per group and producer id, the last offset written per partition. They
 * are not served (OffsetFetch answers the committed ones, or UNSTABLE_OFFSET_COMMIT when asked for
 * stable offsets); a COMMIT marker makes them committed, an ABORT drops them. A group with a
 * producer here has an open transaction, even when a tombstone took all its offsets away.
 *
 * The live coordinator and the replay of a partition both drive this, in log order, so both end
 * in the same state.
 */
import type { LoggedEntry, LoggedOffset, OffsetCache } from './offsets.js';

type TopicOffsets = Map<string, Map<number, LoggedOffset>>;

export class PendingTxnOffsets {
  /** group id -> producer id -> topic -> partition -> offset. */
  private readonly byGroup = new Map<string, Map<bigint, TopicOffsets>>();
  /** producer id -> the groups it has an open transaction for. */
  private readonly byProducer = new Map<bigint, Set<string>>();

  /** Transactional offsets written by `producerId` for `groupId` (tombstones among them delete, as plain ones do). */
  add(groupId: string, producerId: bigint, entries: readonly LoggedEntry[]): void {
    let producers = this.byGroup.get(groupId);
    if (!producers) {
      producers = new Map();
      this.byGroup.set(groupId, producers);
    }
    let topics = producers.get(producerId);
    if (!topics) {
      topics = new Map();
      producers.set(producerId, topics);
    }
    let groups = this.byProducer.get(producerId);
    if (!groups) {
      groups = new Set();
      this.byProducer.set(producerId, groups);
    }
    groups.add(groupId);
    for (const e of entries) {
      if (e.value === null) {
        this.removePartition(groupId, e.topic, e.partition);
        continue;
      }
      let partitions = topics.get(e.topic);
      if (!partitions) {
        partitions = new Map();
        topics.set(e.topic, partitions);
      }
      partitions.set(e.partition, { ...e.value, recordOffset: e.recordOffset });
    }
  }

  /**
   * A tombstone for the partition was written: it deletes the pending offsets of every open
   * transaction of the group too (Kafka does the same), the transactions stay open.
   */
  removePartition(groupId: string, topic: string, partition: number): void {
    for (const topics of this.byGroup.get(groupId)?.values() ?? []) {
      const partitions = topics.get(topic);
      partitions?.delete(partition);
      if (partitions?.size === 0) topics.delete(topic);
    }
  }

  hasPending(groupId: string, topic: string, partition: number): boolean {
    for (const topics of this.byGroup.get(groupId)?.values() ?? []) if (topics.get(topic)?.has(partition)) return true;
    return false;
  }

  /** The partitions the group's open transactions hold offsets for, each once. */
  partitionsOf(groupId: string): { topic: string; partition: number }[] {
    const seen = new Map<string, { topic: string; partition: number }>();
    for (const topics of this.byGroup.get(groupId)?.values() ?? []) {
      for (const [topic, partitions] of topics) for (const partition of partitions.keys()) seen.set(`${partition}:${topic}`, { topic, partition });
    }
    return [...seen.values()];
  }

  /** Some producer's transaction with offsets for this group has not ended yet. */
  hasOpenTransactions(groupId: string): boolean {
    return this.byGroup.has(groupId);
  }

  /** Groups with an open transaction. */
  groups(): string[] {
    return [...this.byGroup.keys()];
  }

  /** The groups `producerId` has an open transaction for. */
  groupsOf(producerId: bigint): string[] {
    return [...(this.byProducer.get(producerId) ?? [])];
  }

  /**
   * Ends `producerId`'s transaction for one group: on commit its pending offsets written before
   * `markerOffset` are materialized into `committed` (each only if no later commit is there), on
   * abort they are dropped. Offsets written after the marker belong to the producer's next
   * transaction and stay pending. Returns how many offsets were materialized.
   */
  complete(groupId: string, producerId: bigint, committed: boolean, into: OffsetCache, markerOffset = Infinity): number {
    const producers = this.byGroup.get(groupId);
    const topics = producers?.get(producerId);
    if (!producers || !topics) return 0;
    let materialized = 0;
    for (const [topic, partitions] of topics) {
      for (const [partition, value] of partitions) {
        if (value.recordOffset >= markerOffset) continue;
        if (committed && into.materialize(groupId, topic, partition, value)) materialized++;
        partitions.delete(partition);
      }
      if (partitions.size === 0) topics.delete(topic);
    }
    if (topics.size === 0) this.dropProducer(groupId, producerId);
    return materialized;
  }

  private dropProducer(groupId: string, producerId: bigint): void {
    const producers = this.byGroup.get(groupId);
    producers?.delete(producerId);
    if (producers?.size === 0) this.byGroup.delete(groupId);
    const groups = this.byProducer.get(producerId);
    groups?.delete(groupId);
    if (groups?.size === 0) this.byProducer.delete(producerId);
  }

  /** Drops a group's open transactions from memory only (its partition was unloaded; the log keeps them). */
  forget(groupId: string): void {
    for (const producerId of [...(this.byGroup.get(groupId)?.keys() ?? [])]) this.dropProducer(groupId, producerId);
  }

  /** Takes over a group's open transactions from another store (a replayed partition), replacing any held here. */
  adopt(groupId: string, from: PendingTxnOffsets): void {
    this.forget(groupId);
    for (const [producerId, topics] of from.byGroup.get(groupId) ?? []) {
      const entries: LoggedEntry[] = [];
      for (const [topic, partitions] of topics) for (const [partition, value] of partitions) entries.push({ topic, partition, value, recordOffset: value.recordOffset });
      this.add(groupId, producerId, entries);
    }
  }
}

/** How a producer's transaction ended on an offsets partition, as its marker said. */
export interface TxnCompletion {
  readonly committed: boolean;
  /** The marker's offset; Infinity when the caller did not tell it. */
  readonly markerOffset: number;
}

/**
 * TxnOffsetCommit writes whose append has not resolved yet, per offsets partition and producer,
 * and the markers that arrived meanwhile. A write is applied only once it is durable; if the
 * producer's marker was written and reported before that, the write must still meet the marker
 * it precedes in the log, or it would stay pending forever: `missed` finds it.
 */
export class TxnCommitFlights {
  private readonly flights = new Map<string, { count: number; completions: TxnCompletion[] }>();

  private static key(partition: number, producerId: bigint): string {
    return `${partition}:${producerId}`;
  }

  begin(partition: number, producerId: bigint): void {
    const key = TxnCommitFlights.key(partition, producerId);
    const flight = this.flights.get(key) ?? { count: 0, completions: [] };
    flight.count++;
    this.flights.set(key, flight);
  }

  end(partition: number, producerId: bigint): void {
    const key = TxnCommitFlights.key(partition, producerId);
    const flight = this.flights.get(key);
    if (flight && --flight.count === 0) this.flights.delete(key);
  }

  /** A marker of the producer was reported: remembered only while a write of it is in flight. */
  completed(partition: number, producerId: bigint, completion: TxnCompletion): void {
    this.flights.get(TxnCommitFlights.key(partition, producerId))?.completions.push(completion);
  }

  /** The first marker after `offset` that was reported while the write landing there was in flight. */
  missed(partition: number, producerId: bigint, offset: number): TxnCompletion | undefined {
    let first: TxnCompletion | undefined;
    for (const c of this.flights.get(TxnCommitFlights.key(partition, producerId))?.completions ?? []) {
      if (c.markerOffset > offset && (!first || c.markerOffset < first.markerOffset)) first = c;
    }
    return first;
  }

  /** The partition was unloaded: markers remembered for it no longer matter (its writes cannot apply). */
  dropPartition(partition: number): void {
    for (const [key, flight] of this.flights) if (key.startsWith(`${partition}:`)) flight.completions = [];
  }
}
