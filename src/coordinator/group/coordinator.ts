/**
 * The group coordinator: membership (see membership.ts), committed offsets, and the admin view of
 * groups, kept durably as records in __consumer_offsets. On start it replays that topic.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { TrackedScheduler, type Scheduler, type Timer } from '../scheduler.js';
import { BackgroundWork, warnOnFailure, type FailureReport } from '../background.js';
import { Group, Member } from './group.js';
import { Membership, type GroupConfig } from './membership.js';
import { OffsetCache, type CommittedOffset, type OffsetEntry } from './offsets.js';
import { groupKey, groupValue, offsetKey, offsetValue, parseGroupValue, parseKey, parseOffsetValue, partitionForGroup } from './records.js';

export interface KeyValue {
  key: Buffer;
  value: Buffer | null;
}

/** The __consumer_offsets topic as the coordinator sees it. */
export interface OffsetsTopic {
  readonly partitions: number;
  /** Appends records to one partition; resolves once they are durable. */
  append(partition: number, records: KeyValue[]): Promise<void>;
  /** Every record of every partition, oldest first, for replay on start. */
  readAll(): AsyncIterable<KeyValue>;
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

export class GroupCoordinator {
  readonly membership: Membership;
  readonly offsets = new OffsetCache();
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
    this.background = new BackgroundWork(report);
    this.membership = new Membership(this.scheduler, config, { storeGroup: (g) => this.storeGroup(g) }, this.background);
  }

