/**
 * DescribeProducers (key 61, KIP-664): the producers a partition replica here knows, with their
 * epochs, last sequence and timestamp, the coordinator epoch of their last marker and the first
 * offset of their open transaction (-1 when none). It is how an operator finds a hanging
 * transaction, one whose marker never came, to abort it with WriteTxnMarkers.
 *
 * As in Kafka any replica answers (the leader and the followers hold the same producer state);
 * a partition of a known topic not hosted here is NOT_LEADER_OR_FOLLOWER, an unknown one
 * UNKNOWN_TOPIC_OR_PARTITION, an illegal topic name INVALID_TOPIC_EXCEPTION.
 *
 * Unlike Kafka, a partition asked for twice (in one topic entry or in two) is answered once: each
 * answer lists every producer of the partition, so a request repeating one partition a million
 * times (4 bytes each) would make an answer a thousand times its size. Admin clients never repeat one.
 */
import type { DescribeProducersRequest, DescribeProducersResponseInput, DescribeProducersResponsePartitionResponseInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { topicNameError } from '../metadata/topic-names.js';
import type { ApiHandler, RequestContext } from './handler.js';
import { authorize, Op, ResourceType } from './authorize.js';

type PartitionAnswer = DescribeProducersResponsePartitionResponseInput;

const refused = (partitionIndex: number, errorCode: number, errorMessage: string | null): PartitionAnswer => ({ partitionIndex, errorCode, errorMessage, activeProducers: [] });

function describePartition(ctx: RequestContext, topic: string, partitionIndex: number): PartitionAnswer {
  const partition = ctx.broker.replicas.get(topic, partitionIndex);
  if (partition && (partition.isLeader || partition.isFollower)) {
    const activeProducers = partition.activeProducers().map((p) => ({
      producerId: p.producerId,
      producerEpoch: p.producerEpoch,
      lastSequence: p.lastSequence,
      lastTimestamp: BigInt(p.lastTimestamp),
      coordinatorEpoch: p.coordinatorEpoch,
      currentTxnStartOffset: BigInt(p.currentTxnStartOffset),
    }));
    return { partitionIndex, errorCode: ErrorCode.NONE, errorMessage: null, activeProducers };
  }
  const known = ctx.broker.topics.get(topic);
  if (known && partitionIndex >= 0 && partitionIndex < known.partitions) return refused(partitionIndex, ErrorCode.NOT_LEADER_OR_FOLLOWER, `This broker hosts no replica of ${topic}-${partitionIndex}.`);
  return refused(partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null);
}

/** Each topic once, with each of its partitions once, in the order first asked. */
function distinctPartitions(topics: DescribeProducersRequest['topics']): Map<string, number[]> {
  const sets = new Map<string, Set<number>>();
  for (const t of topics) {
    let set = sets.get(t.name);
    if (!set) sets.set(t.name, (set = new Set()));
    for (const p of t.partitionIndexes) set.add(p);
  }
  return new Map([...sets].map(([name, set]) => [name, [...set]]));
}

export const describeProducersHandler: ApiHandler<DescribeProducersRequest, DescribeProducersResponseInput> = {
  apiKey: 61,
  name: 'DescribeProducers',
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, request) {
    const topics = [...distinctPartitions(request.topics)].map(([name, indexes]) => {
      const illegal = topicNameError(name);
      if (illegal !== null) return { name, partitions: indexes.map((p) => refused(p, ErrorCode.INVALID_TOPIC_EXCEPTION, illegal)) };
      if (!authorize(ctx, Op.READ, ResourceType.TOPIC, name)) return { name, partitions: indexes.map((p) => refused(p, ErrorCode.TOPIC_AUTHORIZATION_FAILED, null)) };
      // Kafka answers a topic it does not know as a whole, before looking at its partitions.
      if (!ctx.broker.topics.get(name)) return { name, partitions: indexes.map((p) => refused(p, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null)) };
      return { name, partitions: indexes.map((p) => describePartition(ctx, name, p)) };
    });
    return { throttleTimeMs: 0, topics };
  },
  errorResponse(request, errorCode, message) {
    return { throttleTimeMs: 0, topics: [...distinctPartitions(request.topics)].map(([name, indexes]) => ({ name, partitions: indexes.map((p) => refused(p, errorCode, message)) })) };
  },
};
