/**
 * Replica assignment for new partitions: round robin over the live brokers, each partition's
 * replica list starting one broker further along, so leaders spread.
 */
import type { ClusterView } from './metadata/cluster-view.js';
import type { ReplicaAssigner } from './partition/topic-service.js';

export function roundRobinAssigner(view: ClusterView): ReplicaAssigner {
  return (_topic, from, to, replicationFactor) => {
    const ids = view.brokers().map((b) => b.nodeId);
    const out: number[][] = [];
    for (let p = from; p < to; p++) {
      out.push(Array.from({ length: Math.min(replicationFactor, ids.length) }, (_, r) => ids[(p + r) % ids.length]));
    }
    return out;
  };
}
