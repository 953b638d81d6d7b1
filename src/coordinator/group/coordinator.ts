/**
 * The group coordinator: membership (see membership.ts), committed offsets, and the admin view of
 * groups, kept durably as records in __consumer_offsets. It answers only for the groups of the
 * partitions of that topic it has loaded (loadPartition, when this broker becomes a partition's
 * leader; unloadPartition when it stops being one), as Kafka's GroupMetadataManager does; the
 * single broker loads them all at start.
 */
import { ErrorCode, KafkaError } from '../../protocol/error-codes.js';
import { TrackedScheduler, type Scheduler, type Timer } from '../scheduler.js';
import { BackgroundWork, warnOnFailure, type FailureReport } from '../background.js';
import type { Group } from './group.js';
import { Membership, type GroupConfig } from './membership.js';
import { OffsetCache, type CommittedOffset, type OffsetEntry } from './offsets.js';
import { NotCoordinatorError, ownershipError, PartitionOwnership, type Claim, type OwnershipStatus } from './ownership.js';
import { groupKey, groupValue, offsetKey, offsetValue, partitionForGroup } from './records.js';
import { replayPartition, type ReplayedPartition } from './replay.js';

export interface KeyValue {
  key: Buffer;
  value: Buffer | null;
}

/** The __consumer_offsets topic as the coordinator sees it. */
export interface OffsetsTopic {
  readonly partitions: number;
  /**
   * Appends records to one partition; resolves once they are durable (acknowledged). The
   * coordinator applies a write to its state only after that, and only if it still owns the
   * partition then; it never reads its own writes back.
   */
  append(partition: number, records: KeyValue[]): Promise<void>;
  /** Every record of one partition, oldest first, up to its end (read while it may still grow). */
  read(partition: number): AsyncIterable<KeyValue>;
}

