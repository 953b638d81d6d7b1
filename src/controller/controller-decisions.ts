/**
 * The controller as a pure state machine: given its view of the cluster (live brokers, brokers in
 * controlled shutdown, every partition's versioned state, each topic's
 * unclean.leader.election.enable) and one event, the partition-state writes to make, each a
 * compare-and-set against the version the decision was made on. No timers, no store: the runner
 * (controller-runner.ts) keeps the view, feeds events in and writes the answers.
 *
 * At most one write per partition per event: every rule for a partition is applied in memory
 * first (a bounced broker is first removed, then may lead again) and only the result is written.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import type { PartitionState } from '../metadata/metadata-store.js';
import { electPreferred, electUnclean, moveOffShuttingDown, reconcile, type BrokerFacts, type ElectionRefusal } from './partition-transitions.js';
import { cancelReassignment, startReassignment } from './reassignment-transitions.js';
import { validateReassignmentTarget } from './assignment-validation.js';

export interface ControllerPartition {
  readonly topicId: string;
  readonly partition: number;
  readonly state: PartitionState;
  /** The store's compare-and-set token for `state`. */
  readonly version: number;
}

export interface ControllerView extends BrokerFacts {
  partitions(): Iterable<ControllerPartition>;
  partition(topicId: string, partition: number): ControllerPartition | undefined;
  /** unclean.leader.election.enable of the topic (its override, else the broker default). */
  uncleanLeaderElection(topicId: string): boolean;
}

export interface PartitionRef {
  readonly topicId: string;
  readonly partition: number;
}

export type ControllerEvent =
  /**
   * Everything at once, as a controller does when it takes over (brokers may have died
   * meanwhile); or only `partitions`, whose state someone else changed.
   */
  | { readonly kind: 'reconcile'; readonly partitions?: readonly PartitionRef[] }
  /** The broker's registration is gone (the view no longer lists it live). */
  | { readonly kind: 'broker-gone'; readonly nodeId: number }
  /**
   * The broker registered; `bounced` when it did so under a new broker epoch while the controller
   * still had it live (a restart faster than the session timeout): it is treated as gone first.
   */
  | { readonly kind: 'broker-registered'; readonly nodeId: number; readonly bounced: boolean }
  /** The broker asked to shut down cleanly (the view lists it in shuttingDown). */
  | { readonly kind: 'controlled-shutdown'; readonly nodeId: number }
  | { readonly kind: 'elect-leaders'; readonly type: 'preferred' | 'unclean'; readonly partitions: readonly PartitionRef[] }
  /**
   * AlterPartitionReassignments: each partition to its `target` replicas, or (null) back to the
   * replicas it had before the reassignment under way. `nameOf` names a partition for messages.
   */
  | { readonly kind: 'alter-reassignments'; readonly partitions: readonly ReassignmentRequest[]; readonly nameOf: (ref: PartitionRef) => string }
  /** The periodic check of auto.leader.rebalance.enable with leader.imbalance.per.broker.percentage. */
  | { readonly kind: 'rebalance-check'; readonly imbalancePercentage: number };

export interface PartitionWrite {
  readonly topicId: string;
  readonly partition: number;
  readonly expectedVersion: number;
  readonly next: PartitionState;
}

export interface ReassignmentRequest extends PartitionRef {
  readonly target: readonly number[] | null;
}

