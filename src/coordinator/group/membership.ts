/**
 * The classic rebalance protocol as a state machine: JoinGroup, SyncGroup, Heartbeat and
 * LeaveGroup move a group between Empty, PreparingRebalance, CompletingRebalance and Stable; the
 * scheduler's timers expire sessions, bound join and sync phases, and delay a new group's first
 * rebalance. No sockets and no real time: requests come in as calls, answers go out as promises.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../../protocol/error-codes.js';
import { NO_TIMER, type Scheduler, type Timer } from '../scheduler.js';
import { BackgroundWork, warnOnFailure } from '../background.js';
import { Group, Member, type JoinResult, type Protocol, type SyncResult } from './group.js';
import { NotCoordinatorError, type OwnershipStatus } from './ownership.js';

export interface GroupConfig {
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  initialRebalanceDelayMs: number;
  maxSize: number;
}

export const DEFAULT_GROUP_CONFIG: GroupConfig = { minSessionTimeoutMs: 6000, maxSessionTimeoutMs: 1_800_000, initialRebalanceDelayMs: 3000, maxSize: 2_147_483_647 };

export interface JoinRequest {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
  /** JoinGroup v4+: a new dynamic member must first get its id (KIP-394). */
  requireKnownMemberId: boolean;
}

export interface SyncRequest {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  assignments: { memberId: string; assignment: Buffer }[];
}

/** Where group metadata goes to be durable (the __consumer_offsets topic in the broker). */
export interface GroupPersistence {
  /** Rejects with NotCoordinatorError when the group's offsets partition was unloaded before or while it wrote. */
  storeGroup(group: Group): Promise<void>;
}

/** Whether this coordinator answers for a group now (its __consumer_offsets partition is loaded here). */
export type GroupOwnership = (groupId: string) => OwnershipStatus;

function joinError(errorCode: number, memberId = ''): JoinResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}

function syncError(errorCode: number): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
}

