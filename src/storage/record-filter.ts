/**
 * What compaction keeps of one batch (Kafka's LogCleaner record filter), decided in offset order:
 *
 * - a keyed record stays when it is the latest of its key in the offset map, or lies past what the
 *   map covers; a record without a key goes (Kafka counts it invalid in a compacted log);
 * - a tombstone (null value) stays until its batch's delete horizon has passed (cleaned-batch.ts);
 *   the first cleaning that sees it sets the horizon;
 * - the records of an aborted transaction go (Kafka's CleanedTransactionMetadata: the aborted
 *   transactions come from the aborted-transaction index, txn-index.ts);
 * - a control batch is kept whole. A marker may go once no batch of its transaction was seen
 *   before it in this pass and its delete horizon has passed (the first such pass sets it), so a
 *   marker outlives its transaction's data by at least delete.retention.ms. An ABORT marker kept
 *   because this pass still saw (and removed) data of its transaction keeps its index entry;
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
import { CONTROL_ABORT } from '../protocol/records/batch-records.js';
import { emptyBatch, rebuiltBatch } from './cleaned-batch.js';
import type { OffsetMap } from './offset-map.js';
import type { AbortedTxn } from './txn-index.js';

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

/** Transactions seen so far in a pass, to drop aborted data and know when a marker has nothing left to mark. */
export class TransactionTracker {
  /** Producers with a transactional batch of a committed (or not yet known aborted) transaction seen since their last marker. */
  private readonly open = new Set<bigint>();
  /** Aborted transactions not reached yet, by first offset. */
  private pending: AbortedTxn[] = [];
  /** Aborted transactions under way at the current offset, with whether a batch of theirs was seen. */
  private readonly aborting = new Map<bigint, { txn: AbortedTxn; sawData: boolean }>();
  /** Index entries of ABORT markers kept in the current cleaned segment. */
  retained: AbortedTxn[] = [];

  /** Aborted transactions of the range about to be read (duplicates are harmless). */
  addAborted(txns: readonly AbortedTxn[]): void {
    this.pending = [...this.pending, ...txns].sort((x, y) => x.firstOffset - y.firstOffset);
  }

  private reach(offset: number): void {
    while (this.pending.length > 0 && this.pending[0].firstOffset <= offset) {
      const txn = this.pending.shift() as AbortedTxn;
      if (!this.aborting.has(txn.producerId)) this.aborting.set(txn.producerId, { txn, sawData: false });
    }
  }

  /** A data batch was read; true when it belongs to an aborted transaction (its records go). */
  onData(batch: RecordBatchView): boolean {
    this.reach(Number(batch.lastOffset));
    if (!batch.isTransactional) return false;
    const aborting = this.aborting.get(batch.producerId);
    if (aborting) {
      aborting.sawData = true;
      return true;
    }
    this.open.add(batch.producerId);
    return false;
  }

  /** A control batch was read; true when it may be removed (once its horizon passed). */
  onControl(batch: RecordBatchView, records: DecodedRecord[]): boolean {
    this.reach(Number(batch.lastOffset));
    // An empty control batch is one an earlier pass emptied: nothing in it to keep.
    if (records.length === 0) return true;
    const key = records[0].key;
    const type = key !== null && key.length >= 4 ? key.readInt16BE(2) : -1;
    if (type === CONTROL_ABORT) {
      const aborting = this.aborting.get(batch.producerId);
      this.aborting.delete(batch.producerId);
      this.open.delete(batch.producerId);
      if (aborting?.sawData) {
        this.retained.push(aborting.txn);
        return false;
      }
      return true;
    }
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
    kept = ctx.transactions.onData(batch) ? [] : records.filter((r) => keepRecord(r, horizon, ctx));
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
