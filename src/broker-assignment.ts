/**
 * Replica assignment for new topics and partitions with Kafka's algorithm (controller/
 * replica-assignment.ts: spread leaders and followers, rack-aware when every broker has a rack),
 * over the brokers alive now. Added partitions continue the topic's assignment.
 */
import type { ClusterView } from './metadata/cluster-view.js';
import type { ReplicaAssigner } from './partition/topic-service.js';
import { assignAddedPartitions, assignReplicas, mathRandomInt } from './controller/replica-assignment.js';

export function kafkaAssigner(view: ClusterView): ReplicaAssigner {
  return (topic, from, to, replicationFactor) => {
    const brokers = view.brokers().map((b) => ({ nodeId: b.nodeId, rack: b.rack }));
    if (from === 0) return assignReplicas(brokers, { partitions: to - from, replicationFactor }, mathRandomInt);
    const existing = view.topic(topic);
    const assigned = existing ? Array.from({ length: from }, (_, p) => [...(view.partition(existing.topicId, p)?.state.replicas ?? [])]) : [];
    return assignAddedPartitions(brokers, assigned, to - from, mathRandomInt);
  };
}
