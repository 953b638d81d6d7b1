/** The first record of some batches that matches, decoded only as far as needed (ListOffsets by timestamp). */
import { batchesIn, readBatchRecords } from '../protocol/records/batch-records.js';

export async function firstRecordWhere(bytes: Buffer, match: (offset: bigint, timestamp: bigint) => boolean): Promise<{ offset: number; timestamp: number } | null> {
  for (const view of batchesIn(bytes)) {
    for (const r of await readBatchRecords(view)) if (match(r.offset, r.timestamp)) return { offset: Number(r.offset), timestamp: Number(r.timestamp) };
  }
  return null;
}
