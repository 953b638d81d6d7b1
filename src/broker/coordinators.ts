/**
 * Where a group's or a transactional id's coordinator is, as FindCoordinator answers it: the
 * leader of the group's __consumer_offsets partition, or of the id's __transaction_state
 * partition (Kafka's rule). The offsets topic is created at the first request in a cluster (a
 * lone broker creates it at start), the transaction state topic at the first request everywhere,
 * as Kafka does; while the partition has no live leader the answer is COORDINATOR_NOT_AVAILABLE,
 * which clients retry.
 */
import type { BrokerConfig } from '../config/broker-configs.js';
import type { ClusterView } from '../metadata/cluster-view.js';
import type { TopicService } from '../partition/topic-service.js';
import type { CoordinatorLocator, LocatedCoordinator } from '../api/services.js';
import { ErrorCode, KafkaError } from '../protocol/error-codes.js';
import { partitionForGroup } from '../coordinator/group/records.js';
import { partitionForTransactionalId } from '../coordinator/txn/records.js';
import { OFFSETS_TOPIC, createOffsetsTopic } from './groups.js';
import { TXN_STATE_TOPIC, createTransactionStateTopic } from './txn.js';

export function coordinatorLocator(config: BrokerConfig, view: ClusterView, topics: TopicService, self: () => { host: string; port: number }): CoordinatorLocator {
  const nodeId = config.nodeId;
  const unavailable = (message: string): LocatedCoordinator => ({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, message, nodeId: -1, host: '', port: -1 });
  /** The leader of partition `partitionOf(count)` of `topicName`, created first by `create` if absent. */
  const leaderOf = async (topicName: string, create: () => Promise<void>, partitionOf: (partitions: number) => number): Promise<LocatedCoordinator> => {
    try {
      await create();
    } catch (err) {
      return unavailable(err instanceof KafkaError ? err.message : `creating ${topicName} failed`);
    }
    const topic = view.topic(topicName);
    if (!topic) return unavailable(`${topicName} is being created`);
    const partition = partitionOf(topic.partitions);
    const leader = view.partition(topic.topicId, partition)?.state.leader ?? -1;
    if (leader === nodeId) return { errorCode: ErrorCode.NONE, message: null, nodeId, ...self() };
    const endpoint = leader >= 0 ? view.broker(leader)?.endpoints[0] : undefined;
    if (!endpoint) return unavailable(`${topicName}-${partition} has no live leader`);
    return { errorCode: ErrorCode.NONE, message: null, nodeId: leader, host: endpoint.host, port: endpoint.port };
  };
  return {
    async group(groupId) {
      if (config.etcdEndpoints.length === 0) return { errorCode: ErrorCode.NONE, message: null, nodeId, ...self() };
      return leaderOf(OFFSETS_TOPIC, () => createOffsetsTopic(config, topics, view.brokers().length), (n) => partitionForGroup(groupId, n));
    },
    transaction(transactionalId) {
      return leaderOf(TXN_STATE_TOPIC, () => createTransactionStateTopic(config, topics, view.brokers().length), (n) => partitionForTransactionalId(transactionalId, n));
    },
  };
}
