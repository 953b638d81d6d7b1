/**
 * The group coordinator: membership (see membership.ts), committed offsets, and the admin view of
 * groups, kept durably as records in __consumer_offsets. It answers only for the groups of the
 * partitions of that topic it has loaded (loadPartition, when this broker becomes a partition's
 * leader; unloadPartition when it stops being one), as Kafka's GroupMetadataManager does; the
 * single broker loads them all at start.
 *
 * Offsets committed inside a transaction (TxnOffsetCommit) are written as the producer's
 * transactional batch and held pending (txn-offsets.ts) until the broker reports the producer's
 * marker on that partition (completeTransaction); OffsetFetch serves only committed offsets.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { TrackedScheduler, type Scheduler, type Timer } from '../scheduler.js';
import { BackgroundWork, warnOnFailure, type FailureReport } from '../background.js';
import type { Group } from './group.js';
import { Membership, type GroupConfig } from './membership.js';
import { loggedAt, OffsetCache, type CommittedOffset, type OffsetEntry } from './offsets.js';
import { NotCoordinatorError, ownershipError, PartitionOwnership, type Claim, type OwnershipStatus } from './ownership.js';
import { groupKey, groupRecord, offsetKey, offsetValue, partitionForGroup } from './records.js';
import { replayPartition, type ReplayedPartition } from './replay.js';
import { commitErrorFor, commitGroupError, txnCommitGroupError } from './commit-checks.js';
import { PendingTxnOffsets, TxnCommitFlights } from './txn-offsets.js';
import type { KeyValue, OffsetsTopic, TxnProducer } from './offsets-log.js';

export type { KeyValue, OffsetsLogEntry, OffsetsTopic, TxnProducer } from './offsets-log.js';

export interface OffsetCommitEntry {
  topic: string;
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
}

/** One partition of a TxnOffsetCommit, named as in the request. */
export interface TxnOffsetCommitEntry {
  topic: string;
  partition: number;
  committedOffset: bigint;
  committedLeaderEpoch: number;
  metadata: string | null;
}

/**
 * A TxnOffsetCommit: `memberId` '', `groupInstanceId` null and `generationId` -1 (what v0-2
 * send) leave the member unchecked; `transactionalId` is for logs only.
 */
export interface TxnOffsetCommit {
  groupId: string;
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  memberId: string;
  groupInstanceId: string | null;
  generationId: number;
  entries: TxnOffsetCommitEntry[];
}

export interface CoordinatorConfig extends GroupConfig {
  offsetMetadataMaxBytes: number;
  offsetsRetentionMs: number;
}

/**
 * How a loadPartition call ended: 'loaded' (this coordinator answers for the partition's groups),
 * 'stale-epoch' (a newer coordinator epoch was seen for the partition, nothing done), or
 * 'superseded' (an unload, a newer load or close() came before the replay ended; it was discarded).
 */
export type LoadOutcome = 'loaded' | 'stale-epoch' | 'superseded';

export class GroupCoordinator {
  readonly membership: Membership;
  /** Committed offsets of the groups of loaded partitions. */
  readonly offsets = new OffsetCache();
  /** Offsets of transactions whose marker has not come yet (TxnOffsetCommit), not served. */
  private readonly pending = new PendingTxnOffsets();
  private readonly flights = new TxnCommitFlights();
  private readonly ownership = new PartitionOwnership();
  /** The replay of each claim, so that a repeated election at the same epoch waits for the same one. */
  private readonly loads = new WeakMap<Claim, Promise<LoadOutcome>>();
  /** Every timer of the coordinator (sessions, rebalance phases, offset expiry) is armed here, so close() can cancel them all. */
  private readonly scheduler: TrackedScheduler;
  private readonly background: BackgroundWork;
  private expiryTimer: Timer | null = null;

