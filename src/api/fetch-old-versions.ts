/**
 * What Fetch below v10 may not return as stored, per partition, as Kafka's KafkaApis decides it
 * (Fetch v10+, every modern client, passes through untouched at the first check):
 *
 * - a topic whose compression.type is zstd answers UNSUPPORTED_COMPRESSION_TYPE below v10 (KIP-110);
 *   zstd batches a producer chose are cut off before the first one, which answers that error when
 *   it comes first (the consumer fails cleanly when it gets there);
 * - below v4 the client reads magic 0 (v0-1) or magic 1 (v2-3) message sets: stored batches are
 *   down-converted (protocol/records/down-convert.ts) within the partition's byte budget, unless
 *   the topic's message.downconversion.enable is false, which answers UNSUPPORTED_VERSION;
 * - below v6 KAFKA_STORAGE_ERROR, which those clients do not know, becomes NOT_LEADER_OR_FOLLOWER,
 *   so that they refresh metadata and retry.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { DecodeError } from '../protocol/codec-errors.js';
import { batchesIn, DEFAULT_MAX_DECOMPRESSED } from '../protocol/records/batch-records.js';
import { CompressionType } from '../protocol/records/record-batch.js';
import { downConvert } from '../protocol/records/down-convert.js';
import { topicConfigValue } from '../config/topic-config-values.js';
import { MAX_DECOMPRESSION_RATIO } from '../partition/log-validator.js';
import type { RequestContext } from './handler.js';

/** The first Fetch version that reads zstd (KIP-110). */
const FETCH_ZSTD_VERSION = 10;
/** The first Fetch version that reads RecordBatch v2 (magic 2). */
const FETCH_MAGIC_2_VERSION = 4;

function topicConfig(ctx: RequestContext, topic: string, name: string): string {
  return topicConfigValue(ctx.broker.config, ctx.broker.topics.get(topic)?.configs ?? {}, name).trim();
}

/** The error a partition gets before anything is read, or null to read it. */
export function refusedBeforeRead(ctx: RequestContext, topic: string, forReplica: boolean): number | null {
  if (ctx.apiVersion >= FETCH_ZSTD_VERSION) return null;
  if (topicConfig(ctx, topic, 'compression.type') === 'zstd') return ErrorCode.UNSUPPORTED_COMPRESSION_TYPE;
  // Kafka never refuses a follower for this; followers fetch with current versions anyway.
  if (ctx.apiVersion < FETCH_MAGIC_2_VERSION && !forReplica && topicConfig(ctx, topic, 'message.downconversion.enable') === 'false') return ErrorCode.UNSUPPORTED_VERSION;
  return null;
}

/** The stored batches before the first zstd one. */
function beforeZstd(records: Buffer): Buffer {
  let end = 0;
  for (const view of batchesIn(records)) {
    if (view.compression === CompressionType.Zstd) break;
    end += view.sizeInBytes;
  }
  return end === records.length ? records : records.subarray(0, end);
}

export interface ReadBudget {
  /** Bytes this partition may return. */
  readonly maxBytes: number;
  /** No partition before it returned data: its first message may exceed the budget (KIP-74). */
  readonly minOneMessage: boolean;
}

/** Records as this request's version reads them, or the partition's error code. */
export async function recordsForVersion(ctx: RequestContext, topic: string, fetchOffset: number, records: Buffer, budget: ReadBudget): Promise<Buffer | number> {
  if (ctx.apiVersion >= FETCH_ZSTD_VERSION || records.length === 0) return records;
  if (ctx.apiVersion >= FETCH_MAGIC_2_VERSION) {
    const readable = beforeZstd(records);
    return readable.length === 0 ? ErrorCode.UNSUPPORTED_COMPRESSION_TYPE : readable;
  }
  const maxMessageBytes = Number(topicConfig(ctx, topic, 'max.message.bytes'));
  try {
    const converted = await downConvert(records, {
      toMagic: ctx.apiVersion <= 1 ? 0 : 1,
      firstOffset: BigInt(fetchOffset),
      maxBytes: budget.maxBytes,
      minOneMessage: budget.minOneMessage,
      // As far as the validator let a stored batch expand, whatever max.message.bytes is now.
      maxDecompressedBytes: Math.max(DEFAULT_MAX_DECOMPRESSED, maxMessageBytes * MAX_DECOMPRESSION_RATIO),
    });
    return converted.records.length === 0 && converted.stoppedAtZstd ? ErrorCode.UNSUPPORTED_COMPRESSION_TYPE : converted.records;
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    ctx.log.error({ err, topic, fetchOffset }, 'stored records cannot be down-converted');
    return ErrorCode.CORRUPT_MESSAGE;
  }
}

/** The error code as a client of this Fetch version understands it. */
export function errorForVersion(ctx: RequestContext, errorCode: number): number {
  return errorCode === ErrorCode.KAFKA_STORAGE_ERROR && ctx.apiVersion <= 5 ? ErrorCode.NOT_LEADER_OR_FOLLOWER : errorCode;
}
