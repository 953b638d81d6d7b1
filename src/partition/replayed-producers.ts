/**
 * A follower's producer state follows the batches it copies, as the leader's followed their
 * appends: idempotent sequences, transactions opened by transactional batches, and markers that
 * end them (a marker whose record cannot be read ends nothing; the leader wrote it, so the log
 * keeps it).
 */
import { batchesIn } from '../protocol/records/batch-records.js';
import { ControlType, readMarker } from '../protocol/records/control-record.js';
import type { CompletedTxn, ProducerStates } from './producer-state.js';

/** Replays `batches` into `producers`; returns the transactions their ABORT markers ended, for the aborted-transaction index. */
export async function replayCopiedBatches(producers: ProducerStates, batches: Buffer): Promise<CompletedTxn[]> {
  const aborted: CompletedTxn[] = [];
  for (const view of batchesIn(batches)) {
    if (view.producerId < 0n) continue;
    if (view.isControl) {
      const marker = await readMarker(view).catch(() => null);
      const completed = marker ? producers.replayMarker(view.producerId, view.producerEpoch, marker.coordinatorEpoch, Number(view.baseOffset), marker.type === ControlType.ABORT, Number(view.maxTimestamp)) : null;
      if (completed?.aborted) aborted.push(completed);
      continue;
    }
    producers.replay({ producerId: view.producerId, epoch: view.producerEpoch, baseSequence: view.baseSequence, baseOffset: Number(view.baseOffset), lastOffset: Number(view.baseOffset) + view.lastOffsetDelta, maxTimestamp: Number(view.maxTimestamp), isTransactional: view.isTransactional });
  }
  return aborted;
}
