/**
 * AddPartitionsToTxn (key 24). v0-3, from producers: partitions join the producer's transaction
 * before it writes to them (every partition gets the coordinator's answer; partitions the cluster
 * does not have answer UNKNOWN_TOPIC_OR_PARTITION and the rest OPERATION_NOT_ATTEMPTED, as in
 * Kafka). v4+, from brokers (KIP-890): several transactions at once, each either added or, with
 * verifyOnly, checked: is each partition in the ongoing transaction? A partition leader asks that
 * before it appends a producer's first transactional batch.
 */
import type { AddPartitionsToTxnRequest, AddPartitionsToTxnResponseInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { errorForVersion, topicResults } from '../coordinator/txn/versions.js';
import type { PartitionError } from '../coordinator/txn/coordinator.js';
import type { TopicPartition } from '../coordinator/txn/partition-set.js';
import type { ApiHandler, RequestContext } from './handler.js';
import { authorize, authorizeCluster, authorizedNames, Op, ResourceType } from './authorize.js';

type TopicsField = AddPartitionsToTxnRequest['v3AndBelowTopics'];

const flatten = (topics: TopicsField): TopicPartition[] => topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));

function exists(ctx: RequestContext, tp: TopicPartition): boolean {
  const topic = ctx.broker.topics.get(tp.topic);
  return topic !== undefined && tp.partition >= 0 && tp.partition < topic.partitions;
}

interface TxnFields {
  readonly transactionalId: string;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly partitions: readonly TopicPartition[];
}

/** A producer's request (v0-3) needs WRITE on its transactional id and on every topic; null when it has them. */
function refusals(ctx: RequestContext, txn: TxnFields): PartitionError[] | null {
  if (!authorize(ctx, Op.WRITE, ResourceType.TRANSACTIONAL_ID, txn.transactionalId)) return txn.partitions.map((tp) => ({ ...tp, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED }));
  const topics = new Set(txn.partitions.map((tp) => tp.topic));
  const writable = authorizedNames(ctx, Op.WRITE, ResourceType.TOPIC, topics);
  if (writable.size === topics.size) return null;
  return txn.partitions.map((tp) => ({ ...tp, errorCode: writable.has(tp.topic) ? ErrorCode.OPERATION_NOT_ATTEMPTED : ErrorCode.TOPIC_AUTHORIZATION_FAILED }));
}

async function addOrVerify(ctx: RequestContext, txn: TxnFields, verifyOnly: boolean): Promise<PartitionError[]> {
  const refused = ctx.apiVersion < 4 ? refusals(ctx, txn) : null;
  if (refused) return refused;
  if (txn.partitions.some((tp) => !exists(ctx, tp))) {
    return txn.partitions.map((tp) => ({ ...tp, errorCode: exists(ctx, tp) ? ErrorCode.OPERATION_NOT_ATTEMPTED : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }));
  }
  if (verifyOnly) return ctx.broker.transactions.verifyPartitions(txn);
  const { errorCode } = await ctx.broker.transactions.addPartitions(txn);
  return txn.partitions.map((tp) => ({ ...tp, errorCode: errorForVersion('AddPartitionsToTxn', ctx.apiVersion, errorCode) }));
}

export const addPartitionsToTxnHandler: ApiHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponseInput> = {
  apiKey: 24,
  name: 'AddPartitionsToTxn',
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, request) {
    if (ctx.apiVersion < 4) {
      const txn = { transactionalId: request.v3AndBelowTransactionalId, producerId: request.v3AndBelowProducerId, producerEpoch: request.v3AndBelowProducerEpoch, partitions: flatten(request.v3AndBelowTopics) };
      return { throttleTimeMs: 0, resultsByTopicV3AndBelow: topicResults(await addOrVerify(ctx, txn, false)) };
    }
    // v4+ come from brokers (KIP-890 verification): Kafka wants CLUSTER_ACTION on the cluster.
    if (!authorizeCluster(ctx, Op.CLUSTER_ACTION)) return this.errorResponse(request, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, `${ctx.principal} may not verify transactions.`, ctx.apiVersion);
    const resultsByTransaction = await Promise.all(
      request.transactions.map(async (t) => ({
        transactionalId: t.transactionalId,
        topicResults: topicResults(await addOrVerify(ctx, { transactionalId: t.transactionalId, producerId: t.producerId, producerEpoch: t.producerEpoch, partitions: flatten(t.topics) }, t.verifyOnly)),
      })),
    );
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction };
  },
  errorResponse(request, errorCode, _message, version) {
    if (version < 4) return { throttleTimeMs: 0, resultsByTopicV3AndBelow: topicResults(flatten(request.v3AndBelowTopics).map((tp) => ({ ...tp, errorCode }))) };
    return { throttleTimeMs: 0, errorCode, resultsByTransaction: [] };
  },
};
