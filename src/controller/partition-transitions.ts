/**
 * The controller's rules for one partition, as Kafka's controller applies them (its
 * PartitionStateMachine and ReplicaStateMachine, and KRaft's PartitionChangeBuilder). Each takes a
 * partition's state and what the controller knows of the brokers, and answers the next state, or
 * null when nothing changes. Epochs: every change raises partitionEpoch, a leader change (or a
 * leader that came back as a new incarnation) raises leaderEpoch.
 */
import { reassigning, type PartitionState } from '../metadata/metadata-store.js';

export const NO_LEADER = -1;

/** What the controller knows of the brokers when it decides. */
export interface BrokerFacts {
  /** Brokers with a live registration. */
  readonly live: ReadonlySet<number>;
  /** Live brokers in controlled shutdown: they may not become leaders and leave the ISRs they can. */
  readonly shuttingDown: ReadonlySet<number>;
}

/** May `broker` lead now? */
export function eligible(broker: number, facts: BrokerFacts): boolean {
  return facts.live.has(broker) && !facts.shuttingDown.has(broker);
}

const sameList = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((r, i) => r === b[i]);

/** A partition's replica lists: the replicas, and those being added and removed by a reassignment. */
export interface ReplicaLayout {
  readonly replicas: readonly number[];
  readonly adding: readonly number[];
  readonly removing: readonly number[];
}

function layoutOf(state: PartitionState): ReplicaLayout {
  return { replicas: state.replicas, adding: state.addingReplicas ?? [], removing: state.removingReplicas ?? [] };
}

/**
 * Finishes a change: null if nothing moved, else the epochs raised as Kafka raises them. The
 * replica lists stay as they are unless `layout` gives new ones (empty adding/removing are left out).
 */
export function finish(prev: PartitionState, leader: number, isr: readonly number[], newIncarnation = false, layout: ReplicaLayout = layoutOf(prev)): PartitionState | null {
  const before = layoutOf(prev);
  const sameLayout = sameList(layout.replicas, before.replicas) && sameList(layout.adding, before.adding) && sameList(layout.removing, before.removing);
  const leaderChanged = leader !== prev.leader || newIncarnation;
  if (sameList(isr, prev.isr) && sameLayout && !leaderChanged) return null;
  return {
    replicas: sameLayout ? prev.replicas : [...layout.replicas],
    isr: [...isr],
    leader,
    leaderEpoch: leaderChanged ? prev.leaderEpoch + 1 : prev.leaderEpoch,
    partitionEpoch: prev.partitionEpoch + 1,
    ...(layout.adding.length > 0 ? { addingReplicas: [...layout.adding] } : {}),
    ...(layout.removing.length > 0 ? { removingReplicas: [...layout.removing] } : {}),
  };
}

/**
 * Two changes decided one after the other, written as one: the second's lists, with the epochs
 * raised once from `original` (the leader epoch if either moved the leader).
 */
export function combine(original: PartitionState, first: PartitionState | null, second: PartitionState | null): PartitionState | null {
  if (!second) return first;
  if (!first) return second;
  const leaderMoved = first.leaderEpoch !== original.leaderEpoch || second.leaderEpoch !== first.leaderEpoch;
  return { ...second, leaderEpoch: leaderMoved ? original.leaderEpoch + 1 : original.leaderEpoch, partitionEpoch: original.partitionEpoch + 1 };
}

/**
 * Completes a reassignment once every target replica (the replicas not being removed) is in the
 * ISR, as KRaft's PartitionReassignmentReplicas.maybeCompleteReassignment: the replicas become the
 * target, the removed ones leave the ISR, and if the leader is being removed the first target
 * replica in the ISR that may lead takes over (the completion waits while none may).
 */
export function completeReassignment(state: PartitionState, facts: BrokerFacts): PartitionState | null {
  if (!reassigning(state)) return null;
  const removing = state.removingReplicas ?? [];
  const target = state.replicas.filter((r) => !removing.includes(r));
  const isr = state.isr.filter((r) => !removing.includes(r));
  if (isr.length === 0 || !target.every((r) => isr.includes(r))) return null;
  let leader = state.leader;
  if (!target.includes(leader)) {
    const next = target.find((r) => isr.includes(r) && eligible(r, facts));
    if (next === undefined) return null;
    leader = next;
  }
  return finish(state, leader, isr, false, { replicas: target, adding: [], removing: [] });
}

/** The ISR without `gone`; Kafka never empties an ISR, so the last member stays (the old leader if it was one). */
function isrWithout(state: PartitionState, gone: (broker: number) => boolean): number[] {
  const kept = state.isr.filter((r) => !gone(r));
  if (kept.length > 0) return kept;
  if (state.isr.includes(state.leader)) return [state.leader];
  return state.isr.length > 0 ? [state.isr[0]] : [];
}