  constructor(
    scheduler: Scheduler,
    private readonly config: CoordinatorConfig,
    private readonly topic: OffsetsTopic,
    report: FailureReport = warnOnFailure,
  ) {
    this.scheduler = new TrackedScheduler(scheduler);
    // A write abandoned because its partition moved away is expected when leadership moves, not a failure.
    this.background = new BackgroundWork((err, what) => {
      if (!(err instanceof NotCoordinatorError)) report(err, what);
    });
    this.membership = new Membership(this.scheduler, config, { storeGroup: (g) => this.storeGroup(g) }, this.background, (groupId) => this.owns(groupId));
  }

  /** Timers still armed (none after close()). */
  get armedTimers(): number {
    return this.scheduler.armed;
  }

  /** Whether this coordinator answers for the group now: its offsets partition is loaded here. */
  owns(groupId: string): OwnershipStatus {
    if (this.membership.isClosed) return 'not-owned';
    return this.ownership.status(this.partitionFor(groupId));
  }

  /** Some partition is still being replayed (ListGroups says so, as in Kafka). */
  get isLoading(): boolean {
    return this.ownership.anyLoading;
  }

  /** Which partition of __consumer_offsets holds a group: abs(Java hashCode(groupId)) % partitions, as in Kafka. */
  partitionFor(groupId: string): number {
    return partitionForGroup(groupId, this.topic.partitions);
  }

  /** Loads every partition at coordinator epoch 0: the single broker leads them all. */
  async load(): Promise<void> {
    for (let p = 0; p < this.topic.partitions; p++) await this.loadPartition(p, 0);
  }

  /**
   * This broker became the leader of `partition` at leader epoch `coordinatorEpoch` (Kafka's
   * onElection): replays the partition, answering COORDINATOR_LOAD_IN_PROGRESS for its groups
   * meanwhile, then serves them. An epoch lower than one already seen for the partition is
   * ignored ('stale-epoch'), so an old election handled late cannot undo a newer one; the same
   * epoch again is the same load. A higher epoch while the partition is held drops what is in
   * memory and replays again: leadership went away and came back, and another broker may have
   * written meanwhile. Rejects if the replay fails (the partition is then not owned).
   */
  loadPartition(partition: number, coordinatorEpoch: number): Promise<LoadOutcome> {
    if (!Number.isInteger(partition) || partition < 0 || partition >= this.topic.partitions) {
      return Promise.reject(new RangeError(`__consumer_offsets has no partition ${partition}`));
    }
    if (this.membership.isClosed) return Promise.resolve('superseded');
    if (!this.ownership.acceptEpoch(partition, coordinatorEpoch)) return Promise.resolve('stale-epoch');
    const current = this.ownership.current(partition);
    if (current?.epoch === coordinatorEpoch) return this.loads.get(current) ?? Promise.resolve('loaded');
    if (current) this.dropPartition(partition);
    const claim = this.ownership.begin(partition, coordinatorEpoch);
    const loading = this.replay(claim);
    this.loads.set(claim, loading);
    return loading;
  }

  private async replay(claim: Claim): Promise<LoadOutcome> {
    let replayed: ReplayedPartition;
    try {
      replayed = await replayPartition(this.topic.read(claim.partition));
    } catch (err) {
      this.ownership.release(claim.partition, claim);
      throw err;
    }
    // Installed in the same turn as the claim turns 'owned': no request sees it owned but empty.
    if (!this.ownership.finish(claim)) return 'superseded';
    this.install(replayed);
    return 'loaded';
  }

  private install(replayed: ReplayedPartition): void {
    for (const [groupId, group] of replayed.groups) this.membership.groups.set(groupId, group);
    for (const groupId of replayed.offsets.groups()) {
      this.offsets.adopt(groupId, replayed.offsets);
      // A group known only by its committed offsets (simple consumers, admin tools) exists, Empty,
      // as in Kafka: ListGroups and DescribeGroups show it after a restart too.
      if (!this.groups.has(groupId)) this.membership.getOrCreate(groupId);
    }
    for (const groupId of replayed.pending.groups()) {
      this.pending.adopt(groupId, replayed.pending);
      // A transactional commit created its group too (Kafka's replay does the same).
      if (!this.groups.has(groupId)) this.membership.getOrCreate(groupId);
    }
    // Restored members must heartbeat within their session timeout, or they go.
    for (const group of replayed.groups.values()) this.membership.restoreSessions(group);
  }

