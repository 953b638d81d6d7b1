/**
 * Partition reassignment (KIP-455) as the controller decides it, following KRaft's
 * PartitionReassignmentReplicas and PartitionReassignmentRevert. A reassignment to `target`:
 *
 *   replicas = target, then the current replicas not in target     (the union, target first)
 *   adding   = target replicas not among the current ones
 *   removing = current replicas not in target
 *
 * The new replicas start following the leader (the metadata applier opens their logs); the leader
 * adds them to the ISR as they catch up; once every target replica is in the ISR the reassignment
 * completes (partition-transitions.ts, completeReassignment): replicas = target, the removed ones
 * leave the ISR, leadership moves if the leader was removed, and the removed brokers delete their
 * copies. A reassignment whose targets are already in sync (a pure removal, a reorder) completes
 * in the same write. A new reassignment of a partition under way starts from its current
 * replicas (so earlier additions not in the new target become removals), as KRaft does.
 *
 * Cancelling reverts to the replicas before the reassignment (the current ones minus `adding`);
 * if that leaves no in-sync replica it would need an unclean election, refused unless the
 * topic allows one.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { reassigning, type PartitionState } from '../metadata/metadata-store.js';
import { combine, completeReassignment, eligible, finish, NO_LEADER, type BrokerFacts } from './partition-transitions.js';

export type ReassignmentOutcome = { readonly next: PartitionState | null } | { readonly refused: number; readonly message: string };

export function startReassignment(state: PartitionState, target: readonly number[], facts: BrokerFacts): ReassignmentOutcome {
  const removing = state.replicas.filter((r) => !target.includes(r));
  const adding = target.filter((r) => !state.replicas.includes(r));
  const started = finish(state, state.leader, state.isr, false, { replicas: [...target, ...removing], adding, removing });
  return { next: combine(state, started, completeReassignment(started ?? state, facts)) };
}

export function cancelReassignment(state: PartitionState, facts: BrokerFacts, unclean: boolean, name: string): ReassignmentOutcome {
  if (!reassigning(state)) return { refused: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, message: 'No partition reassignment is in progress.' };
  const adding = state.addingReplicas ?? [];
  const replicas = state.replicas.filter((r) => !adding.includes(r));
  let isr = state.isr.filter((r) => !adding.includes(r));
  let leader = state.leader;
  if (isr.length === 0) {
    const any = replicas.find((r) => eligible(r, facts));
    if (!unclean || any === undefined) {
      return { refused: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: `Unable to revert partition assignment for ${name} because it would require an unclean leader election.` };
    }
    isr = [any];
    leader = any;
  } else if (!replicas.includes(leader) || !isr.includes(leader)) {
    leader = replicas.find((r) => isr.includes(r) && eligible(r, facts)) ?? NO_LEADER;
  }
  return { next: finish(state, leader, isr, false, { replicas, adding: [], removing: [] }) };
}
