/**
 * Keeping a partition's producer state across restarts, as Kafka does: a snapshot file at each
 * segment roll and at a clean shutdown, and at start the latest snapshot at or below the log end
 * plus the producer fields of every batch header after it (records are never read).
 */
import type { PartitionLog } from '../storage/partition-log.js';
import { decodeSnapshot, encodeSnapshot, snapshotFileName, snapshotOffset } from './producer-snapshot.js';
import type { ProducerStates } from './producer-state.js';

/** Snapshots kept per partition: the newest, and one before it in case the newest is torn. */
const SNAPSHOTS_KEPT = 2;

async function snapshotsByOffset(log: PartitionLog): Promise<{ name: string; offset: number }[]> {
  const out: { name: string; offset: number }[] = [];
  for (const name of await log.listSidecars()) {
    const offset = snapshotOffset(name);
    if (offset !== null) out.push({ name, offset });
  }
  return out.sort((a, b) => b.offset - a.offset);
}

/**
 * Rebuilds `states` for `log` as it was opened (`atOpen`) or as a truncation left it; returns the
 * batch headers replayed.
 */
export async function restoreProducerState(log: PartitionLog, states: ProducerStates, now: number, atOpen = true): Promise<number> {
  const end = log.logEndOffset;
  const snapshots = await snapshotsByOffset(log);
  states.clear();
  // A clean shutdown wrote a snapshot at the log end for every partition that had producers, so a
  // partition without one had none: no scan, and opening many partitions stays cheap. A truncation
  // since then removed that snapshot, so the shortcut holds only at open.
  if (atOpen && log.openedClean && snapshots[0]?.offset !== end) return 0;
  let from = log.logStartOffset;
  for (const s of snapshots) {
    // A snapshot past the end describes data a crash took back.
    if (s.offset > end) {
      await log.deleteSidecar(s.name);
      continue;
    }
    const entries = decodeSnapshot((await log.readSidecar(s.name)) ?? Buffer.alloc(0));
    if (!entries) continue;
    states.load(entries, now);
    from = Math.max(s.offset, log.logStartOffset);
    break;
  }
  let replayed = 0;
  for await (const h of log.batchHeaders(from)) {
    if (h.lastOffset < from || h.producerId < 0n) continue;
    states.replay({ producerId: h.producerId, epoch: h.producerEpoch, baseSequence: h.baseSequence, baseOffset: h.baseOffset, lastOffset: h.lastOffset, maxTimestamp: h.maxTimestamp });
    replayed++;
  }
  return replayed;
}

/** Writes the snapshot of the log ending at `endOffset` and drops older ones beyond the few kept. */
export async function saveProducerSnapshot(log: PartitionLog, states: ProducerStates, endOffset: number): Promise<void> {
  await log.writeSidecar(snapshotFileName(endOffset), encodeSnapshot(await states.entriesBelow(endOffset)));
  for (const old of (await snapshotsByOffset(log)).slice(SNAPSHOTS_KEPT)) await log.deleteSidecar(old.name);
}
