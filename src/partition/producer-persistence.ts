/**
 * Keeping a partition's producer state across restarts, as Kafka does: a snapshot file at each
 * segment roll and at a clean shutdown, and at start the latest snapshot at or below the log end
 * plus the producer fields of every batch header after it (records are never read).
 */
import type { PartitionLog } from '../storage/partition-log.js';
import { decodeSnapshot, encodeSnapshot, snapshotFileName, snapshotOffset } from './producer-snapshot.js';
import type { ProducerStates } from './producer-state.js';
import { batchesIn } from '../protocol/records/batch-records.js';
import { ControlType, readMarker } from '../protocol/records/control-record.js';

const CONTROL_FLAG = 0x20;
const TRANSACTIONAL_FLAG = 0x10;

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
    states.load(entries, now, s.offset);
    from = Math.max(s.offset, log.logStartOffset);
    break;
  }
  let replayed = 0;
  for await (const h of log.batchHeaders(from)) {
    if (h.lastOffset < from || h.producerId < 0n) continue;
    replayed++;
    if ((h.attributes & CONTROL_FLAG) !== 0) {
      await replayControlBatch(log, states, h.baseOffset);
      continue;
    }
    states.replay({ producerId: h.producerId, epoch: h.producerEpoch, baseSequence: h.baseSequence, baseOffset: h.baseOffset, lastOffset: h.lastOffset, maxTimestamp: h.maxTimestamp, isTransactional: (h.attributes & TRANSACTIONAL_FLAG) !== 0 });
  }
  return replayed;
}

/**
 * A marker met while replaying: it ends its producer's transaction, and an abort is noted in the
 * aborted-transaction index unless it is there already (a crash can lose the entry of a marker
 * that reached the disk: this is the rebuild Kafka does when it recovers a segment).
 */
async function replayControlBatch(log: PartitionLog, states: ProducerStates, offset: number): Promise<void> {
  for (const view of batchesIn(await log.read(offset, 1, offset + 1, true))) {
    const marker = await readMarker(view);
    if (!marker) continue;
    const aborted = marker.type === ControlType.ABORT;
    const completed = states.replayMarker(view.producerId, view.producerEpoch, marker.coordinatorEpoch, Number(view.baseOffset), aborted, Number(view.maxTimestamp));
    if (completed?.aborted) await log.appendAbortedTxn(completed);
  }
}

/** Writes the snapshot of the log ending at `endOffset` and drops older ones beyond the few kept. */
export async function saveProducerSnapshot(log: PartitionLog, states: ProducerStates, endOffset: number): Promise<void> {
  await log.writeSidecar(snapshotFileName(endOffset), encodeSnapshot(await states.entriesBelow(endOffset)));
  for (const old of (await snapshotsByOffset(log)).slice(SNAPSHOTS_KEPT)) await log.deleteSidecar(old.name);
}
