/** Looks at a run of whole batches (a log read) by their headers only. */
import { RecordBatchView } from '../protocol/records/record-batch.js';

/** Some batch in `batches` holds a record (compaction keeps some batches with none). */
export function holdsRecords(batches: Buffer): boolean {
  for (let at = 0; at < batches.length; at += new RecordBatchView(batches, at).sizeInBytes) if (new RecordBatchView(batches, at).recordCount > 0) return true;
  return false;
}

/** The last offset of the last of `batches` (at least one). */
export function lastOffsetIn(batches: Buffer): number {
  let at = 0;
  for (let next = 0; next < batches.length; next += new RecordBatchView(batches, next).sizeInBytes) at = next;
  return Number(new RecordBatchView(batches, at).lastOffset);
}