  /**
   * This broker is no longer the leader of `partition` (Kafka's onResignation): its groups leave
   * memory at once, their timers are cancelled, their waiting JoinGroup and SyncGroup calls and
   * every later request for them get NOT_COORDINATOR; a replay under way is discarded. A write
   * still waiting for its append answers NOT_COORDINATOR and changes nothing here. Ignored (false)
   * when `coordinatorEpoch` is older than one already seen for the partition.
   */
  unloadPartition(partition: number, coordinatorEpoch?: number): boolean {
    if (!this.ownership.acceptEpoch(partition, coordinatorEpoch)) return false;
    this.dropPartition(partition);
    return true;
  }

  private dropPartition(partition: number): void {
    this.ownership.release(partition);
    for (const group of [...this.groups.values()]) if (this.partitionFor(group.groupId) === partition) this.membership.unload(group);
    for (const groupId of this.offsets.groups()) if (this.partitionFor(groupId) === partition) this.offsets.forget(groupId);
    for (const groupId of this.pending.groups()) if (this.partitionFor(groupId) === partition) this.pending.forget(groupId);
    this.flights.dropPartition(partition);
  }

  /**
   * Runs expireOffsets every `intervalMs` (offsets.retention.check.interval.ms), one run at a
   * time; `expired` hears how many offsets each run removed.
   */
  startOffsetExpiry(intervalMs: number, expired: (count: number) => void): void {
    this.expiryTimer?.cancel();
    this.expiryTimer = this.scheduler.schedule(intervalMs, () => {
      // The next run is armed only after this one ends, whatever its outcome (after close() it arms nothing).
      const run = this.expireOffsets()
        .then(expired)
        .finally(() => this.startOffsetExpiry(intervalMs, expired));
      this.background.run('offset expiry', run);
    });
  }

  /**
   * Shuts the coordinator down (before the logs close): waiting joins and syncs are answered
   * NOT_COORDINATOR, every timer is cancelled, loads under way are discarded, and writes still
   * running are awaited, so nothing touches __consumer_offsets afterwards.
   */
  async close(): Promise<void> {
    this.membership.close();
    for (const p of this.ownership.partitions()) this.ownership.release(p);
    this.scheduler.close();
    await this.background.settled();
  }

  /** Groups of the loaded partitions. */
  get groups(): ReadonlyMap<string, Group> {
    return this.membership.groups;
  }

  /**
   * Appends to the group's partition while this coordinator owns it, and applies the write to
   * memory (`apply`, in the turn the append resolves) only if the partition is still held by the
   * same claim. Otherwise it throws NotCoordinatorError: the partition moved away before or while
   * the append ran, and its new coordinator replays whatever the log kept.
   */
  private async appendOwned(groupId: string, records: KeyValue[], apply: (firstOffset: number) => void, producer?: TxnProducer): Promise<void> {
    const partition = this.partitionFor(groupId);
    const claim = this.ownership.owned(partition);
    if (!claim) throw new NotCoordinatorError(partition);
    let firstOffset: number;
    try {
      firstOffset = await this.topic.append(partition, records, producer);
    } catch (err) {
      throw this.ownership.holds(claim) ? err : new NotCoordinatorError(partition);
    }
    if (!this.ownership.holds(claim)) throw new NotCoordinatorError(partition);
    apply(firstOffset);
  }

  private storeGroup(group: Group, apply: () => void = () => {}): Promise<void> {
    return this.appendOwned(group.groupId, [{ key: groupKey(group.groupId), value: groupRecord(group) }], apply);
  }

