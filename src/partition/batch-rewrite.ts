/**
 * The last step of validation, after Kafka's LogValidator: the batch as it goes to the log.
 *
 * - Its header's max timestamp becomes the one computed from its records (Kafka's
 *   setMaxTimestamp; clients such as Sarama 1.22 leave -1 there), so time indexes and ListOffsets
 *   by timestamp see the real value. The CRC is recomputed only when something changed.
 * - A topic whose compression.type names a codec ("uncompressed" included) different from the
 *   batch's gets the batch rebuilt in that codec. The records' bytes are reused as they are
 *   (their offset deltas were checked to be their indexes): only the section is recompressed
 *   (gzip, snappy and lz4 on the libuv pool; zstd-napi compresses on the calling thread).
 * - With LogAppendTime the log stamps the broker time at append (storage patches the header).
 */
import { crc32c } from '../protocol/records/crc.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { codecFor } from '../protocol/compression/index.js';
import {
  BATCH_HEADER_SIZE,
  BATCH_LOG_OVERHEAD,
  CompressionType,
  OFFSET_ATTRIBUTES,
  OFFSET_BATCH_LENGTH,
  OFFSET_CRC,
  OFFSET_MAX_TIMESTAMP,
  RecordBatchView,
  TimestampType,
} from '../protocol/records/record-batch.js';
import type { LogValidationConfig, TopicCompression } from '../config/log-validation-config.js';
import { reject, type ValidationResult } from './validation-result.js';

const COMPRESSION_BITS = 0x07;
const LOG_APPEND_TIME_BIT = 0x08;

const CODEC_OF: Readonly<Record<Exclude<TopicCompression, 'producer'>, CompressionType>> = {
  uncompressed: CompressionType.None,
  gzip: CompressionType.Gzip,
  snappy: CompressionType.Snappy,
  lz4: CompressionType.Lz4,
  zstd: CompressionType.Zstd,
};

export async function finishBatch(view: RecordBatchView, section: Buffer, maxTimestamp: bigint, config: LogValidationConfig, now: number, tp: string): Promise<ValidationResult> {
  const logAppendTime = config.timestampType === 'LogAppendTime' ? now : null;
  const target = config.compression === 'producer' ? view.compression : CODEC_OF[config.compression];
  if (target === view.compression) {
    // The usual case: the producer's bytes go to the log, patched in place.
    if (logAppendTime === null) setCreateTimeMax(view, maxTimestamp);
    return { ok: true, records: view.bytes(), logAppendTime, maxTimestamp };
  }
  const body = target === CompressionType.None ? section : await codecFor(target).compress(section);
  const size = BATCH_HEADER_SIZE + body.length;
  if (size > config.maxMessageBytes) {
    return reject(ErrorCode.MESSAGE_TOO_LARGE, `Message batch size is ${size} bytes in append to partition ${tp} which exceeds the maximum configured size of ${config.maxMessageBytes}.`);
  }
  const batch = Buffer.allocUnsafe(size);
  view.buf.copy(batch, 0, view.offset, view.offset + BATCH_HEADER_SIZE);
  body.copy(batch, BATCH_HEADER_SIZE);
  batch.writeInt32BE(size - BATCH_LOG_OVERHEAD, OFFSET_BATCH_LENGTH);
  batch.writeInt16BE((view.attributes & ~(COMPRESSION_BITS | LOG_APPEND_TIME_BIT)) | target, OFFSET_ATTRIBUTES);
  batch.writeBigInt64BE(maxTimestamp, OFFSET_MAX_TIMESTAMP);
  batch.writeUInt32BE(crc32c(batch.subarray(OFFSET_ATTRIBUTES)) >>> 0, OFFSET_CRC);
  return { ok: true, records: batch, logAppendTime, maxTimestamp };
}

/** Makes the header say CreateTime with `maxTimestamp`, rewriting the CRC only when that changes it. */
function setCreateTimeMax(view: RecordBatchView, maxTimestamp: bigint): void {
  if (view.timestampType === TimestampType.CreateTime && view.maxTimestamp === maxTimestamp) return;
  view.buf.writeInt16BE(view.attributes & ~LOG_APPEND_TIME_BIT, view.offset + OFFSET_ATTRIBUTES);
  view.buf.writeBigInt64BE(maxTimestamp, view.offset + OFFSET_MAX_TIMESTAMP);
  view.buf.writeUInt32BE(view.computeCrc(), view.offset + OFFSET_CRC);
}
