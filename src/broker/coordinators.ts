/**
 * Where a group's or a transactional id's coordinator is, as FindCoordinator answers it: the
 * leader of the group's __consumer_offsets partition, or of the id's __transaction_state
 * partition (Kafka's rule). The offsets topic is created at the first request in a cluster (a
 * lone broker creates it at start), the transaction state topic at the first request everywhere,
 * as Kafka does; while the partition has no live leader the answer is COORDINATOR_NOT_AVAILABLE,
 * which clients retry. The address is the coordinator's on the listener the request came in on
 * (COORDINATOR_NOT_AVAILABLE if it has no such listener).
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

export function coordinatorLocator(config: BrokerConfig, view: ClusterView, topics: TopicService, self: (listenerName: string) => { host: string; port: number } | null): CoordinatorLocator {
  const nodeId = config.nodeId;
  const unavailable = (message: string): LocatedCoordinator => ({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, message, nodeId: -1, host: '', port: -1 });
  /** The leader of partition `partitionOf(count)` of `topicName`, created first by `create` if absent. */
  const here = (listenerName: string): LocatedCoordinator => {
    const endpoint = self(listenerName);
    return endpoint ? { errorCode: ErrorCode.NONE, message: null, nodeId, ...endpoint } : unavailable(`this broker has no listener ${listenerName}`);
  };
  const leaderOf = async (topicName: string, listenerName: string, create: () => Promise<void>, partitionOf: (partitions: number) => number): Promise<LocatedCoordinator> => {
    try {
      await create();
    } catch (err) {
      return unavailable(err instanceof KafkaError ? err.message : `creating ${topicName} failed`);
    }
    const topic = view.topic(topicName);
    if (!topic) return unavailable(`${topicName} is being created`);
    const partition = partitionOf(topic.partitions);
    const leader = view.partition(topic.topicId, partition)?.state.leader ?? -1;
    if (leader === nodeId) return here(listenerName);
    const broker = leader >= 0 ? view.broker(leader) : undefined;
    if (!broker) return unavailable(`${topicName}-${partition} has no live leader`);
    const endpoint = broker.endpoints.find((e) => e.name === listenerName);
    if (!endpoint) return unavailable(`broker ${leader}, the leader of ${topicName}-${partition}, has no listener ${listenerName}`);
    return { errorCode: ErrorCode.NONE, message: null, nodeId: leader, host: endpoint.host, port: endpoint.port };
  };
  return {
    async group(groupId, listenerName) {
      if (config.etcdEndpoints.length === 0) return here(listenerName);
      return leaderOf(OFFSETS_TOPIC, listenerName, () => createOffsetsTopic(config, topics, view.brokers().length), (n) => partitionForGroup(groupId, n));
    },
    transaction(transactionalId, listenerName) {
      return leaderOf(TXN_STATE_TOPIC, listenerName, () => createTransactionStateTopic(config, topics, view.brokers().length), (n) => partitionForTransactionalId(transactionalId, n));
    },
  };
}