export interface OffsetCommitEntry {
  topic: string;
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
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

/**
 * What an offset commit whose append failed answers, as Kafka's GroupMetadataManager maps a log
 * append error: the partition moved away (or its disk failed) sends the client to look for the
 * coordinator again; too few replicas is a retriable COORDINATOR_NOT_AVAILABLE.
 */
function commitErrorFor(err: unknown): number {
  if (err instanceof NotCoordinatorError) return ErrorCode.NOT_COORDINATOR;
  if (!(err instanceof KafkaError)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  switch (err.code) {
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    default:
      return err.code;
  }
}

export class GroupCoordinator {
  readonly membership: Membership;
  /** Committed offsets of the groups of loaded partitions. */
  readonly offsets = new OffsetCache();
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
  private async appendOwned(groupId: string, records: KeyValue[], apply: () => void): Promise<void> {
    const partition = this.partitionFor(groupId);
    const claim = this.ownership.owned(partition);
    if (!claim) throw new NotCoordinatorError(partition);
    try {
      await this.topic.append(partition, records);
    } catch (err) {
      throw this.ownership.holds(claim) ? err : new NotCoordinatorError(partition);
    }
    if (!this.ownership.holds(claim)) throw new NotCoordinatorError(partition);
    apply();
  }

  private storeGroup(group: Group, apply: () => void = () => {}): Promise<void> {
    const value =
      group.state === 'Dead'
        ? null
        : groupValue({
            protocolType: group.protocolType ?? '',
            generationId: group.generationId,
            protocolName: group.protocolName,
            leader: group.leaderId,
            stateTimestamp: group.stateTimestamp,
            members: [...group.members.values()].map((m) => ({
              memberId: m.memberId,
              groupInstanceId: m.groupInstanceId,
              clientId: m.clientId,
              clientHost: m.clientHost,
              rebalanceTimeoutMs: m.rebalanceTimeoutMs,
              sessionTimeoutMs: m.sessionTimeoutMs,
              subscription: m.metadataFor(group.protocolName ?? ''),
              assignment: m.assignment,
            })),
          });
    return this.appendOwned(group.groupId, [{ key: groupKey(group.groupId), value }], apply);
  }

  private writeOffsets(groupId: string, entries: OffsetEntry[], alsoApply: () => void = () => {}): Promise<void> {
    const records = entries.map((e) => ({ key: offsetKey(groupId, e.topic, e.partition), value: e.value === null ? null : offsetValue(e.value) }));
    return this.appendOwned(groupId, records, () => {
      this.offsets.apply(groupId, entries);
      alsoApply();
    });
  }

  /** The error for a request about `groupId` before looking at the group: closed, not loaded here, loading. */
  private refusal(groupId: string): number {
    return ownershipError(this.owns(groupId));
  }

  /** Validates and stores commits; returns an error code per entry, in order. */
  async commitOffsets(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number, entries: OffsetCommitEntry[], expireTimestamp: number): Promise<number[]> {
    const groupError = this.membership.isClosed
      ? ErrorCode.NOT_COORDINATOR
      : groupId === ''
        ? ErrorCode.INVALID_GROUP_ID
        : this.refusal(groupId) || this.commitGroupError(groupId, memberId, groupInstanceId, generationId);
    if (groupError !== ErrorCode.NONE) return entries.map(() => groupError);
    const now = this.scheduler.now();
    const codes: number[] = [];
    const accepted: OffsetEntry[] = [];
    for (const e of entries) {
      if (e.metadata !== null && Buffer.byteLength(e.metadata) > this.config.offsetMetadataMaxBytes) {
        codes.push(ErrorCode.OFFSET_METADATA_TOO_LARGE);
        continue;
      }
      codes.push(ErrorCode.NONE);
      const value: CommittedOffset = { offset: e.offset, leaderEpoch: e.leaderEpoch, metadata: e.metadata ?? '', commitTimestamp: now, expireTimestamp };
      accepted.push({ topic: e.topic, partition: e.partition, value });
    }
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

  private commitGroupError(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number): number {
    const group = this.groups.get(groupId);
    if (generationId < 0 && memberId === '') {
      // Commits from outside the group protocol are allowed only while the group has no members.
      return !group || group.state === 'Empty' ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
    }
    if (!group || group.state === 'Dead') return ErrorCode.UNKNOWN_MEMBER_ID;
    if (groupInstanceId !== null && group.staticMembers.has(groupInstanceId) && group.staticMembers.get(groupInstanceId) !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
    if (!group.members.has(memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    if (group.state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
    return ErrorCode.NONE;
  }

  /** DeleteGroups for one group: only when it has no members. */
  async deleteGroup(groupId: string): Promise<number> {
    const refused = this.refusal(groupId);
    if (refused !== ErrorCode.NONE) return refused;
    const group = this.groups.get(groupId);
    if (!group && !this.offsets.hasOffsets(groupId)) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (group && group.state !== 'Empty' && group.state !== 'Dead') return ErrorCode.NON_EMPTY_GROUP;
    try {
      const removed = this.offsets.tombstones(groupId);
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
    for (const groupId of this.offsets.groups()) {
      if (this.membership.isClosed) break;
      const gone = this.offsets.ofTopics(groupId, topics);
      if (gone.length === 0 || !(await this.removeOffsetsIfOwned(groupId, gone))) continue;
      removed += gone.length;
      if (this.groups.get(groupId)?.state === 'Empty' && !this.offsets.hasOffsets(groupId)) await this.deleteGroup(groupId);
    }
    return removed;
  }

  /** Removes offsets of empty groups past offsets.retention.minutes; drops groups left with nothing. */
  async expireOffsets(): Promise<number> {
    const now = this.scheduler.now();
    let expired = 0;
    for (const groupId of this.offsets.groups()) {
      if (this.membership.isClosed) break;
      const group = this.groups.get(groupId);
      if (group && group.state !== 'Empty') continue;
      const gone = this.offsets.expired(groupId, now, this.config.offsetsRetentionMs, group?.stateTimestamp ?? 0);
      if (gone.length === 0 || !(await this.removeOffsetsIfOwned(groupId, gone))) continue;
      expired += gone.length;
      if (group && !this.offsets.hasOffsets(groupId)) await this.deleteGroup(groupId);
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
