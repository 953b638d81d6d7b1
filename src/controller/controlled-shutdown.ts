/**
 * Controlled shutdown, run by the broker that is shutting down, straight against the store.
 *
 * Kafka's broker asks the controller (ControlledShutdown request) and the controller moves
 * leadership. Here the shutting-down broker applies the controller's own rule
 * (`decide(..., controlled-shutdown)`) to a fresh read of the store and writes the results by
 * compare-and-set. That is sound because every write is a CAS on the version it was decided from:
 * if the controller (or a partition leader) changed a partition meanwhile, the write fails and the
 * partition is read and decided again, so no change is lost and no decision rests on a stale
 * state. The active controller needs no request channel, keeps working unchanged, and the broker's
 * shutdown works even while no controller is elected. After it, the broker is in no ISR it could
 * leave, so no controller elects it cleanly; the caller must stop its replica fetchers (Kafka's
 * StopReplica) so that leaders do not take it back into their ISRs, then close its session.
 */
import type { MetadataStore, VersionedPartitionState } from '../metadata/metadata-store.js';
import { decide, ledByShuttingDown, type ControllerPartition, type ControllerView, type PartitionRef } from './controller-decisions.js';
import { forEachBounded, writePartitionStates, DEFAULT_WRITE_CONCURRENCY } from './partition-writer.js';

export interface ControlledShutdownResult {
  /** True when the broker leads no partition with more than one replica (Kafka's empty partitionsRemaining). */
  readonly completed: boolean;
  /** Partitions (RF > 1) it still leads: no other in-sync replica could take them, or the store failed. */
  readonly remaining: readonly PartitionRef[];
  /** The store could not be reached (the broker shuts down anyway, as Kafka's does after its retries). */
  readonly error: Error | null;
}

const MAX_ROUNDS = 5;

async function readView(store: MetadataStore, nodeId: number, concurrency: number): Promise<ControllerView> {
  const [brokers, topics] = await Promise.all([store.brokers(), store.topics()]);
  const partitions: ControllerPartition[] = [];
  await forEachBounded(topics, concurrency, async (t) => {
    const states: VersionedPartitionState[] = await store.partitionStates(t.topicId);
    for (const s of states) partitions.push({ topicId: t.topicId, partition: s.partition, state: s.state, version: s.version });
  });
  const byKey = new Map(partitions.map((p) => [`${p.topicId}:${p.partition}`, p]));
  return {
    live: new Set(brokers.map((b) => b.nodeId)),
    shuttingDown: new Set([nodeId]),
    partitions: () => partitions,
    partition: (topicId, p) => byKey.get(`${topicId}:${p}`),
    uncleanLeaderElection: () => false,
  };
}

export async function runControlledShutdown(store: MetadataStore, nodeId: number, concurrency = DEFAULT_WRITE_CONCURRENCY): Promise<ControlledShutdownResult> {
  let remaining: PartitionRef[] = [];
  try {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const view = await readView(store, nodeId, concurrency);
      const { writes } = decide(view, { kind: 'controlled-shutdown', nodeId });
      remaining = ledByShuttingDown(view, nodeId).map((p) => ({ topicId: p.topicId, partition: p.partition }));
      if (writes.length === 0) break;
      // Lost races are decided again on the next round's fresh read.
      const outcome = await writePartitionStates(store, writes, { written: () => {}, lost: () => {}, redecide: () => [], stopped: () => false }, concurrency);
      const failure = outcome.failed.find((f) => f.error !== null);
      if (failure?.error) throw failure.error;
    }
    const view = await readView(store, nodeId, concurrency);
    remaining = ledByShuttingDown(view, nodeId).map((p) => ({ topicId: p.topicId, partition: p.partition }));
    return { completed: remaining.length === 0, remaining, error: null };
  } catch (err) {
    return { completed: false, remaining, error: err as Error };
  }
}