  private writeOffsets(groupId: string, entries: OffsetEntry[], alsoApply: () => void = () => {}): Promise<void> {
    const records = entries.map((e) => ({ key: offsetKey(groupId, e.topic, e.partition), value: e.value === null ? null : offsetValue(e.value) }));
    return this.appendOwned(groupId, records, (firstOffset) => {
      this.offsets.apply(groupId, loggedAt(entries, firstOffset));
      // A tombstone deletes the partition's pending transactional offsets too, as in Kafka.
      for (const e of entries) if (e.value === null) this.pending.removePartition(groupId, e.topic, e.partition);
      alsoApply();
    });
  }

  /** The error for a request about `groupId` before looking at the group: closed, not loaded here, loading. */
  private refusal(groupId: string): number {
    return ownershipError(this.owns(groupId));
  }

  /** OFFSET_METADATA_TOO_LARGE for entries whose metadata passes offset.metadata.max.bytes; the others are accepted. */
  private acceptMetadata<E extends { topic: string; partition: number; metadata: string | null }>(entries: E[], value: (e: E) => CommittedOffset): { codes: number[]; accepted: OffsetEntry[] } {
    const codes: number[] = [];
    const accepted: OffsetEntry[] = [];
    for (const e of entries) {
      const tooLarge = e.metadata !== null && Buffer.byteLength(e.metadata) > this.config.offsetMetadataMaxBytes;
      codes.push(tooLarge ? ErrorCode.OFFSET_METADATA_TOO_LARGE : ErrorCode.NONE);
      if (!tooLarge) accepted.push({ topic: e.topic, partition: e.partition, value: value(e) });
    }
    return { codes, accepted };
  }

  /** Validates and stores commits; returns an error code per entry, in order. */
  async commitOffsets(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number, entries: OffsetCommitEntry[], expireTimestamp: number): Promise<number[]> {
    const groupError = this.membership.isClosed
      ? ErrorCode.NOT_COORDINATOR
      : groupId === ''
        ? ErrorCode.INVALID_GROUP_ID
        : this.refusal(groupId) || commitGroupError(this.groups.get(groupId), memberId, groupInstanceId, generationId);
    if (groupError !== ErrorCode.NONE) return entries.map(() => groupError);
    const now = this.scheduler.now();
    const { codes, accepted } = this.acceptMetadata(entries, (e) => ({ offset: e.offset, leaderEpoch: e.leaderEpoch, metadata: e.metadata ?? '', commitTimestamp: now, expireTimestamp }));
    if (accepted.length > 0) {
      try {
        // A commit for a group nobody joined creates it, Empty, as Kafka does (simple consumers, tools).
        await this.writeOffsets(groupId, accepted, () => this.membership.getOrCreate(groupId));
      } catch (err) {
        const code = commitErrorFor(err);
        return entries.map(() => code);
      }
    }
    return codes;
  }

  /**
   * TxnOffsetCommit: validates like Kafka (routing, then the member when one is named, see
   * txnCommitGroupError) and writes the accepted offsets as one transactional batch of the
   * producer to the group's partition. They stay pending for (group, producer) until
   * completeTransaction; a group that did not exist is created, Empty. Returns an error code per
   * entry, in order.
   */
  async commitTransactionalOffsets(request: TxnOffsetCommit): Promise<number[]> {
    const { groupId, producerId, entries } = request;
    const groupError = this.membership.isClosed
      ? ErrorCode.NOT_COORDINATOR
      : groupId === ''
        ? ErrorCode.INVALID_GROUP_ID
        : this.refusal(groupId) || txnCommitGroupError(this.groups.get(groupId), request.memberId, request.groupInstanceId, request.generationId);
    if (groupError !== ErrorCode.NONE) return entries.map(() => groupError);
    const now = this.scheduler.now();
    const { codes, accepted } = this.acceptMetadata(entries, (e) => ({ offset: e.committedOffset, leaderEpoch: e.committedLeaderEpoch, metadata: e.metadata ?? '', commitTimestamp: now, expireTimestamp: -1 }));
    if (accepted.length === 0) return codes;
    const partition = this.partitionFor(groupId);
    const records = accepted.map((e) => ({ key: offsetKey(groupId, e.topic, e.partition), value: e.value === null ? null : offsetValue(e.value) }));
    this.flights.begin(partition, producerId);
    try {
      await this.appendOwned(
        groupId,
        records,
        (firstOffset) => {
          const logged = loggedAt(accepted, firstOffset);
          const missed = this.flights.missed(partition, producerId, firstOffset);
          if (!missed) this.pending.add(groupId, producerId, logged);
          else if (missed.committed) for (const e of logged) if (e.value) this.offsets.materialize(groupId, e.topic, e.partition, { ...e.value, recordOffset: e.recordOffset });
          this.membership.getOrCreate(groupId);
        },
        { producerId, producerEpoch: request.producerEpoch },
      );
    } catch (err) {
      const code = commitErrorFor(err);
      return entries.map(() => code);
    } finally {
      this.flights.end(partition, producerId);
    }
    return codes;
  }

