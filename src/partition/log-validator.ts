/**
 * The one gate between a producer's bytes and the log, after Kafka's LogValidator: the Produce
 * handler calls `validateProducedRecords` once per partition and appends only what it accepts.
 *
 * Checks, in Kafka's order, each failure with Kafka's error code:
 *   framing       one whole RecordBatch v2 per partition (Produce v0-2 message sets are up-converted first)
 *   header        magic, zstd only from Produce v7, base offset 0, max.message.bytes, CRC-32C
 *   batch fields  offset range and record count agree; no control batch; an idempotent batch has a
 *                 sequence; a transactional batch has a producer id (the partition checks its
 *                 epoch and transaction state when it appends)
 *   records       each decodes within the batch and the count matches; offset delta = index;
 *                 a key on compacted topics; CreateTime timestamps within
 *                 message.timestamp.before/after.max.ms. Per-record problems come back in
 *                 record_errors (batch_index = the record's index), as Kafka reports them.
 * and then fixes up what the log relies on: the header's max timestamp becomes the records' (some
 * clients leave it -1), and a topic whose compression.type names a codec gets its batches in it.
 *
 * The records are walked once without copying (record-scan.ts); compressed batches are
 * decompressed for that walk, bounded, as Kafka does.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { DecodeError } from '../protocol/codec-errors.js';
import { codecFor } from '../protocol/compression/index.js';
import { BATCH_HEADER_SIZE, CompressionType, CURRENT_MAGIC, RecordBatchView } from '../protocol/records/record-batch.js';
import { buildBatch } from '../protocol/records/batch-records.js';
import { readLegacyMessageSet } from '../protocol/records/legacy-message-set.js';
import type { LogValidationConfig } from '../config/log-validation-config.js';
import { checkRecords } from './record-checks.js';
import { finishBatch } from './batch-rewrite.js';
import { reject, type Rejection, type ValidationResult } from './validation-result.js';

export type { Acceptance, RecordError, Rejection, ValidationResult } from './validation-result.js';

/** How far a compressed batch may expand, as a multiple of max.message.bytes (bounds memory). */
export const MAX_DECOMPRESSION_RATIO = 64;

export interface ProducedRecords {
  readonly topicPartition: string;
  readonly records: Buffer | null;
  /** The Produce request version: below 3 the records are a magic 0/1 message set. */
  readonly apiVersion: number;
  /** The broker clock, for timestamp bounds and LogAppendTime. */
  readonly now: number;
}

export async function validateProducedRecords(input: ProducedRecords, config: LogValidationConfig): Promise<ValidationResult> {
  const { topicPartition: tp, apiVersion } = input;
  let records = input.records;
  if (records === null || records.length === 0) {
    return reject(ErrorCode.INVALID_RECORD, `Produce requests with version ${apiVersion} must have at least one record batch per partition (${tp}).`);
  }
  const maxDecompressed = config.maxMessageBytes * MAX_DECOMPRESSION_RATIO;
  if (apiVersion < 3) {
    // Produce v0-2 carries magic 0/1 message sets: up-convert them to one RecordBatch v2, which
    // then passes every check below like a batch a current client sent.
    try {
      const legacy = await readLegacyMessageSet(records, maxDecompressed);
      records = await buildBatch(legacy.records, { compression: legacy.compression });
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      return reject(ErrorCode.CORRUPT_MESSAGE, `${err.message} in topic partition ${tp}.`);
    }
  }
  const headerProblem = checkHeader(records, apiVersion, config, tp);
  if (headerProblem) return headerProblem;
  const view = new RecordBatchView(records);
  let section = view.recordsBytes();
  if (view.compression !== CompressionType.None) {
    try {
      section = await codecFor(view.compression).decompress(section, maxDecompressed);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      return reject(ErrorCode.CORRUPT_MESSAGE, `The records of the batch cannot be decompressed (${err.message}) in topic partition ${tp}.`);
    }
  }
  const checked = await checkRecords(view, section, config, input.now, tp);
  if (!checked.ok) return checked;
  return finishBatch(view, section, checked.maxTimestamp, config, input.now, tp);
}

/** Framing, header and batch-level checks: everything decided without reading records. */
function checkHeader(records: Buffer, apiVersion: number, config: LogValidationConfig, tp: string): Rejection | null {
  if (records.length < BATCH_HEADER_SIZE) return reject(ErrorCode.CORRUPT_MESSAGE, `The record batch is truncated (${records.length} bytes) in topic partition ${tp}.`);
  const view = new RecordBatchView(records);
  const size = view.sizeInBytes;
  if (size < BATCH_HEADER_SIZE || size > records.length) return reject(ErrorCode.CORRUPT_MESSAGE, `The record batch declares ${size} bytes; ${records.length} are there, in topic partition ${tp}.`);
  if (view.magic !== CURRENT_MAGIC) return reject(ErrorCode.INVALID_RECORD, `Produce requests with version ${apiVersion} are only allowed to contain record batches with magic version 2 (${tp} got magic ${view.magic}).`);
  if (size < records.length) {
    return reject(ErrorCode.INVALID_RECORD, `Produce requests with version ${apiVersion} are only allowed to contain exactly one record batch per partition (${records.length - size} bytes follow the batch for ${tp}).`);
  }
  if (view.compression === CompressionType.Zstd && apiVersion < 7) {
    return reject(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `Produce requests with version ${apiVersion} are not allowed to use ZStandard compression (${tp}).`);
  }
  if (view.compression > CompressionType.Zstd) return reject(ErrorCode.INVALID_RECORD, `Unknown compression type id ${view.compression} in topic partition ${tp}.`);
  if (view.baseOffset !== 0n) return reject(ErrorCode.INVALID_RECORD, `The baseOffset of the record batch in the append to ${tp} should be 0, but it is ${view.baseOffset}.`);
  if (size > config.maxMessageBytes) {
    return reject(ErrorCode.MESSAGE_TOO_LARGE, `The record batch size in the append to ${tp} is ${size} bytes which exceeds the maximum configured value of ${config.maxMessageBytes}.`);
  }
  if (!view.isCrcValid()) return reject(ErrorCode.CORRUPT_MESSAGE, `Record is corrupt (stored crc = ${view.crc}, computed ${view.computeCrc()}) in topic partition ${tp}.`);
  const count = view.recordCount;
  const lastDelta = view.lastOffsetDelta;
  if (lastDelta < 0) return reject(ErrorCode.INVALID_RECORD, `Batch has an invalid offset range: [0, ${lastDelta}] in topic partition ${tp}.`);
  if (count <= 0) return reject(ErrorCode.INVALID_RECORD, `Invalid reported count for record batch: ${count} in topic partition ${tp}.`);
  if (lastDelta + 1 !== count) return reject(ErrorCode.INVALID_RECORD, `Inconsistent batch offset range [0, ${lastDelta}] and count of records ${count} in topic partition ${tp}.`);
  if (view.isControl) return reject(ErrorCode.INVALID_RECORD, `Clients are not allowed to write control records in topic partition ${tp}.`);
  if (view.isTransactional && view.producerId < 0n) return reject(ErrorCode.INVALID_RECORD, `A transactional record batch without a producer id in topic partition ${tp}.`);
  if (view.producerId >= 0n && view.baseSequence < 0) {
    return reject(ErrorCode.INVALID_RECORD, `Invalid sequence number ${view.baseSequence} in record batch with producerId ${view.producerId} in topic partition ${tp}.`);
  }
  return null;
}
