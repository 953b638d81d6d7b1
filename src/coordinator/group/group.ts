/**
 * One consumer group of the classic protocol: its members, state and generation. Pure data and
 * the decisions that follow from it alone (protocol choice, whether everyone has rejoined); the
 * coordinator drives the transitions and the timers.
 */
import type { Timer } from '../scheduler.js';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface Protocol {
  readonly name: string;
  readonly metadata: Buffer;
}

export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

export interface SyncResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export class Member {
  assignment: Buffer = Buffer.alloc(0);
  /** Set while a JoinGroup of this member waits for the join phase to end. */
  joinCallback: ((r: JoinResult) => void) | null = null;
  /** Set while a SyncGroup of this member waits for the leader's assignment. */
  syncCallback: ((r: SyncResult) => void) | null = null;
  heartbeatTimer: Timer | null = null;
  /** Joined during the current rebalance (not yet part of a completed generation). */
  isNew = true;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    public clientId: string,
    public clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    public protocolType: string,
    public protocols: Protocol[],
  ) {}

  get isAwaitingJoin(): boolean {
    return this.joinCallback !== null;
  }

  metadataFor(protocol: string): Buffer {
    return this.protocols.find((p) => p.name === protocol)?.metadata ?? Buffer.alloc(0);
  }

  /** Same protocols with the same metadata, in the same order. */
  sameProtocols(protocols: Protocol[]): boolean {
    return protocols.length === this.protocols.length && protocols.every((p, i) => p.name === this.protocols[i].name && p.metadata.equals(this.protocols[i].metadata));
  }
}

export class Group {
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, Member>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, awaiting their JoinGroup (KIP-394). */
  readonly pendingMembers = new Map<string, Timer>();
  /** group.instance.id -> member id, for static members (KIP-345). */
  readonly staticMembers = new Map<string, string>();
  /** Members of a completed join that have not synced yet. */
  readonly pendingSync = new Set<string>();
  /** The join-phase or sync-phase timer. */
  rebalanceTimer: Timer | null = null;
  /** Whether a member joined during the initial delay (group.initial.rebalance.delay.ms). */
  newMemberAdded = false;
  inInitialDelay = false;
  /** When the group last changed state (Kafka's currentStateTimestamp), for offset expiry. */
  stateTimestamp: number;

  constructor(
    readonly groupId: string,
    now: number,
  ) {
    this.stateTimestamp = now;
  }

  transition(state: GroupState, now: number): void {
    this.state = state;
    this.stateTimestamp = now;
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  add(member: Member): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    this.members.set(member.memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    if (this.leaderId === null) this.leaderId = member.memberId;
  }

  remove(memberId: string): Member | undefined {
    const member = this.members.get(memberId);
    if (!member) return undefined;
    this.members.delete(memberId);
    this.pendingSync.delete(memberId);
    if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId) this.staticMembers.delete(member.groupInstanceId);
    member.heartbeatTimer?.cancel();
    if (this.leaderId === memberId) this.leaderId = this.members.keys().next().value ?? null;
    return member;
  }

  /** Gives a static member a new member id, keeping its place and assignment (KIP-345). */
  replaceMemberId(oldId: string, newId: string): Member | undefined {
    const member = this.members.get(oldId);
    if (!member) return undefined;
    this.members.delete(oldId);
    member.memberId = newId;
    this.members.set(newId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, newId);
    if (this.pendingSync.delete(oldId)) this.pendingSync.add(newId);
    if (this.leaderId === oldId) this.leaderId = newId;
    return member;
  }

  /** A member may join if the group is empty, or speaks its protocol type and shares a protocol. */
  isCompatible(protocolType: string, protocols: Protocol[]): boolean {
    if (this.members.size === 0) return protocolType !== '' && protocols.length > 0;
    if (this.protocolType !== protocolType) return false;
    const candidates = this.candidateProtocols();
    return protocols.some((p) => candidates.has(p.name));
  }

  /** Protocols every member supports. */
  candidateProtocols(): Set<string> {
    const members = [...this.members.values()];
    if (members.length === 0) return new Set<string>();
    const counts = new Map<string, number>();
    for (const m of members) for (const name of new Set(m.protocols.map((p) => p.name))) counts.set(name, (counts.get(name) ?? 0) + 1);
    return new Set([...counts].filter(([, n]) => n === members.length).map(([name]) => name));
  }

  /** Kafka's choice: among protocols all members support, the one most members list first. */
  selectProtocol(): string {
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const vote = m.protocols.find((p) => candidates.has(p.name))?.name;
      if (vote !== undefined) votes.set(vote, (votes.get(vote) ?? 0) + 1);
    }
    let best = '';
    let bestVotes = -1;
    for (const [name, n] of votes) {
      if (n > bestVotes) [best, bestVotes] = [name, n];
    }
    return best;
  }

  allMembersJoined(): boolean {
    for (const m of this.members.values()) if (!m.isAwaitingJoin) return false;
    return this.pendingMembers.size === 0;
  }

  /** The longest rebalance timeout among members bounds the join phase. */
  rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  /** Subscribed topics, when members speak the "consumer" protocol (for OffsetDelete). */
  memberMetadata(): { memberId: string; groupInstanceId: string | null; metadata: Buffer }[] {
    const protocol = this.protocolName ?? '';
    return [...this.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadataFor(protocol) }));
  }
}
