/**
 * Carries out the controller's decisions: each write a compare-and-set, sent in groups
 * (`updatePartitionStates`, one etcd transaction per group) with at most `concurrency` groups in
 * flight. When a broker dies thousands of partitions change leader: one transaction per partition
 * moved about 1,000 a second against etcd on this machine, groups move them many times faster
 * (bench/controller-moves.ts). A write that loses its race (the partition's leader changed the ISR meanwhile) is
 * decided again on the state that won, up to a few rounds; what still fails is reported.
 */
import type { ControllerFence, MetadataStore, PartitionUpdateResult, VersionedPartitionState } from '../metadata/metadata-store.js';
import type { PartitionWrite } from './controller-decisions.js';

export const DEFAULT_WRITE_CONCURRENCY = 8;
/** Updates per store call: etcd's default --max-txn-ops allows 128 compares in a transaction, one is the fence. */
export const WRITE_GROUP_SIZE = 127;
const MAX_ROUNDS = 5;

export interface WriteOutcome {
  readonly written: PartitionWrite[];
  /** Writes abandoned: the store failed, or the races kept being lost. */
  readonly failed: { readonly write: PartitionWrite; readonly error: Error | null }[];
}

/** Runs `task` over `items` with at most `limit` promises pending. */
export async function forEachBounded<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export interface WriterHooks {
  /** A write that succeeded, with the partition's new version (so the view is current before the watch echoes it). */
  written(write: PartitionWrite, version: number): void;
  /** A race lost: the state that won, or null if the partition is gone. */
  lost(topicId: string, partition: number, current: VersionedPartitionState | null): void;
  /** Decides again for these partitions after lost races; answers the new writes. */
  redecide(partitions: readonly { topicId: string; partition: number }[]): PartitionWrite[];
  /** Stop early: the controller role ended. */
  stopped(): boolean;
}

export async function writePartitionStates(
  store: MetadataStore,
  writes: readonly PartitionWrite[],
  hooks: WriterHooks,
  concurrency = DEFAULT_WRITE_CONCURRENCY,
  fence?: ControllerFence,
): Promise<WriteOutcome> {
  const written: PartitionWrite[] = [];
  const failed: WriteOutcome['failed'] = [];
  let pending: readonly PartitionWrite[] = writes;
  for (let round = 0; pending.length > 0; round++) {
    const lost: { topicId: string; partition: number; write: PartitionWrite }[] = [];
    const groups: PartitionWrite[][] = [];
    for (let i = 0; i < pending.length; i += WRITE_GROUP_SIZE) groups.push(pending.slice(i, i + WRITE_GROUP_SIZE));
    await forEachBounded(groups, concurrency, async (group) => {
      if (hooks.stopped()) return;
      let answers: PartitionUpdateResult[];
      try {
        answers = await store.updatePartitionStates(group, fence);
      } catch (err) {
        for (const write of group) failed.push({ write, error: err as Error });
        return;
      }
      group.forEach((w, i) => {
        const res = answers[i];
        if (res.ok) {
          written.push(w);
          hooks.written(w, res.version);
        } else {
          hooks.lost(w.topicId, w.partition, res.current);
          if (res.current) lost.push({ topicId: w.topicId, partition: w.partition, write: w });
        }
      });
    });
    if (lost.length === 0 || hooks.stopped()) break;
    if (round + 1 >= MAX_ROUNDS) {
      for (const l of lost) failed.push({ write: l.write, error: null });
      break;
    }
    pending = hooks.redecide(lost);
  }
  return { written, failed };
}
