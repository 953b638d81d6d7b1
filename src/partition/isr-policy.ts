/**
 * When a leader changes its in-sync replica set, as Kafka's leader does (KIP-497 semantics):
 *
 * - shrink: a follower in the ISR that has not been caught up for replica.lag.time.max.ms leaves
 *   it (the leader itself never does);
 * - expand: a follower outside the ISR joins once it holds everything up to the high watermark
 *   and has reached the current leader epoch (its log end is at or past the epoch's first offset),
 *   so it never joins holding records the new leader truncated away.
 *
 * The leader's high watermark is the smallest log end offset over the ISR.
 */
import type { FollowerState } from './follower-progress.js';

export function laggingReplicas(isr: readonly number[], leaderId: number, follower: (id: number) => FollowerState, nowMs: number, lagMaxMs: number): number[] {
  return isr.filter((id) => id !== leaderId && nowMs - follower(id).lastCaughtUpMs > lagMaxMs);
}

export function mayJoinIsr(state: FollowerState, highWatermark: number, leaderEpochStartOffset: number): boolean {
  return state.logEndOffset >= 0 && state.logEndOffset >= highWatermark && state.logEndOffset >= leaderEpochStartOffset;
}

/** The smallest log end offset over the ISR (the leader's own is `leaderEnd`); null while a member's is unknown. */
export function highWatermarkOf(isr: readonly number[], leaderId: number, leaderEnd: number, follower: (id: number) => FollowerState): number | null {
  let hwm = leaderEnd;
  for (const id of isr) {
    if (id === leaderId) continue;
    const leo = follower(id).logEndOffset;
    if (leo < 0) return null;
    hwm = Math.min(hwm, leo);
  }
  return hwm;
}
