/**
 * What compaction keeps of one batch (Kafka's LogCleaner record filter), decided in offset order:
 *
 * - a keyed record stays when it is the latest of its key in the offset map, or lies past what the
 *   map covers; a record without a key goes (Kafka counts it invalid in a compacted log);
 * - a tombstone (null value) stays until its batch's delete horizon has passed (cleaned-batch.ts);
 *   the first cleaning that sees it sets the horizon;
 * - a control batch is kept whole. A COMMIT marker may go once no batch of its transaction was
 *   seen before it in this pass and its delete horizon has passed (the first such pass sets it).
 *   ABORT markers are kept: without an aborted-transaction index the cleaner cannot remove an
 *   aborted transaction's records, and those must stay marked as aborted;
 * - a batch that loses every record stays as an empty batch (header only) when it may be the last
 *   batch of its producer (so the producer's epoch and sequence survive, as Kafka keeps the last
 *   batch of each active producer) or when it is the last batch of the segment group being
 *   cleaned (so the cleaned segment ends where the old ones did; see compactor.ts).
 *   "May be the last": the cleaner does not see producer state, so it keeps the last batch of each
 *   producer seen in the dirty range, and in the clean part every batch of a producer the dirty
 *   range did not show, unless its max timestamp is older than producer.id.expiration.ms (Kafka
 *   would have expired that producer).
 */
import { readBatchRecords, type DecodedRecord } from '../protocol/records/batch-records.js';
import type { RecordBatchView } from '../protocol/records/record-batch.js';
import { CONTROL_COMMIT } from '../protocol/records/batch-records.js';
import { emptyBatch, rebuiltBatch } from './cleaned-batch.js';
import type { OffsetMap } from './offset-map.js';

export interface FilterContext {
  readonly map: OffsetMap;
  readonly now: number;
  readonly deleteRetentionMs: number;
  readonly producerIdExpirationMs: number;
  /** The last offset of the last batch of each producer seen in the dirty range. */
  readonly lastBatchOfProducer: ReadonlyMap<bigint, number>;
  readonly transactions: TransactionTracker;
}

export type BatchOutcome =
  | { kind: 'unchanged'; removed: number }
  | { kind: 'dropped'; removed: number }
  | { kind: 'rewritten'; bytes: Buffer; removed: number };

/** Transactions seen so far in a pass, to know when a COMMIT marker has nothing left to mark. */
export class TransactionTracker {
  /** Producers with a transactional batch seen since their last marker. */
  private readonly open = new Set<bigint>();

  /** A data batch was read. */
  onData(batch: RecordBatchView): void {
    if (batch.isTransactional) this.open.add(batch.producerId);
  }

  /** A control batch was read; true when it may be removed (once its horizon passed). */
  onControl(batch: RecordBatchView, records: DecodedRecord[]): boolean {
    // An empty control batch is one an earlier pass emptied: nothing in it to keep.
    if (records.length === 0) return true;
    const key = records[0].key;
    const type = key !== null && key.length >= 4 ? key.readInt16BE(2) : -1;
    const hadData = this.open.delete(batch.producerId);
    return type === CONTROL_COMMIT && !hadData;
  }
}

function mayBeLastOfProducer(batch: RecordBatchView, ctx: FilterContext): boolean {
  if (batch.producerId < 0n) return false;
  if (ctx.now - Number(batch.maxTimestamp) >= ctx.producerIdExpirationMs) return false;
  const last = ctx.lastBatchOfProducer.get(batch.producerId);
  return last === undefined || last === Number(batch.lastOffset);
}

function keepRecord(r: DecodedRecord, horizon: number | null, ctx: FilterContext): boolean {
  const offset = Number(r.offset);
  if (offset > ctx.map.latestOffset) return true;
  if (r.key === null) return false;
  if (offset < ctx.map.get(r.key)) return false;
  return r.value !== null || horizon === null || ctx.now < horizon;
}

/** Decides one batch; `endMarker`: keep it, empty if need be (see above). */
export async function filterBatch(batch: RecordBatchView, ctx: FilterContext, endMarker: boolean): Promise<BatchOutcome> {
  const records = await readBatchRecords(batch);
  const horizon = batch.hasDeleteHorizon ? Number(batch.baseTimestamp) : null;
  let kept: DecodedRecord[];
  let markerWithNothingLeft = false;
  if (batch.isControl) {
    markerWithNothingLeft = ctx.transactions.onControl(batch, records);
    kept = markerWithNothingLeft && horizon !== null && horizon <= ctx.now ? [] : records;
  } else {
    ctx.transactions.onData(batch);
    kept = records.filter((r) => keepRecord(r, horizon, ctx));
  }
  const removed = records.length - kept.length;
  if (kept.length > 0) {
    const needsHorizon = horizon === null && (markerWithNothingLeft || (!batch.isControl && kept.some((r) => r.value === null)));
    if (removed === 0 && !needsHorizon) return { kind: 'unchanged', removed };
    return { kind: 'rewritten', bytes: await rebuiltBatch(batch, kept, needsHorizon ? Math.min(ctx.now + ctx.deleteRetentionMs, Number.MAX_SAFE_INTEGER) : horizon), removed };
  }
  if (endMarker || mayBeLastOfProducer(batch, ctx)) {
    return records.length === 0 ? { kind: 'unchanged', removed } : { kind: 'rewritten', bytes: emptyBatch(batch), removed };
  }
  return { kind: 'dropped', removed };
}