  /** Timers still armed (none after close()). */
  get armedTimers(): number {
    return this.scheduler.armed;
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
   * NOT_COORDINATOR, every timer is cancelled, and writes still running are awaited, so nothing
   * touches __consumer_offsets afterwards.
   */
  async close(): Promise<void> {
    this.membership.close();
    this.scheduler.close();
    await this.background.settled();
  }

  get groups(): ReadonlyMap<string, Group> {
    return this.membership.groups;
  }

  private storeGroup(group: Group): Promise<void> {
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
    return this.topic.append(partitionForGroup(group.groupId, this.topic.partitions), [{ key: groupKey(group.groupId), value }]);
  }

  /** Which partition of __consumer_offsets holds a group (FindCoordinator on a cluster uses it). */
  partitionFor(groupId: string): number {
    return partitionForGroup(groupId, this.topic.partitions);
  }

  /** Validates and stores commits; returns an error code per entry, in order. */
  async commitOffsets(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number, entries: OffsetCommitEntry[], expireTimestamp: number): Promise<number[]> {
    const groupError = this.membership.isClosed ? ErrorCode.NOT_COORDINATOR : this.commitGroupError(groupId, memberId, groupInstanceId, generationId);
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
        await this.writeOffsets(groupId, accepted);
      } catch {
        return entries.map(() => ErrorCode.COORDINATOR_NOT_AVAILABLE);
      }
      // A commit for a group nobody joined creates it, Empty, as Kafka does (simple consumers, tools).
      this.membership.getOrCreate(groupId);
    }
    return codes;
  }

  private commitGroupError(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number): number {
    if (groupId === '') return ErrorCode.INVALID_GROUP_ID;
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

  private async writeOffsets(groupId: string, entries: OffsetEntry[]): Promise<void> {
    const records = entries.map((e) => ({ key: offsetKey(groupId, e.topic, e.partition), value: e.value === null ? null : offsetValue(e.value) }));
    await this.topic.append(this.partitionFor(groupId), records);
    this.offsets.apply(groupId, entries);
  }

  /** DeleteGroups for one group: only when it has no members. */
  async deleteGroup(groupId: string): Promise<number> {
    if (this.membership.isClosed) return ErrorCode.NOT_COORDINATOR;
    const group = this.groups.get(groupId);
    if (!group && !this.offsets.hasOffsets(groupId)) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (group && group.state !== 'Empty' && group.state !== 'Dead') return ErrorCode.NON_EMPTY_GROUP;
    const removed = this.offsets.deleteGroup(groupId);
    if (removed.length > 0) await this.writeOffsets(groupId, removed);
    if (group) {
      group.transition('Dead', this.scheduler.now());
      await this.storeGroup(group);
      this.membership.groups.delete(groupId);
    }
    return ErrorCode.NONE;
  }

  /** OffsetDelete: refused for topics the group's members are subscribed to. */
  async deleteOffsets(groupId: string, partitions: { topic: string; partition: number }[], subscribedTopics: Set<string>): Promise<{ groupError: number; codes: number[] }> {
    if (this.membership.isClosed) return { groupError: ErrorCode.NOT_COORDINATOR, codes: [] };
    const group = this.groups.get(groupId);
    if (!group && !this.offsets.hasOffsets(groupId)) return { groupError: ErrorCode.GROUP_ID_NOT_FOUND, codes: [] };
    if (group && group.state !== 'Empty' && group.protocolType !== 'consumer') return { groupError: ErrorCode.NON_EMPTY_GROUP, codes: [] };
    const codes = partitions.map((p) => (subscribedTopics.has(p.topic) && group?.state !== 'Empty' ? ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC : ErrorCode.NONE));
    const removed = partitions.filter((_, i) => codes[i] === ErrorCode.NONE).map((p) => ({ ...p, value: null }));
    if (removed.length > 0) await this.writeOffsets(groupId, removed);
    return { groupError: ErrorCode.NONE, codes };
  }

  /**
   * Forgets every group's committed offsets for `topics`, which were deleted, as Kafka does: a
   * topic created again under one of these names starts without them. An Empty group left with no
   * offsets is removed, also as in Kafka. Returns how many offsets went.
   */
  async deleteTopicOffsets(topics: ReadonlySet<string>): Promise<number> {
    let removed = 0;
    for (const groupId of this.offsets.groups()) {
      if (this.membership.isClosed) break;
      const gone = this.offsets.ofTopics(groupId, topics);
      if (gone.length === 0) continue;
      await this.writeOffsets(groupId, gone);
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
      if (gone.length === 0) continue;
      await this.writeOffsets(groupId, gone);
      expired += gone.length;
      if (group && !this.offsets.hasOffsets(groupId)) await this.deleteGroup(groupId);
    }
    return expired;
  }

  /** Rebuilds groups and offsets from __consumer_offsets. Members get fresh session timers. */
  async load(): Promise<void> {
    for await (const { key, value } of this.topic.readAll()) {
      const k = parseKey(key);
      if (k.kind === 'offset') {
        this.offsets.apply(k.group, [{ topic: k.topic, partition: k.partition, value: value === null ? null : parseOffsetValue(value) }]);
        continue;
      }
      if (value === null) {
        this.membership.groups.delete(k.group);
        continue;
      }
      const v = parseGroupValue(value);
      const group = new Group(k.group, v.stateTimestamp);
      group.generationId = v.generationId;
      group.protocolType = v.protocolType === '' ? null : v.protocolType;
      group.protocolName = v.protocolName;
      for (const m of v.members) {
        const member = new Member(m.memberId, m.groupInstanceId, m.clientId, m.clientHost, m.rebalanceTimeoutMs, m.sessionTimeoutMs, v.protocolType, [{ name: v.protocolName ?? '', metadata: m.subscription }]);
        member.assignment = m.assignment;
        member.isNew = false;
        group.add(member);
      }
      group.leaderId = v.leader;
      group.state = group.members.size > 0 ? 'Stable' : 'Empty';
      this.membership.groups.set(k.group, group);
    }
    // A group known only by its committed offsets (simple consumers, admin tools) exists, Empty,
    // as in Kafka: ListGroups and DescribeGroups show it after a restart too.
    for (const groupId of this.offsets.groups()) if (!this.membership.groups.has(groupId)) this.membership.getOrCreate(groupId);
    for (const group of this.groups.values()) this.membership.restoreSessions(group);
  }
}
