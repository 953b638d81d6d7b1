/**
 * Checks a producer's record batches before they reach the log, with the Kafka error each failed
 * check maps to. Only batch headers and one CRC-32C per batch are looked at: records stay opaque.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { BATCH_HEADER_SIZE, BATCH_LOG_OVERHEAD, CURRENT_MAGIC, RecordBatchView } from '../protocol/records/record-batch.js';

export interface BatchProblem {
  errorCode: number;
  message: string;
}

/** Returns the first problem of `records` (one or more concatenated batches), or null when they may be appended. */
export function checkProducedBatches(records: Buffer | null, maxMessageBytes: number): BatchProblem | null {
  if (records === null || records.length === 0) return { errorCode: ErrorCode.INVALID_RECORD, message: 'The produce request carries no record batch.' };
  let at = 0;
  let index = 0;
  while (at < records.length) {
    if (records.length - at < BATCH_HEADER_SIZE) return { errorCode: ErrorCode.CORRUPT_MESSAGE, message: `Batch ${index} is truncated (${records.length - at} bytes).` };
    const batch = new RecordBatchView(records, at);
    const size = batch.batchLength + BATCH_LOG_OVERHEAD;
    if (size < BATCH_HEADER_SIZE || size > records.length - at) return { errorCode: ErrorCode.CORRUPT_MESSAGE, message: `Batch ${index} declares ${size} bytes; ${records.length - at} are there.` };
    if (batch.magic !== CURRENT_MAGIC) return { errorCode: ErrorCode.INVALID_RECORD, message: `Batch ${index} has magic ${batch.magic}; produce v3+ carries magic 2 only.` };
    if (size > maxMessageBytes) return { errorCode: ErrorCode.MESSAGE_TOO_LARGE, message: `Batch ${index} is ${size} bytes, larger than max.message.bytes=${maxMessageBytes}.` };
    if (!batch.isCrcValid()) return { errorCode: ErrorCode.CORRUPT_MESSAGE, message: `Batch ${index} fails its CRC-32C check.` };
    if (batch.recordCount <= 0 || batch.lastOffsetDelta !== batch.recordCount - 1) {
      return { errorCode: ErrorCode.INVALID_RECORD, message: `Batch ${index} has ${batch.recordCount} records but last offset delta ${batch.lastOffsetDelta}.` };
    }
    if (batch.isControl) return { errorCode: ErrorCode.INVALID_RECORD, message: 'Clients may not produce control batches.' };
    if (batch.isTransactional) return { errorCode: ErrorCode.INVALID_RECORD, message: 'Transactional batches are not supported by this broker yet.' };
    at += size;
    index++;
  }
  return null;
}
