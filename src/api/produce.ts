/**
 * Produce (key 0): route each partition's records to the log validator (the one gate for what
 * enters the log), append what it accepts on the partition's leader, answer with base offsets or
 * its errors. acks=0 gets no response; acks=1 answers once the leader's log acknowledged the batch
 * (the flush policy: fsync by default); acks=-1 then also waits in the purgatory until the high
 * watermark covers the batch, i.e. every in-sync replica holds it (at once on a lone broker).
 * min.insync.replicas is checked before the append (NOT_ENOUGH_REPLICAS) and again when the wait
 * ends (NOT_ENOUGH_REPLICAS_AFTER_APPEND), as Kafka does.
 */
import type { ProduceRequest, ProduceResponseInput, ProduceResponsePartitionProduceResponseInput } from '../protocol/generated/index.js';
import { ErrorCode, KafkaError } from '../protocol/error-codes.js';
import { batchesIn } from '../protocol/records/batch-records.js';
import { logValidationConfig } from '../config/log-validation-config.js';
import { topicConfigValue } from '../config/topic-config-values.js';
import { validateProducedRecords, type ValidationResult } from '../partition/log-validator.js';
import { takeAppendTurn } from '../partition/append-order.js';
import type { ApiHandler, RequestContext } from './handler.js';
import { isInternalTopic } from '../metadata/topic-names.js';
import { waitForHighWatermark } from '../partition/delayed-produce.js';
import { partitionKey } from '../partition/purgatory.js';
import type { Partition } from '../partition/partition.js';
import type { VerificationGuard } from '../partition/transaction-rules.js';
import { RecordBatchView } from '../protocol/records/record-batch.js';
import { isNotHere, leaderEndpoints, leaderPartition } from './leader-partition.js';
import { noteProduced } from './traffic-events.js';
import { timedWait } from './wait-timing.js';
import { authorize, authorizedNames, Op, ResourceType } from './authorize.js';

type PartitionData = ProduceRequest['topicData'][number]['partitionData'][number];

function partitionError(index: number, errorCode: number, errorMessage: string | null): ProduceResponsePartitionProduceResponseInput {
  return { index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage };
}