  /**
   * The broker appended (and replicated) a COMMIT (`committed`) or ABORT marker of `producerId`
   * to __consumer_offsets partition `offsetsPartition`, at `markerOffset` when told: every group
   * of that partition with offsets pending for the producer has them committed (each unless a
   * commit written later in the log is there) or dropped. Offsets written after the marker stay
   * pending for the producer's next transaction. A producer with nothing pending, or a partition
   * not loaded here (its replay reads the marker), changes nothing.
   */
  completeTransaction(offsetsPartition: number, producerId: bigint, committed: boolean, markerOffset?: number): void {
    if (this.membership.isClosed || this.ownership.status(offsetsPartition) !== 'owned') return;
    const at = markerOffset ?? Infinity;
    // A commit of the producer whose append is still running meets this marker when it lands before it.
    this.flights.completed(offsetsPartition, producerId, { committed, markerOffset: at });
    for (const groupId of this.pending.groupsOf(producerId)) {
      if (this.partitionFor(groupId) === offsetsPartition) this.pending.complete(groupId, producerId, committed, this.offsets, at);
    }
  }

  /** Whether a transaction not yet ended holds an offset of the group for this partition (OffsetFetch's UNSTABLE_OFFSET_COMMIT). */
  hasPendingOffsets(groupId: string, topic: string, partition: number): boolean {
    return this.pending.hasPending(groupId, topic, partition);
  }

  /** DeleteGroups for one group: only when it has no members. */
  async deleteGroup(groupId: string): Promise<number> {
    const refused = this.refusal(groupId);
    if (refused !== ErrorCode.NONE) return refused;
    const group = this.groups.get(groupId);
    if (!group && !this.offsets.hasOffsets(groupId)) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (group && group.state !== 'Empty' && group.state !== 'Dead') return ErrorCode.NON_EMPTY_GROUP;
    try {
      // Partitions only an open transaction has an offset for get a tombstone too (Kafka's
      // deleteAllOffsets): it drops the pending offsets, and the marker then finds none.
      const removed = withPending(this.offsets.tombstones(groupId), this.pending.partitionsOf(groupId));
      if (removed.length > 0) await this.writeOffsets(groupId, removed);
      if (group) {
        group.transition('Dead', this.scheduler.now());
        await this.storeGroup(group, () => {
          if (this.groups.get(groupId) === group) this.membership.groups.delete(groupId);
        });
      }
    } catch (err) {
      if (err instanceof NotCoordinatorError) return ErrorCode.NOT_COORDINATOR;
      throw err;
    }
    return ErrorCode.NONE;
  }

