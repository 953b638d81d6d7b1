/**
 * Produce (key 0): validate each partition's batches, append them, answer with base offsets.
 * acks=0 gets no response; acks=1 and acks=-1 are the same on one node: the answer waits for the
 * flush policy (fsync by default), and records become visible to consumers at the same moment.
 */
import type { ProduceRequest, ProduceResponseInput, ProduceResponsePartitionProduceResponseInput } from '../protocol/generated/index.js';
import { ErrorCode, KafkaError } from '../protocol/error-codes.js';
import { topicConfigValue } from '../config/topic-config-values.js';
import { checkProducedBatches } from '../partition/batch-validation.js';
import { DecodeError } from '../protocol/codec-errors.js';
import { readLegacyMessageSet } from '../protocol/records/legacy-message-set.js';
import { batchesIn, buildBatch, readBatchRecords } from '../protocol/records/batch-records.js';
import type { ApiHandler, RequestContext } from './handler.js';
import { isInternalTopic } from '../metadata/topic-names.js';

type PartitionData = ProduceRequest['topicData'][number]['partitionData'][number];

function partitionError(index: number, errorCode: number, errorMessage: string | null): ProduceResponsePartitionProduceResponseInput {
  return { index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage };
}

async function produceToPartition(ctx: RequestContext, topicName: string, data: PartitionData, acks: number): Promise<ProduceResponsePartitionProduceResponseInput> {
  if (acks !== 0 && acks !== 1 && acks !== -1) return partitionError(data.index, ErrorCode.INVALID_REQUIRED_ACKS, `acks must be 0, 1 or -1, not ${acks}.`);
  const topic = ctx.broker.topics.get(topicName);
  const partition = topic ? ctx.broker.replicas.get(topicName, data.index) : undefined;
  if (!topic || !partition) return partitionError(data.index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `This server does not host ${topicName}-${data.index}.`);
  if (isInternalTopic(topicName)) return partitionError(data.index, ErrorCode.INVALID_TOPIC_EXCEPTION, `Clients cannot write to the internal topic ${topicName}.`);
  const maxBytes = Number(topicConfigValue(ctx.broker.config, topic.configs, 'max.message.bytes'));
  if (ctx.apiVersion < 3 && data.records !== null) {
    // Produce v0-2 carries magic 0/1 message sets: up-convert them to one RecordBatch v2.
    try {
      const legacy = await readLegacyMessageSet(data.records, maxBytes * 64);
      data = { ...data, records: await buildBatch(legacy.records, { compression: legacy.compression }) };
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      return partitionError(data.index, ErrorCode.CORRUPT_MESSAGE, err.message);
    }
  }
  const problem = checkProducedBatches(data.records, maxBytes);
  if (problem) return { ...partitionError(data.index, problem.errorCode, problem.message), recordErrors: [{ batchIndex: 0, batchIndexErrorMessage: problem.message }] };
  if (topicConfigValue(ctx.broker.config, topic.configs, 'cleanup.policy').includes('compact')) {
    // A compacted topic keeps the last record per key: a record without a key could never be kept
    // or removed meaningfully, so Kafka refuses it. This is the one produce check that reads records.
    let keyless: boolean;
    try {
      keyless = await hasKeylessRecord(data.records as Buffer, maxBytes * 64);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      return partitionError(data.index, ErrorCode.CORRUPT_MESSAGE, err.message);
    }
    if (keyless) return partitionError(data.index, ErrorCode.INVALID_RECORD, `Compacted topic ${topicName} cannot accept a record without a key.`);
  }
  const logAppendTime = topicConfigValue(ctx.broker.config, topic.configs, 'message.timestamp.type') === 'LogAppendTime' ? ctx.broker.now() : null;
  let baseOffset: number;
  try {
    ({ baseOffset } = await partition.append(data.records as Buffer, logAppendTime));
  } catch (err) {
    if (err instanceof KafkaError) return partitionError(data.index, err.code, err.message);
    throw err;
  }
  return {
    index: data.index,
    errorCode: ErrorCode.NONE,
    baseOffset: BigInt(baseOffset),
    logAppendTimeMs: logAppendTime === null ? -1n : BigInt(logAppendTime),
    logStartOffset: BigInt(partition.logStartOffset),
    recordErrors: [],
    errorMessage: null,
  };
}

async function hasKeylessRecord(records: Buffer, maxDecompressed: number): Promise<boolean> {
  for (const view of batchesIn(records)) {
    for (const r of await readBatchRecords(view, maxDecompressed)) if (r.key === null) return true;
  }
  return false;
}

export const produceHandler: ApiHandler<ProduceRequest, ProduceResponseInput> = {
  apiKey: 0,
  name: 'Produce',
  // v0-2 (magic 0/1) are served by up-conversion: librdkafka before 2.10 compresses with gzip,
  // snappy or lz4 only when the broker lists Produce v0 among its versions.
  minVersion: 0,
  maxVersion: 11,
  async handle(ctx, request) {
    // Start every partition's append before awaiting any, so they share one group commit.
    const pending = request.topicData.map((t) => ({
      name: t.name,
      partitions: t.partitionData.map((p) =>
        produceToPartition(ctx, t.name, p, request.acks).catch((err: unknown) => {
          ctx.log.error({ err, topic: t.name, partition: p.index }, 'append failed');
          return partitionError(p.index, ErrorCode.KAFKA_STORAGE_ERROR, 'The append failed on the broker.');
        }),
      ),
    }));
    const responses = [];
    for (const t of pending) responses.push({ name: t.name, partitionResponses: await Promise.all(t.partitions) });
    if (request.acks === 0) return null;
    return { responses, throttleTimeMs: 0 };
  },
  errorResponse(request, errorCode, message) {
    return {
      responses: request.topicData.map((t) => ({ name: t.name, partitionResponses: t.partitionData.map((p) => partitionError(p.index, errorCode, message)) })),
      throttleTimeMs: 0,
    };
  },
};
