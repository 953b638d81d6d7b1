/**
 * Produce (key 0): route each partition's records to the log validator (the one gate for what
 * enters the log), append what it accepts, answer with base offsets or its errors.
 * acks=0 gets no response; acks=1 and acks=-1 are the same on one node: the answer waits for the
 * flush policy (fsync by default), and records become visible to consumers at the same moment.
 */
import type { ProduceRequest, ProduceResponseInput, ProduceResponsePartitionProduceResponseInput } from '../protocol/generated/index.js';
import { ErrorCode, KafkaError } from '../protocol/error-codes.js';
import { logValidationConfig } from '../config/log-validation-config.js';
import { topicConfigValue } from '../config/topic-config-values.js';
import { validateProducedRecords, type ValidationResult } from '../partition/log-validator.js';
import { takeAppendTurn } from '../partition/append-order.js';
import type { ApiHandler, RequestContext } from './handler.js';
import { isInternalTopic } from '../metadata/topic-names.js';

type PartitionData = ProduceRequest['topicData'][number]['partitionData'][number];

/** On one node every partition has one replica, which is its whole ISR. */
const REPLICATION_FACTOR = 1;
const ISR_SIZE = 1;

function partitionError(index: number, errorCode: number, errorMessage: string | null): ProduceResponsePartitionProduceResponseInput {
  return { index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage };
}

async function produceToPartition(ctx: RequestContext, topicName: string, data: PartitionData, acks: number): Promise<ProduceResponsePartitionProduceResponseInput> {
  if (acks !== 0 && acks !== 1 && acks !== -1) return partitionError(data.index, ErrorCode.INVALID_REQUIRED_ACKS, `acks must be 0, 1 or -1, not ${acks}.`);
  const topic = ctx.broker.topics.get(topicName);
  const partition = topic ? ctx.broker.replicas.get(topicName, data.index) : undefined;
  if (!topic || !partition) return partitionError(data.index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `This server does not host ${topicName}-${data.index}.`);
  if (isInternalTopic(topicName)) return partitionError(data.index, ErrorCode.INVALID_TOPIC_EXCEPTION, `Clients cannot write to the internal topic ${topicName}.`);
  const config = logValidationConfig(ctx.broker.config, topic.configs);
  const tp = `${topicName}-${data.index}`;
  // Kafka (3.7+) caps min.insync.replicas at the replication factor, and checks before appending.
  const minIsr = Math.min(config.minInsyncReplicas, REPLICATION_FACTOR);
  if (acks === -1 && ISR_SIZE < minIsr) {
    return partitionError(data.index, ErrorCode.NOT_ENOUGH_REPLICAS, `The size of the current ISR (${ISR_SIZE}) is insufficient to satisfy the min.isr requirement of ${minIsr} for partition ${tp}.`);
  }
  // Taken before anything awaits, so appends keep the order in which requests arrived.
  const turn = takeAppendTurn(partition);
  let appended: Promise<{ baseOffset: number }>;
  let validated: ValidationResult;
  try {
    validated = await validateProducedRecords({ topicPartition: tp, records: data.records, apiVersion: ctx.apiVersion, now: ctx.broker.now() }, config);
    if (!validated.ok) return { ...partitionError(data.index, validated.errorCode, validated.message), recordErrors: [...validated.recordErrors] };
    // As in Kafka's log append: a batch must fit in one segment (after any recompression).
    const segmentBytes = Number(topicConfigValue(ctx.broker.config, topic.configs, 'segment.bytes'));
    if (validated.records.length > segmentBytes) {
      return partitionError(data.index, ErrorCode.RECORD_LIST_TOO_LARGE, `The record batch of ${validated.records.length} bytes for ${tp} exceeds the segment size segment.bytes=${segmentBytes}.`);
    }
    await turn.ready;
    appended = partition.append(validated.records, validated.logAppendTime);
  } finally {
    turn.done();
  }
  let baseOffset: number;
  try {
    ({ baseOffset } = await appended);
  } catch (err) {
    if (err instanceof KafkaError) return partitionError(data.index, err.code, err.message);
    throw err;
  }
  return {
    index: data.index,
    errorCode: ErrorCode.NONE,
    baseOffset: BigInt(baseOffset),
    logAppendTimeMs: validated.logAppendTime === null ? -1n : BigInt(validated.logAppendTime),
    logStartOffset: BigInt(partition.logStartOffset),
    recordErrors: [],
    errorMessage: null,
  };
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