/** An ElectLeaders (or AlterPartitionReassignments) answer for one partition; errorCode 0 means the write was decided. */
export interface ElectionResult extends PartitionRef {
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

export interface Decision {
  readonly writes: PartitionWrite[];
  /** Only for elect-leaders and alter-reassignments: one per requested partition, in request order. */
  readonly elections: ElectionResult[];
}

const REFUSALS: Record<ElectionRefusal, number> = {
  ELECTION_NOT_NEEDED: ErrorCode.ELECTION_NOT_NEEDED,
  PREFERRED_LEADER_NOT_AVAILABLE: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE,
  ELIGIBLE_LEADERS_NOT_AVAILABLE: ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE,
};

function write(p: ControllerPartition, next: PartitionState | null, out: PartitionWrite[]): void {
  if (next) out.push({ topicId: p.topicId, partition: p.partition, expectedVersion: p.version, next });
}

function reconcileWhere(view: ControllerView, include: (p: ControllerPartition) => boolean, bounced: ReadonlySet<number>): PartitionWrite[] {
  const out: PartitionWrite[] = [];
  for (const p of view.partitions()) {
    if (include(p)) write(p, reconcile(p.state, view, view.uncleanLeaderElection(p.topicId), bounced), out);
  }
  return out;
}

function elect(view: ControllerView, type: 'preferred' | 'unclean', refs: readonly PartitionRef[]): Decision {
  const writes: PartitionWrite[] = [];
  const elections: ElectionResult[] = [];
  const decided = new Set<string>();
  for (const ref of refs) {
    const p = view.partition(ref.topicId, ref.partition);
    if (!p) {
      elections.push({ ...ref, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'This server does not host this topic-partition.' });
      continue;
    }
    const key = `${ref.topicId}:${ref.partition}`;
    const outcome = type === 'preferred' ? electPreferred(p.state, view) : electUnclean(p.state, view);
    if ('next' in outcome) {
      // A partition named twice is written once; both answers say it was elected.
      if (!decided.has(key)) write(p, outcome.next, writes);
      decided.add(key);
      elections.push({ ...ref, errorCode: 0, errorMessage: null });
    } else {
      const strategy = type === 'preferred' ? 'PreferredReplicaPartitionLeaderElectionStrategy' : 'OfflinePartitionLeaderElectionStrategy';
      const message =
        outcome.refused === 'ELECTION_NOT_NEEDED' ? 'Leader election not needed for topic partition.' : `Failed to elect leader for partition ${ref.partition} under strategy ${strategy}`;
      elections.push({ ...ref, errorCode: REFUSALS[outcome.refused], errorMessage: message });
    }
  }
  return { writes, elections };
}

/**
 * Starts or cancels reassignments (reassignment-transitions.ts); a partition named twice takes
 * the first request's change, as one write per partition per event.
 */
function reassign(view: ControllerView, requests: readonly ReassignmentRequest[], nameOf: (ref: PartitionRef) => string): Decision {
  const writes: PartitionWrite[] = [];
  const elections: ElectionResult[] = [];
  const decided = new Set<string>();
  for (const req of requests) {
    const ref = { topicId: req.topicId, partition: req.partition };
    const p = view.partition(req.topicId, req.partition);
    if (!p) {
      elections.push({ ...ref, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'This server does not host this topic-partition.' });
      continue;
    }
    const problem = req.target === null ? null : validateReassignmentTarget(req.target, view.live);
    if (problem) {
      elections.push({ ...ref, errorCode: problem.code, errorMessage: problem.message });
      continue;
    }
    const outcome = req.target === null ? cancelReassignment(p.state, view, view.uncleanLeaderElection(p.topicId), nameOf(ref)) : startReassignment(p.state, req.target, view);
    if ('refused' in outcome) {
      elections.push({ ...ref, errorCode: outcome.refused, errorMessage: outcome.message });
      continue;
    }
    const key = `${req.topicId}:${req.partition}`;
    if (!decided.has(key)) write(p, outcome.next, writes);
    decided.add(key);
    elections.push({ ...ref, errorCode: 0, errorMessage: null });
  }
  return { writes, elections };
}

/**
 * Kafka's checkAndTriggerAutoLeaderRebalance: for each broker, the share of the partitions it is
 * preferred leader of (replicas[0]) that it does not lead; above the percentage, those of them
 * whose preferred leader may lead now go back to it.
 */
function rebalance(view: ControllerView, percentage: number): PartitionWrite[] {
  const byPreferred = new Map<number, ControllerPartition[]>();
  for (const p of view.partitions()) {
    const preferred = p.state.replicas[0];
    if (preferred === undefined) continue;
    byPreferred.set(preferred, [...(byPreferred.get(preferred) ?? []), p]);
  }
  const out: PartitionWrite[] = [];
  for (const [broker, partitions] of byPreferred) {
    if (!view.live.has(broker) || view.shuttingDown.has(broker)) continue;
    const imbalanced = partitions.filter((p) => p.state.leader !== broker);
    if (imbalanced.length / partitions.length <= percentage / 100) continue;
    for (const p of imbalanced) {
      const outcome = electPreferred(p.state, view);
      if ('next' in outcome) write(p, outcome.next, out);
    }
  }
  return out;
}

export function decide(view: ControllerView, event: ControllerEvent): Decision {
  const none: ElectionResult[] = [];
  switch (event.kind) {
    case 'reconcile': {
      const only = event.partitions ? new Set(event.partitions.map((p) => `${p.topicId}:${p.partition}`)) : null;
      return { writes: reconcileWhere(view, (p) => only === null || only.has(`${p.topicId}:${p.partition}`), new Set()), elections: none };
    }
    case 'broker-gone':
      return { writes: reconcileWhere(view, (p) => p.state.replicas.includes(event.nodeId), new Set()), elections: none };
    case 'broker-registered': {
      const bounced = new Set(event.bounced ? [event.nodeId] : []);
      // A returning broker can only help partitions it is a replica of (leaderless ones, or, when
      // it bounced, the ones it was in the ISR of).
      return { writes: reconcileWhere(view, (p) => p.state.replicas.includes(event.nodeId), bounced), elections: none };
    }
    case 'controlled-shutdown': {
      const writes: PartitionWrite[] = [];
      for (const p of view.partitions()) write(p, moveOffShuttingDown(p.state, event.nodeId, view), writes);
      return { writes, elections: none };
    }
    case 'elect-leaders':
      return elect(view, event.type, event.partitions);
    case 'alter-reassignments':
      return reassign(view, event.partitions, event.nameOf);
    case 'rebalance-check':
      return { writes: rebalance(view, event.imbalancePercentage), elections: none };
  }
}

/** Partitions (with more than one replica) that `nodeId` still leads: a controlled shutdown is done when there are none. */
export function ledByShuttingDown(view: ControllerView, nodeId: number): ControllerPartition[] {
  return [...view.partitions()].filter((p) => p.state.leader === nodeId && p.state.replicas.length > 1);
}