  /** OffsetDelete: refused for topics the group's members are subscribed to. */
  async deleteOffsets(groupId: string, partitions: { topic: string; partition: number }[], subscribedTopics: Set<string>): Promise<{ groupError: number; codes: number[] }> {
    const refused = this.refusal(groupId);
    if (refused !== ErrorCode.NONE) return { groupError: refused, codes: [] };
    const group = this.groups.get(groupId);
    if (!group && !this.offsets.hasOffsets(groupId)) return { groupError: ErrorCode.GROUP_ID_NOT_FOUND, codes: [] };
    if (group && group.state !== 'Empty' && group.protocolType !== 'consumer') return { groupError: ErrorCode.NON_EMPTY_GROUP, codes: [] };
    const codes = partitions.map((p) => (subscribedTopics.has(p.topic) && group?.state !== 'Empty' ? ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC : ErrorCode.NONE));
    const removed = partitions.filter((_, i) => codes[i] === ErrorCode.NONE).map((p) => ({ ...p, value: null }));
    try {
      if (removed.length > 0) await this.writeOffsets(groupId, removed);
    } catch (err) {
      if (err instanceof NotCoordinatorError) return { groupError: ErrorCode.NOT_COORDINATOR, codes: [] };
      throw err;
    }
    return { groupError: ErrorCode.NONE, codes };
  }

  /**
   * Forgets every group's committed offsets for `topics`, which were deleted, as Kafka does: a
   * topic created again under one of these names starts without them. An Empty group left with no
   * offsets is removed, also as in Kafka. Returns how many offsets went. Only groups of loaded
   * partitions are here; the coordinators of the others do the same for theirs.
   */
  async deleteTopicOffsets(topics: ReadonlySet<string>): Promise<number> {
    let removed = 0;
    for (const groupId of new Set([...this.offsets.groups(), ...this.pending.groups()])) {
      if (this.membership.isClosed) break;
      const gone = withPending(this.offsets.ofTopics(groupId, topics), this.pending.partitionsOf(groupId).filter((p) => topics.has(p.topic)));
      if (gone.length === 0 || !(await this.removeOffsetsIfOwned(groupId, gone))) continue;
      removed += gone.length;
      if (this.groups.get(groupId)?.state === 'Empty' && this.isEmptyOfOffsets(groupId)) await this.deleteGroup(groupId);
    }
    return removed;
  }

  /**
   * No committed offsets and no open transaction with offsets for the group: an Empty group may
   * then be removed by expiry or topic deletion (Kafka keeps a group whose transactions are open).
   */
  private isEmptyOfOffsets(groupId: string): boolean {
    return !this.offsets.hasOffsets(groupId) && !this.pending.hasOpenTransactions(groupId);
  }

  /** Removes offsets of empty groups past offsets.retention.minutes; drops groups left with nothing. */
  async expireOffsets(): Promise<number> {
    const now = this.scheduler.now();
    let expired = 0;
    for (const groupId of this.offsets.groups()) {
      if (this.membership.isClosed) break;
      const group = this.groups.get(groupId);
      if (group && group.state !== 'Empty') continue;
      // An offset a transaction is about to replace does not expire yet, as in Kafka.
      const gone = this.offsets.expired(groupId, now, this.config.offsetsRetentionMs, group?.stateTimestamp ?? 0).filter((e) => !this.pending.hasPending(groupId, e.topic, e.partition));
      if (gone.length === 0 || !(await this.removeOffsetsIfOwned(groupId, gone))) continue;
      expired += gone.length;
      if (group && this.isEmptyOfOffsets(groupId)) await this.deleteGroup(groupId);
    }
    return expired;
  }

  /** Writes tombstones; false when the group's partition moved away (its new coordinator decides). */
  private async removeOffsetsIfOwned(groupId: string, gone: OffsetEntry[]): Promise<boolean> {
    try {
      await this.writeOffsets(groupId, gone);
      return true;
    } catch (err) {
      if (err instanceof NotCoordinatorError) return false;
      throw err;
    }
  }
}

/** Tombstones for `committed` plus those of `pending` partitions not among them. */
function withPending(committed: OffsetEntry[], pending: { topic: string; partition: number }[]): OffsetEntry[] {
  const have = new Set(committed.map((e) => `${e.partition}:${e.topic}`));
  return [...committed, ...pending.filter((p) => !have.has(`${p.partition}:${p.topic}`)).map((p) => ({ ...p, value: null }))];
}