export class Membership {
  readonly groups = new Map<string, Group>();
  /** Set by close(): the coordinator is shutting down and answers NOT_COORDINATOR. */
  private closed = false;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly config: GroupConfig,
    private readonly persistence: GroupPersistence,
    private readonly background: BackgroundWork = new BackgroundWork(warnOnFailure),
    private readonly ownership: GroupOwnership = () => 'owned',
  ) {}

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Stops the state machine (broker shutdown): every JoinGroup or SyncGroup still waiting is
   * answered NOT_COORDINATOR, as Kafka answers when it unloads a group, so clients look for the
   * coordinator again instead of waiting out a rebalance timeout; later calls get the same. The
   * owner cancels the timers (they live in its scheduler).
   */
  close(): void {
    this.closed = true;
    for (const group of this.groups.values()) this.answerWaitingNotCoordinator(group);
  }

  /**
   * The group's offsets partition moved to another broker (Kafka's onGroupUnloaded): the group
   * goes Dead and leaves memory, its waiting JoinGroup and SyncGroup calls are answered
   * NOT_COORDINATOR (the clients look for the new coordinator), and its timers are cancelled.
   * Work still running on it (a write being acknowledged) finds it Dead and stops there.
   */
  unload(group: Group): void {
    if (this.groups.get(group.groupId) === group) this.groups.delete(group.groupId);
    group.transition('Dead', this.now());
    group.rebalanceTimer?.cancel();
    group.rebalanceTimer = null;
    for (const t of group.pendingMembers.values()) t.cancel();
    group.pendingMembers.clear();
    for (const m of group.members.values()) {
      m.heartbeatTimer?.cancel();
      m.heartbeatTimer = null;
    }
    this.answerWaitingNotCoordinator(group);
  }

  private answerWaitingNotCoordinator(group: Group): void {
    for (const m of group.members.values()) {
      const join = m.joinCallback;
      const sync = m.syncCallback;
      m.joinCallback = null;
      m.syncCallback = null;
      join?.(joinError(ErrorCode.NOT_COORDINATOR, m.memberId));
      sync?.(syncError(ErrorCode.NOT_COORDINATOR));
    }
  }

  /** Closed, or the group's partition is not (yet) loaded here: 'loading' or 'not-owned'. */
  private refusal(groupId: string): OwnershipStatus | null {
    if (this.closed) return 'not-owned';
    const status = this.ownership(groupId);
    return status === 'owned' ? null : status;
  }

  /**
   * Arms a timer of a group that is still the live one in memory; one unloaded (its partition
   * moved away while a write of it was under way) gets none.
   */
  private schedule(group: Group, delayMs: number, task: () => void): Timer {
    if (this.groups.get(group.groupId) !== group) return NO_TIMER;
    return this.scheduler.schedule(delayMs, task);
  }

  private now(): number {
    return this.scheduler.now();
  }

  getOrCreate(groupId: string): Group {
    let group = this.groups.get(groupId);
    if (!group) {
      group = new Group(groupId, this.now());
      this.groups.set(groupId, group);
    }
    return group;
  }

  join(req: JoinRequest): Promise<JoinResult> {
    if (this.closed) return Promise.resolve(joinError(ErrorCode.NOT_COORDINATOR, req.memberId));
    if (req.groupId === '') return Promise.resolve(joinError(ErrorCode.INVALID_GROUP_ID));
    const refused = this.refusal(req.groupId);
    if (refused) return Promise.resolve(joinError(refused === 'loading' ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NOT_COORDINATOR, req.memberId));
    if (req.sessionTimeoutMs < this.config.minSessionTimeoutMs || req.sessionTimeoutMs > this.config.maxSessionTimeoutMs) {
      return Promise.resolve(joinError(ErrorCode.INVALID_SESSION_TIMEOUT, req.memberId));
    }
    const existing = this.groups.get(req.groupId);
    if (!existing && req.memberId !== '') return Promise.resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId));
    const group = existing ?? this.getOrCreate(req.groupId);
    if (group.state === 'Dead') return Promise.resolve(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, req.memberId));
    if (!group.isCompatible(req.protocolType, req.protocols)) return Promise.resolve(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId));
    return req.memberId === '' ? this.joinNewMember(group, req) : this.joinKnownMember(group, req);
  }

  private joinNewMember(group: Group, req: JoinRequest): Promise<JoinResult> {
    const memberId = `${req.clientId}-${randomUUID()}`;
    const staticId = req.groupInstanceId !== null ? group.staticMembers.get(req.groupInstanceId) : undefined;
    if (staticId !== undefined) return this.rejoinStaticMember(group, staticId, memberId, req);
    if (group.members.size + group.pendingMembers.size >= this.config.maxSize) return Promise.resolve(joinError(ErrorCode.GROUP_MAX_SIZE_REACHED));
    if (req.requireKnownMemberId && req.groupInstanceId === null) {
      // KIP-394: hand out the id first; the member is forgotten unless it rejoins within its session timeout.
      group.pendingMembers.set(
        memberId,
        this.schedule(group, req.sessionTimeoutMs, () => {
          group.pendingMembers.delete(memberId);
          if (group.state === 'PreparingRebalance') this.maybeCompleteJoin(group);
        }),
      );
      return Promise.resolve(joinError(ErrorCode.MEMBER_ID_REQUIRED, memberId));
    }
    return this.addMemberAndRebalance(group, memberId, req);
  }

  private addMemberAndRebalance(group: Group, memberId: string, req: JoinRequest): Promise<JoinResult> {
    const member = new Member(memberId, req.groupInstanceId, req.clientId, req.clientHost, req.rebalanceTimeoutMs, req.sessionTimeoutMs, req.protocolType, req.protocols);
    const result = new Promise<JoinResult>((resolve) => (member.joinCallback = resolve));
    group.add(member);
    if (group.inInitialDelay) group.newMemberAdded = true;
    if (group.state === 'PreparingRebalance') this.maybeCompleteJoin(group);
    else this.prepareRebalance(group);
    return result;
  }

  private rejoinStaticMember(group: Group, oldId: string, newId: string, req: JoinRequest): Promise<JoinResult> {
    const old = group.members.get(oldId);
    // The previous incarnation is fenced: any call it still has waiting learns so now.
    old?.joinCallback?.(joinError(ErrorCode.FENCED_INSTANCE_ID, oldId));
    old?.syncCallback?.(syncError(ErrorCode.FENCED_INSTANCE_ID));
    const member = group.replaceMemberId(oldId, newId);
    if (!member) return Promise.resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID));
    member.joinCallback = null;
    member.syncCallback = null;
    const changed = !member.sameProtocols(req.protocols);
    Object.assign(member, { clientId: req.clientId, clientHost: req.clientHost, sessionTimeoutMs: req.sessionTimeoutMs, rebalanceTimeoutMs: req.rebalanceTimeoutMs, protocols: req.protocols });
    this.scheduleHeartbeat(group, member);
    if (group.state === 'Stable' && !changed) {
      // KIP-345: a restarted static member gets its place back without a rebalance.
      const isLeader = group.isLeader(newId);
      return this.persistThen(group, () => this.currentJoinInfo(group, member, isLeader));
    }
    const result = new Promise<JoinResult>((resolve) => (member.joinCallback = resolve));
    if (group.state === 'PreparingRebalance') this.maybeCompleteJoin(group);
    else this.prepareRebalance(group);
    return result;
  }

  private joinKnownMember(group: Group, req: JoinRequest): Promise<JoinResult> {
    const pending = group.pendingMembers.get(req.memberId);
    if (pending) {
      pending.cancel();
      group.pendingMembers.delete(req.memberId);
      return this.addMemberAndRebalance(group, req.memberId, req);
    }
    const member = group.members.get(req.memberId);
    if (req.groupInstanceId !== null) {
      const owner = group.staticMembers.get(req.groupInstanceId);
      if (owner !== undefined && owner !== req.memberId) return Promise.resolve(joinError(ErrorCode.FENCED_INSTANCE_ID, req.memberId));
    }
    if (!member) return Promise.resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId));
    const changed = !member.sameProtocols(req.protocols);
    const update = () => Object.assign(member, { clientId: req.clientId, clientHost: req.clientHost, sessionTimeoutMs: req.sessionTimeoutMs, rebalanceTimeoutMs: req.rebalanceTimeoutMs, protocols: req.protocols });
    const wait = () => {
      // A member whose previous JoinGroup is still waiting: the old call is answered as superseded.
      member.joinCallback?.(joinError(ErrorCode.UNKNOWN_MEMBER_ID, member.memberId));
      return new Promise<JoinResult>((resolve) => (member.joinCallback = resolve));
    };
    switch (group.state) {
      case 'PreparingRebalance': {
        update();
        const result = wait();
        this.maybeCompleteJoin(group);
        return result;
      }
      case 'CompletingRebalance':
      case 'Stable':
        if (!changed && !(group.state === 'Stable' && group.isLeader(member.memberId))) {
          this.scheduleHeartbeat(group, member);
          return Promise.resolve(this.currentJoinInfo(group, member, group.isLeader(member.memberId)));
        }
        update();
        {
          const result = wait();
          this.prepareRebalance(group);
          return result;
        }
      default:
        return Promise.resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId));
    }
  }

  private currentJoinInfo(group: Group, member: Member, asLeader: boolean): JoinResult {
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      skipAssignment: asLeader && group.state === 'Stable',
      memberId: member.memberId,
      members: asLeader ? group.memberMetadata() : [],
    };
  }

  /** Stores the group, then answers the join; NOT_COORDINATOR when its partition moved away meanwhile. */
  private async persistThen(group: Group, result: () => JoinResult): Promise<JoinResult> {
    try {
      await this.persistence.storeGroup(group);
    } catch (err) {
      if (err instanceof NotCoordinatorError) return joinError(ErrorCode.NOT_COORDINATOR);
      throw err;
    }
    if (this.groups.get(group.groupId) !== group) return joinError(ErrorCode.NOT_COORDINATOR);
    return result();
  }

  /** Starts a rebalance: waiting syncs are told REBALANCE_IN_PROGRESS, members must rejoin. */
  prepareRebalance(group: Group): void {
    if (group.state === 'CompletingRebalance') this.failPendingSyncs(group, ErrorCode.REBALANCE_IN_PROGRESS);
    group.rebalanceTimer?.cancel();
    const initial = group.state === 'Empty';
    group.transition('PreparingRebalance', this.now());
    group.pendingSync.clear();
    if (initial && this.config.initialRebalanceDelayMs > 0) {
      group.inInitialDelay = true;
      group.newMemberAdded = false;
      this.scheduleInitialDelay(group, this.config.initialRebalanceDelayMs, Math.max(group.rebalanceTimeoutMs() - this.config.initialRebalanceDelayMs, 0));
    } else {
      group.rebalanceTimer = this.schedule(group, group.rebalanceTimeoutMs(), () => this.completeJoin(group));
      this.maybeCompleteJoin(group);
    }
  }

  /** group.initial.rebalance.delay.ms: wait for more members, extending while they keep coming. */
  private scheduleInitialDelay(group: Group, delay: number, remaining: number): void {
    group.rebalanceTimer = this.schedule(group, delay, () => {
      if (group.newMemberAdded && remaining > 0) {
        group.newMemberAdded = false;
        const next = Math.min(this.config.initialRebalanceDelayMs, remaining);
        this.scheduleInitialDelay(group, next, remaining - next);
      } else {
        group.inInitialDelay = false;
        this.completeJoin(group);
      }
    });
  }

  maybeCompleteJoin(group: Group): void {
    if (group.state === 'PreparingRebalance' && !group.inInitialDelay && group.allMembersJoined()) this.completeJoin(group);
  }

  /** Ends the join phase: members that did not rejoin are dropped, a new generation begins. */
  private completeJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance') return;
    group.rebalanceTimer?.cancel();
    group.rebalanceTimer = null;
    group.inInitialDelay = false;
    for (const m of [...group.members.values()]) if (!m.isAwaitingJoin) group.remove(m.memberId);
    for (const t of group.pendingMembers.values()) t.cancel();
    group.pendingMembers.clear();
    group.generationId++;
    if (group.members.size === 0) {
      // Like Kafka, an empty group keeps its protocol type (ListGroups still shows "consumer").
      group.protocolName = null;
      group.leaderId = null;
      group.transition('Empty', this.now());
      this.background.run(`storing empty group ${group.groupId}`, this.persistence.storeGroup(group));
      return;
    }
    group.protocolName = group.selectProtocol();
    group.transition('CompletingRebalance', this.now());
    for (const m of group.members.values()) {
      const respond = m.joinCallback;
      m.joinCallback = null;
      m.isNew = false;
      group.pendingSync.add(m.memberId);
      this.scheduleHeartbeat(group, m);
      respond?.(this.currentJoinInfo(group, m, group.isLeader(m.memberId)));
    }
    // Members that never sync within the rebalance timeout are removed (and a rebalance follows).
    const generation = group.generationId;
    group.rebalanceTimer = this.schedule(group, group.rebalanceTimeoutMs(), () => {
      if (group.generationId !== generation || group.pendingSync.size === 0) return;
      if (group.state !== 'CompletingRebalance' && group.state !== 'Stable') return;
      for (const id of [...group.pendingSync]) this.removeMember(group, id);
    });
  }

  sync(req: SyncRequest): Promise<SyncResult> {
    const refused = this.refusal(req.groupId);
    // While loading, the state of the rebalance is lost: REBALANCE_IN_PROGRESS sends the member
    // back to JoinGroup without looking for the coordinator again (older clients do not know
    // COORDINATOR_LOAD_IN_PROGRESS here), as Kafka answers.
    if (refused) return Promise.resolve(syncError(refused === 'loading' ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NOT_COORDINATOR));
    const group = this.groups.get(req.groupId);
    if (!group || group.state === 'Dead') return Promise.resolve(syncError(group ? ErrorCode.COORDINATOR_NOT_AVAILABLE : ErrorCode.UNKNOWN_MEMBER_ID));
    const member = group.members.get(req.memberId);
    if (req.groupInstanceId !== null && group.staticMembers.get(req.groupInstanceId) !== req.memberId && group.staticMembers.has(req.groupInstanceId)) {
      return Promise.resolve(syncError(ErrorCode.FENCED_INSTANCE_ID));
    }
    if (!member) return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    if (req.generationId !== group.generationId) return Promise.resolve(syncError(ErrorCode.ILLEGAL_GENERATION));
    if ((req.protocolType !== null && req.protocolType !== group.protocolType) || (req.protocolName !== null && req.protocolName !== group.protocolName)) {
      return Promise.resolve(syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    switch (group.state) {
      case 'PreparingRebalance':
        return Promise.resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      case 'Stable':
        group.pendingSync.delete(member.memberId);
        this.scheduleHeartbeat(group, member);
        return Promise.resolve({ errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment });
      case 'CompletingRebalance': {
        group.pendingSync.delete(member.memberId);
        this.scheduleHeartbeat(group, member);
        const result = new Promise<SyncResult>((resolve) => (member.syncCallback = resolve));
        if (group.isLeader(member.memberId)) this.background.run(`applying the assignment of group ${group.groupId}`, this.applyAssignment(group, req.assignments));
        return result;
      }
      default:
        return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  /** The leader's assignment: stored durably, then handed to every member waiting in SyncGroup. */
  private async applyAssignment(group: Group, assignments: { memberId: string; assignment: Buffer }[]): Promise<void> {
    const generation = group.generationId;
    const byMember = new Map(assignments.map((a) => [a.memberId, a.assignment]));
    for (const m of group.members.values()) m.assignment = byMember.get(m.memberId) ?? Buffer.alloc(0);
    try {
      await this.persistence.storeGroup(group);
    } catch {
      if (this.closed) return;
      if (group.generationId === generation && group.state === 'CompletingRebalance') {
        this.failPendingSyncs(group, ErrorCode.COORDINATOR_NOT_AVAILABLE);
        this.prepareRebalance(group);
      }
      return;
    }
    if (group.generationId !== generation || group.state !== 'CompletingRebalance') return;
    group.transition('Stable', this.now());
    for (const m of group.members.values()) {
      const respond = m.syncCallback;
      m.syncCallback = null;
      respond?.({ errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: m.assignment });
    }
  }

  private failPendingSyncs(group: Group, errorCode: number): void {
    for (const m of group.members.values()) {
      const respond = m.syncCallback;
      m.syncCallback = null;
      m.assignment = Buffer.alloc(0);
      respond?.(syncError(errorCode));
    }
  }

  heartbeat(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number): number {
    const refused = this.refusal(groupId);
    // While the partition loads, Kafka answers heartbeats blindly: the member is not sent away
    // from a coordinator that is about to know it.
    if (refused) return refused === 'loading' ? ErrorCode.NONE : ErrorCode.NOT_COORDINATOR;
    const group = this.groups.get(groupId);
    if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.state === 'Dead') return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (groupInstanceId !== null && group.staticMembers.has(groupInstanceId) && group.staticMembers.get(groupInstanceId) !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
    const member = group.members.get(memberId);
    if (!member || group.state === 'Empty') return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    this.scheduleHeartbeat(group, member);
    return group.state === 'PreparingRebalance' ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  /** LeaveGroup for one member (by id, or by instance id for static members). */
  leave(groupId: string, memberId: string, groupInstanceId: string | null): number {
    const refused = this.refusal(groupId);
    if (refused) return refused === 'loading' ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NOT_COORDINATOR;
    const group = this.groups.get(groupId);
    if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
    let id = memberId;
    if (groupInstanceId !== null) {
      const owner = group.staticMembers.get(groupInstanceId);
      if (owner === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (memberId !== '' && owner !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
      id = owner;
    }
    const pending = group.pendingMembers.get(id);
    if (pending) {
      pending.cancel();
      group.pendingMembers.delete(id);
      this.maybeCompleteJoin(group);
      return ErrorCode.NONE;
    }
    if (!group.members.has(id)) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.removeMember(group, id);
    return ErrorCode.NONE;
  }

  /** Drops a member (left, expired or never synced) and rebalances the rest. */
  removeMember(group: Group, memberId: string): void {
    const member = group.remove(memberId);
    if (!member) return;
    member.joinCallback?.(joinError(ErrorCode.UNKNOWN_MEMBER_ID, memberId));
    member.joinCallback = null;
    member.syncCallback?.(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    member.syncCallback = null;
    if (group.state === 'Stable' || group.state === 'CompletingRebalance') this.prepareRebalance(group);
    else if (group.state === 'PreparingRebalance') this.maybeCompleteJoin(group);
  }

  /** After a restart: every restored member must heartbeat within its session timeout. */
  restoreSessions(group: Group): void {
    for (const m of group.members.values()) this.scheduleHeartbeat(group, m);
  }

  /** (Re)arms a member's session timer: silence for session.timeout.ms removes it. */
  private scheduleHeartbeat(group: Group, member: Member): void {
    member.heartbeatTimer?.cancel();
    member.heartbeatTimer = this.schedule(group, member.sessionTimeoutMs, () => {
      member.heartbeatTimer = null;
      if (group.members.get(member.memberId) !== member) return;
      // A member waiting in JoinGroup or SyncGroup is alive: the phase timers bound that wait.
      if (member.isAwaitingJoin || member.syncCallback !== null) return;
      this.removeMember(group, member.memberId);
    });
  }
}