async function produceToPartition(ctx: RequestContext, topicName: string, data: PartitionData, acks: number, timeoutMs: number, transactionalId: string | null): Promise<ProduceResponsePartitionProduceResponseInput> {
  if (acks !== 0 && acks !== 1 && acks !== -1) return partitionError(data.index, ErrorCode.INVALID_REQUIRED_ACKS, `acks must be 0, 1 or -1, not ${acks}.`);
  const topic = ctx.broker.topics.get(topicName);
  const partition = leaderPartition(ctx, topicName, data.index);
  if (isNotHere(partition)) {
    const answer = partitionError(data.index, partition.errorCode, partition.message);
    return partition.leaderId >= 0 ? { ...answer, currentLeader: { leaderId: partition.leaderId, leaderEpoch: partition.leaderEpoch } } : answer;
  }
  if (!topic) return partitionError(data.index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `This server does not host ${topicName}-${data.index}.`);
  if (isInternalTopic(topicName)) return partitionError(data.index, ErrorCode.INVALID_TOPIC_EXCEPTION, `Clients cannot write to the internal topic ${topicName}.`);
  const config = logValidationConfig(ctx.broker.config, topic.configs);
  const tp = `${topicName}-${data.index}`;
  // Kafka (3.7+) caps min.insync.replicas at the replication factor, and checks before appending.
  const minIsr = Math.min(config.minInsyncReplicas, partition.replicaIds.length);
  if (acks === -1 && partition.inSyncReplicas.length < minIsr) {
    return partitionError(data.index, ErrorCode.NOT_ENOUGH_REPLICAS, `The size of the current ISR (${partition.inSyncReplicas.length}) is insufficient to satisfy the min.isr requirement of ${minIsr} for partition ${tp}.`);
  }
  // Taken before anything awaits, so appends keep the order in which requests arrived.
  const turn = takeAppendTurn(partition);
  let appended: Promise<{ baseOffset: number }>;
  let validated: ValidationResult;
  /** The leader epoch the batch is appended in: its commit counts only while this broker leads in it. */
  let leaderEpoch = -1;
  try {
    validated = await validateProducedRecords({ topicPartition: tp, records: data.records, apiVersion: ctx.apiVersion, now: ctx.broker.now() }, config);
    if (!validated.ok) return { ...partitionError(data.index, validated.errorCode, validated.message), recordErrors: [...validated.recordErrors] };
    // As in Kafka's log append: a batch must fit in one segment (after any recompression).
    const segmentBytes = Number(topicConfigValue(ctx.broker.config, topic.configs, 'segment.bytes'));
    if (validated.records.length > segmentBytes) {
      return partitionError(data.index, ErrorCode.RECORD_LIST_TOO_LARGE, `The record batch of ${validated.records.length} bytes for ${tp} exceeds the segment size segment.bytes=${segmentBytes}.`);
    }
    await turn.ready;
    const verified = await verifyTransaction(ctx, partition, validated.records, transactionalId);
    if (verified.errorCode !== ErrorCode.NONE) return partitionError(data.index, verified.errorCode, `The transactional batch of ${tp} is not part of an ongoing transaction (${transactionalId}).`);
    leaderEpoch = partition.leaderEpoch;
    appended = partition.append(validated.records, validated.logAppendTime, verified.guard);
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
  noteProduced(ctx.broker, topicName, data.index, ErrorCode.NONE, data.records?.length ?? 0, validated.records);
  if (acks === -1) {
    const committed = await awaitCommit(ctx, partition, leaderEpoch, baseOffset, validated.records, timeoutMs, minIsr);
    if (committed) return committed;
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

/**
 * KIP-890: the first transactional batch of a producer on this partition is appended only if the
 * transaction coordinator says the partition is in the producer's ongoing transaction; the guard
 * makes the append fail if a marker ended that transaction meanwhile. Other batches pass.
 */
async function verifyTransaction(ctx: RequestContext, partition: Partition, records: Buffer, transactionalId: string | null): Promise<{ errorCode: number; guard?: VerificationGuard }> {
  const verifier = ctx.broker.verifyTransaction;
  if (!verifier || transactionalId === null) return { errorCode: ErrorCode.NONE };
  const view = new RecordBatchView(records);
  if (!view.isTransactional) return { errorCode: ErrorCode.NONE };
  const guard = partition.transactions.guardFor(view.producerId);
  if (!guard) return { errorCode: ErrorCode.NONE };
  const errorCode = await verifier({ transactionalId, producerId: view.producerId, producerEpoch: view.producerEpoch, topic: partition.topic, partition: partition.index });
  return { errorCode, guard };
}

/** acks=-1: waits until every in-sync replica holds the batch; null when it is committed, else the partition's error. */
async function awaitCommit(ctx: RequestContext, partition: Partition, leaderEpoch: number, baseOffset: number, records: Buffer, timeoutMs: number, minIsr: number): Promise<ProduceResponsePartitionProduceResponseInput | null> {
  const tp = `${partition.topic}-${partition.index}`;
  const lastOffset = baseOffset + lastOffsetDeltaOfAll(records);
  const outcome = await timedWait(ctx, waitForHighWatermark(ctx.broker.replicas.purgatory, {
    key: partitionKey(partition.topic, partition.index),
    highWatermark: () => partition.highWatermark,
    targetOffset: lastOffset + 1,
    // Deposed, or deposed and elected again meanwhile (its log may have been truncated and refilled): not committed here.
    isLeader: () => partition.isLeader && partition.leaderEpoch === leaderEpoch,
    timeoutMs,
    signal: ctx.connectionClosed,
  }));
  if (outcome === 'reached') {
    if (partition.inSyncReplicas.length < minIsr) {
      return partitionError(partition.index, ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, `The batch was written to ${tp}, but the ISR (${partition.inSyncReplicas.length}) shrank below min.insync.replicas (${minIsr}) before it was replicated.`);
    }
    return null;
  }
  if (outcome === 'timeout') return partitionError(partition.index, ErrorCode.REQUEST_TIMED_OUT, `The in-sync replicas of ${tp} did not copy the batch within ${timeoutMs} ms.`);
  return partitionError(partition.index, ErrorCode.NOT_LEADER_OR_FOLLOWER, `This broker stopped leading ${tp} before the batch was replicated.`);
}

/** The offset of the last record of the batches, relative to the first batch's base offset. */
function lastOffsetDeltaOfAll(records: Buffer): number {
  let last = 0;
  let base: bigint | null = null;
  for (const view of batchesIn(records)) {
    base ??= view.baseOffset;
    last = Number(view.baseOffset - base) + view.lastOffsetDelta;
  }
  return last;
}

export const produceHandler: ApiHandler<ProduceRequest, ProduceResponseInput> = {
  apiKey: 0,
  name: 'Produce',
  // v0-2 (magic 0/1) are served by up-conversion: librdkafka before 2.10 compresses with gzip,
  // snappy or lz4 only when the broker lists Produce v0 among its versions.
  minVersion: 0,
  maxVersion: 11,
  async handle(ctx, request) {
    // Kafka's checks: WRITE on the transactional id for a transactional producer, WRITE on each topic.
    if (request.transactionalId !== null && !authorize(ctx, Op.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactionalId)) {
      return request.acks === 0 ? null : this.errorResponse(request, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, `${ctx.principal} may not write as transactional id ${request.transactionalId}.`, ctx.apiVersion);
    }
    const writable = authorizedNames(ctx, Op.WRITE, ResourceType.TOPIC, request.topicData.map((t) => t.name));
    // Start every partition's append before awaiting any, so they share one group commit.
    const pending = request.topicData.map((t) => ({
      name: t.name,
      partitions: t.partitionData.map((p) =>
        (!writable.has(t.name)
          ? Promise.resolve(partitionError(p.index, ErrorCode.TOPIC_AUTHORIZATION_FAILED, `${ctx.principal} may not write to ${t.name}.`))
          : produceToPartition(ctx, t.name, p, request.acks, request.timeoutMs, request.transactionalId).catch((err: unknown) => {
              ctx.log.error({ err, topic: t.name, partition: p.index }, 'append failed');
              return partitionError(p.index, ErrorCode.KAFKA_STORAGE_ERROR, 'The append failed on the broker.');
            })
        ).then((answer) => {
          if (answer.errorCode !== ErrorCode.NONE) noteProduced(ctx.broker, t.name, p.index, answer.errorCode, 0, null);
          return answer;
        }),
      ),
    }));
    const responses = [];
    for (const t of pending) responses.push({ name: t.name, partitionResponses: await Promise.all(t.partitions) });
    if (request.acks === 0) return null;
    const movedTo = responses.flatMap((t) => t.partitionResponses.flatMap((p) => (p.currentLeader?.leaderId !== undefined ? [p.currentLeader.leaderId] : [])));
    return { responses, throttleTimeMs: 0, nodeEndpoints: leaderEndpoints(ctx, movedTo) };
  },
  errorResponse(request, errorCode, message) {
    return {
      responses: request.topicData.map((t) => ({ name: t.name, partitionResponses: t.partitionData.map((p) => partitionError(p.index, errorCode, message)) })),
      throttleTimeMs: 0,
    };
  },
};
