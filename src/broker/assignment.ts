/**
 * Replica placement for new topics and partitions with Kafka's rules, over the brokers alive now:
 * chosen by Kafka's algorithm (controller/replica-assignment.ts: spread leaders and followers,
 * rack-aware when every broker has a rack; added partitions continue the topic's assignment), or
 * named by the client and checked as Kafka checks them (controller/assignment-validation.ts).
 */
import type { ClusterView } from '../metadata/cluster-view.js';
import type { ReplicaPlacement } from '../partition/topic-service.js';
import { assignAddedPartitions, assignReplicas, mathRandomInt } from '../controller/replica-assignment.js';
import { validateAddedAssignment, validateTopicAssignment } from '../controller/assignment-validation.js';

export function kafkaAssigner(view: ClusterView): ReplicaPlacement {
  const registered = () => new Set(view.brokers().map((b) => b.nodeId));
  return {
    assign(topic, from, to, replicationFactor) {
      const brokers = view.brokers().map((b) => ({ nodeId: b.nodeId, rack: b.rack }));
      if (from === 0) return assignReplicas(brokers, { partitions: to - from, replicationFactor }, mathRandomInt);
      const existing = view.topic(topic);
      const assigned = existing ? Array.from({ length: from }, (_, p) => [...(view.partition(existing.topicId, p)?.state.replicas ?? [])]) : [];
      return assignAddedPartitions(brokers, assigned, to - from, mathRandomInt);
    },
    // The view lists live registrations only, so registered and live are the same brokers here.
    checkTopicAssignment: (assignments) => {
      const brokers = registered();
      return validateTopicAssignment(assignments, brokers, brokers);
    },
    checkAddedAssignment: (assignments, added, firstPartition, replicationFactor) => validateAddedAssignment(assignments, added, firstPartition, replicationFactor, registered()),
  };
}
