/**
 * The check a follower runs on the records a leader's Fetch answer carries, before
 * PartitionLog.appendAsFollower writes them unchanged (Kafka validates a follower's append by
 * batch header and CRC only: the leader's log validator already passed every record).
 *
 *   framing   whole batches; a trailing partial batch (a size-limited read) is left for the next fetch
 *   header    magic 2, a batch length that covers the header, a non-negative offset delta
 *   CRC-32C   over each batch, as on the leader
 *   offsets   growing from batch to batch (the log checks the first against its own end)
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { BATCH_HEADER_SIZE, BATCH_LOG_OVERHEAD, CURRENT_MAGIC, RecordBatchView } from '../protocol/records/record-batch.js';
import { reject, type Rejection } from './validation-result.js';

export type ReplicatedBatches = { readonly ok: true; readonly records: Buffer; readonly batches: number } | Rejection;

/** `records` cut to its whole batches when all of them are intact, else CORRUPT_MESSAGE naming the first bad one. */
export function checkReplicatedBatches(records: Buffer, topicPartition: string): ReplicatedBatches {
  let at = 0;
  let batches = 0;
  let previousLast = -1n;
  while (at + BATCH_HEADER_SIZE <= records.length) {
    const view = new RecordBatchView(records, at);
    const where = `batch at byte ${at} of the records replicated for ${topicPartition}`;
    if (view.batchLength + BATCH_LOG_OVERHEAD < BATCH_HEADER_SIZE) return reject(ErrorCode.CORRUPT_MESSAGE, `${where} is shorter than a batch header (${view.batchLength} bytes).`);
    if (at + view.sizeInBytes > records.length) break;
    if (view.magic !== CURRENT_MAGIC) return reject(ErrorCode.CORRUPT_MESSAGE, `${where} has magic ${view.magic}; only ${CURRENT_MAGIC} is stored.`);
    if (view.lastOffsetDelta < 0) return reject(ErrorCode.CORRUPT_MESSAGE, `${where} has a negative last offset delta.`);
    if (!view.isCrcValid()) return reject(ErrorCode.CORRUPT_MESSAGE, `${where} fails its CRC-32C check.`);
    if (view.baseOffset <= previousLast) return reject(ErrorCode.CORRUPT_MESSAGE, `${where} begins at ${view.baseOffset}, not after the previous batch's last offset ${previousLast}.`);
    previousLast = view.lastOffset;
    at += view.sizeInBytes;
    batches++;
  }
  return { ok: true, records: at === records.length ? records : records.subarray(0, at), batches };
}