/**
 * Kafka's offline-partition election: the first replica (in replica order) that is alive and in
 * the ISR; with unclean election, else the first alive replica, which becomes the whole ISR.
 */
function electLeader(state: PartitionState, isr: readonly number[], facts: BrokerFacts, unclean: boolean): { leader: number; isr: readonly number[] } {
  const clean = state.replicas.find((r) => isr.includes(r) && eligible(r, facts));
  if (clean !== undefined) return { leader: clean, isr };
  if (unclean) {
    const any = state.replicas.find((r) => eligible(r, facts));
    if (any !== undefined) return { leader: any, isr: [any] };
  }
  return { leader: NO_LEADER, isr };
}

/**
 * Brings a partition in line with the live brokers: replicas that are gone (or that came back as
 * a new incarnation, `bounced`) leave the ISR; a partition whose leader is gone, or that has none,
 * gets the first eligible replica. This one rule serves a broker's failure, its return, and the
 * reconciliation a new controller runs; and it completes a reassignment whose new replicas are
 * all in the ISR (the leader's ISR expansion is the change that brings the controller here).
 */
export function reconcile(state: PartitionState, facts: BrokerFacts, unclean: boolean, bounced: ReadonlySet<number> = new Set()): PartitionState | null {
  const live = reconcileLiveness(state, facts, unclean, bounced);
  // A reassignment whose new replicas are all in sync now completes in the same write.
  return combine(state, live, completeReassignment(live ?? state, facts));
}

function reconcileLiveness(state: PartitionState, facts: BrokerFacts, unclean: boolean, bounced: ReadonlySet<number>): PartitionState | null {
  const gone = (r: number) => !facts.live.has(r) || bounced.has(r);
  let isr: readonly number[] = isrWithout(state, gone);
  let leader = state.leader;
  if (leader === NO_LEADER || gone(leader)) {
    ({ leader, isr } = electLeader(state, isr, facts, unclean));
  }
  const leaderBounced = state.leader !== NO_LEADER && bounced.has(state.leader) && leader === state.leader;
  return finish(state, leader, isr, leaderBounced);
}

/**
 * Controlled shutdown of `broker` (Kafka's ControlledShutdownPartitionLeaderElectionStrategy):
 * where it leads, the first other live ISR member takes over and the shutting-down brokers leave
 * the ISR; where it follows, it leaves the ISR. Partitions with one replica keep it, and so does a
 * partition whose ISR has nobody else (it keeps leading until it is gone).
 */
export function moveOffShuttingDown(state: PartitionState, broker: number, facts: BrokerFacts): PartitionState | null {
  if (state.replicas.length <= 1 || !state.replicas.includes(broker)) return null;
  if (state.leader === broker) {
    const next = state.replicas.find((r) => r !== broker && state.isr.includes(r) && eligible(r, facts));
    if (next === undefined) return null;
    return finish(state, next, state.isr.filter((r) => !facts.shuttingDown.has(r) && r !== broker));
  }
  if (!state.isr.includes(broker) || state.isr.length <= 1) return null;
  return finish(state, state.leader, state.isr.filter((r) => r !== broker));
}

/** Why an ElectLeaders request for a partition changed nothing. */
export type ElectionRefusal = 'ELECTION_NOT_NEEDED' | 'PREFERRED_LEADER_NOT_AVAILABLE' | 'ELIGIBLE_LEADERS_NOT_AVAILABLE';

export type ElectionOutcome = { readonly next: PartitionState } | { readonly refused: ElectionRefusal };

/** Preferred-leader election: replicas[0] leads if it is alive and in the ISR. */
export function electPreferred(state: PartitionState, facts: BrokerFacts): ElectionOutcome {
  const preferred = state.replicas[0];
  // The preferred replica leads already, if it is alive (a dead one's partition is just not re-decided yet).
  if (state.leader === preferred && facts.live.has(preferred)) return { refused: 'ELECTION_NOT_NEEDED' };
  if (preferred === undefined || state.leader === preferred || !state.isr.includes(preferred) || !eligible(preferred, facts)) return { refused: 'PREFERRED_LEADER_NOT_AVAILABLE' };
  const next = finish(state, preferred, state.isr);
  return next ? { next } : { refused: 'ELECTION_NOT_NEEDED' };
}

/** ElectLeaders with type unclean: only a partition without a live leader gets one, from the ISR if it can. */
export function electUnclean(state: PartitionState, facts: BrokerFacts): ElectionOutcome {
  if (state.leader !== NO_LEADER && facts.live.has(state.leader)) return { refused: 'ELECTION_NOT_NEEDED' };
  const next = reconcile(state, facts, true);
  if (!next || next.leader === NO_LEADER) return { refused: 'ELIGIBLE_LEADERS_NOT_AVAILABLE' };
  return { next };
}
