/**
 * Where a group's coordinator is, as FindCoordinator answers it: the leader of the group's
 * __consumer_offsets partition (Kafka's rule). In a cluster the topic is created at the first
 * request, once brokers are up (as Kafka does); while the partition has no live leader the answer
 * is COORDINATOR_NOT_AVAILABLE, which clients retry.
 */
import type { BrokerConfig } from '../config/broker-configs.js';
import type { ClusterView } from '../metadata/cluster-view.js';
import type { TopicService } from '../partition/topic-service.js';
import type { CoordinatorLocator, LocatedCoordinator } from '../api/services.js';
import { ErrorCode, KafkaError } from '../protocol/error-codes.js';
import { partitionForGroup } from '../coordinator/group/records.js';
import { OFFSETS_TOPIC, createOffsetsTopic } from './groups.js';

export function coordinatorLocator(config: BrokerConfig, view: ClusterView, topics: TopicService, self: () => { host: string; port: number }): CoordinatorLocator {
  const nodeId = config.nodeId;
  const unavailable = (message: string): LocatedCoordinator => ({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, message, nodeId: -1, host: '', port: -1 });
  return {
    async group(groupId) {
      if (config.etcdEndpoints.length === 0) return { errorCode: ErrorCode.NONE, message: null, nodeId, ...self() };
      try {
        await createOffsetsTopic(config, topics, view.brokers().length);
      } catch (err) {
        return unavailable(err instanceof KafkaError ? err.message : `creating ${OFFSETS_TOPIC} failed`);
      }
      const topic = view.topic(OFFSETS_TOPIC);
      if (!topic) return unavailable(`${OFFSETS_TOPIC} is being created`);
      const partition = partitionForGroup(groupId, topic.partitions);
      const leader = view.partition(topic.topicId, partition)?.state.leader ?? -1;
      if (leader === nodeId) return { errorCode: ErrorCode.NONE, message: null, nodeId, ...self() };
      const endpoint = leader >= 0 ? view.broker(leader)?.endpoints[0] : undefined;
      if (!endpoint) return unavailable(`${OFFSETS_TOPIC}-${partition} has no live leader`);
      return { errorCode: ErrorCode.NONE, message: null, nodeId: leader, host: endpoint.host, port: endpoint.port };
    },
  };
}
