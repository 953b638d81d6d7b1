/**
 * The record-level half of the log validator: one pass over a batch's records checking what a
 * CRC-valid batch can still get wrong (structure, offset deltas, keys on compacted topics,
 * timestamps), and computing the batch's real max timestamp on the way.
 *
 * A record that decodes but breaks a rule becomes a record error (its index and a message), and
 * the pass goes on so the producer learns about every such record, as Kafka reports them. A
 * record that does not decode ends the pass: nothing after it can be trusted.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ErrorCode } from '../protocol/error-codes.js';
import { type RecordBatchView, TimestampType } from '../protocol/records/record-batch.js';
import { RecordCursor, RecordFormatError } from '../protocol/records/record-scan.js';
import type { LogValidationConfig } from '../config/log-validation-config.js';
import type { RecordError, Rejection } from './validation-result.js';

/**
 * Record errors listed in one answer. Kafka lists all; a decompressed batch can hold millions of
 * records, so the list is cut here (the producer fails every record of the batch either way).
 */
export const MAX_LISTED_RECORD_ERRORS = 1000;

/**
 * A decompressed batch may hold millions of records: every this many, the walk lets the event
 * loop serve other connections (typical batches never reach it, so they pay nothing).
 */
const RECORDS_BETWEEN_YIELDS = 1 << 16;

const INT64_MAX = 2n ** 63n - 1n;

/** Kafka's NO_TIMESTAMP: a record without a timestamp (magic 0 up-conversions). */
const NO_TIMESTAMP = -1;

export type RecordsChecked = { readonly ok: true; readonly maxTimestamp: bigint } | Rejection;

function bound(ms: number): string {
  return Number.isFinite(ms) ? String(ms) : ms > 0 ? '+inf' : '-inf';
}

/** Checks the records of `view` (their bytes in `section`, decompressed). */
export async function checkRecords(view: RecordBatchView, section: Buffer, config: LogValidationConfig, now: number, tp: string): Promise<RecordsChecked> {
  const cursor = new RecordCursor(section, view.recordCount);
  const producerSetLogAppendTime = view.timestampType === TimestampType.LogAppendTime;
  const headerMax = Number(view.maxTimestamp);
  const baseTimestamp = Number(view.baseTimestamp);
  const createTime = config.timestampType === 'CreateTime';
  const earliest = now - config.timestampBeforeMaxMs;
  const latest = now + config.timestampAfterMaxMs;
  const errors: RecordError[] = [];
  let errorCount = 0;
  let timestampErrors = 0;
  let maxDelta = Number.NEGATIVE_INFINITY;
  const fail = (index: number, message: string) => {
    errorCount++;
    if (errors.length < MAX_LISTED_RECORD_ERRORS) errors.push({ batchIndex: index, batchIndexErrorMessage: message });
  };
  try {
    while (cursor.next()) {
      const i = cursor.index;
      if (i % RECORDS_BETWEEN_YIELDS === RECORDS_BETWEEN_YIELDS - 1) await nextTurn();
      if (cursor.offsetDelta !== i) {
        // Offsets in the log are base offset + delta: a wrong delta would give a record another's offset.
        fail(i, `Record ${i} has offset delta ${cursor.offsetDelta}; the records of a produced batch have deltas 0, 1, 2... in topic partition ${tp}.`);
        continue;
      }
      if (config.compacted && cursor.keyLength < 0) {
        fail(i, `Compacted topic cannot accept message without key in topic partition ${tp}.`);
        continue;
      }
      // In a LogAppendTime batch every record carries the header's max timestamp.
      const timestamp = producerSetLogAppendTime ? headerMax : baseTimestamp + cursor.timestampDelta;
      if (createTime && timestamp !== NO_TIMESTAMP) {
        if (timestamp < earliest || timestamp > latest) {
          timestampErrors++;
          fail(i, `Timestamp ${timestamp} of message with offset ${i} is out of range. The timestamp should be within [${bound(earliest)}, ${bound(latest)}]`);
          continue;
        }
      } else if (producerSetLogAppendTime) {
        timestampErrors++;
        fail(i, 'Invalid timestamp type in message: producer should not set timestamp type to LogAppendTime.');
        continue;
      }
      if (cursor.timestampDelta > maxDelta) maxDelta = cursor.timestampDelta;
    }
  } catch (err) {
    if (!(err instanceof RecordFormatError)) throw err;
    const index = Math.max(0, err.recordIndex);
    return { ok: false, errorCode: ErrorCode.INVALID_RECORD, message: `${err.message} in topic partition ${tp}.`, recordErrors: [{ batchIndex: index, batchIndexErrorMessage: err.message }] };
  }
  if (errorCount > 0) {
    if (timestampErrors > 0) return { ok: false, errorCode: ErrorCode.INVALID_TIMESTAMP, message: 'One or more records have been rejected due to invalid timestamp', recordErrors: errors };
    const shown = errors.slice(0, 3).map((e) => `(batchIndex=${e.batchIndex}, message='${e.batchIndexErrorMessage}')`);
    return {
      ok: false,
      errorCode: ErrorCode.INVALID_RECORD,
      message: `One or more records have been rejected due to ${errorCount} record errors in total, and only showing the first three errors at most: [${shown.join(', ')}]`,
      recordErrors: errors,
    };
  }
  const maxTimestamp = maxTimestampOf(view, producerSetLogAppendTime, maxDelta);
  if (maxTimestamp > INT64_MAX) {
    const message = `The record timestamps overflow 64 bits (base timestamp ${view.baseTimestamp} plus delta ${maxDelta})`;
    return { ok: false, errorCode: ErrorCode.INVALID_RECORD, message: `${message} in topic partition ${tp}.`, recordErrors: [] };
  }
  return { ok: true, maxTimestamp };
}

/**
 * The max timestamp Kafka computes for a batch: the largest record timestamp, never below
 * NO_TIMESTAMP. Computed in 64-bit integers from the header, so it is exact.
 */
function maxTimestampOf(view: RecordBatchView, producerSetLogAppendTime: boolean, maxDelta: number): bigint {
  const max = producerSetLogAppendTime ? view.maxTimestamp : view.baseTimestamp + BigInt(maxDelta);
  return max < BigInt(NO_TIMESTAMP) ? BigInt(NO_TIMESTAMP) : max;
}
