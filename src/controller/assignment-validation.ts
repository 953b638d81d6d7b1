/**
 * Checks of a replica assignment a client names, with Kafka's error codes and messages:
 * CreateTopics `assignments` as KRaft's ReplicationControlManager checks them, CreatePartitions
 * `assignments` as the ZooKeeper-era AdminZkClient did (BROKER_NOT_AVAILABLE for unknown brokers,
 * INVALID_REPLICA_ASSIGNMENT for the rest). Each returns the first problem, or null.
 */
import { ErrorCode } from '../protocol/error-codes.js';

export interface AssignmentProblem {
  readonly code: number;
  readonly message: string;
}

export interface ManualPartitionAssignment {
  readonly partition: number;
  readonly brokerIds: readonly number[];
}

function invalid(message: string): AssignmentProblem {
  return { code: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message };
}

/** One partition's replica list (KRaft's validateManualPartitionAssignment). */
function checkReplicaList(brokerIds: readonly number[], registered: ReadonlySet<number>, replicationFactor: number | null): AssignmentProblem | null {
  if (brokerIds.length === 0) return invalid('The manual partition assignment includes an empty replica list.');
  const sorted = [...brokerIds].sort((a, b) => a - b);
  let previous: number | null = null;
  for (const id of sorted) {
    if (!registered.has(id)) return invalid(`The manual partition assignment includes broker ${id}, but no such broker is registered.`);
    if (id === previous) return invalid(`The manual partition assignment includes the broker ${id} more than once.`);
    previous = id;
  }
  if (replicationFactor !== null && sorted.length !== replicationFactor) {
    return invalid(
      `The manual partition assignment includes a partition with ${sorted.length} replica(s), but this is not consistent with previous partitions, which have ${replicationFactor} replica(s).`,
    );
  }
  return null;
}

/** The target replicas of a reassignment (KRaft checks them as a manual assignment). */
export function validateReassignmentTarget(brokerIds: readonly number[], registered: ReadonlySet<number>): AssignmentProblem | null {
  return checkReplicaList(brokerIds, registered, null);
}

/**
 * CreateTopics with explicit assignments. `registered` are the brokers with a registration,
 * `live` those that may lead now (a partition with no live replica cannot be created).
 */
export function validateTopicAssignment(assignments: readonly ManualPartitionAssignment[], registered: ReadonlySet<number>, live: ReadonlySet<number>): AssignmentProblem | null {
  const seen = new Set<number>();
  let replicationFactor: number | null = null;
  for (const a of assignments) {
    if (seen.has(a.partition)) return invalid(`Found multiple manual partition assignments for partition ${a.partition}`);
    seen.add(a.partition);
    const problem = checkReplicaList(a.brokerIds, registered, replicationFactor);
    if (problem) return problem;
    replicationFactor = a.brokerIds.length;
    if (!a.brokerIds.some((id) => live.has(id))) {
      return invalid(`All brokers specified in the manual partition assignment for partition ${a.partition} are fenced or in controlled shutdown.`);
    }
  }
  for (let p = 0; p < seen.size; p++) {
    if (!seen.has(p)) return invalid('partitions should be a consecutive 0-based integer sequence');
  }
  return null;
}

/**
 * CreatePartitions with explicit assignments for the `added` new partitions, numbered from
 * `firstPartition`, of a topic whose partitions have `replicationFactor` replicas.
 */
export function validateAddedAssignment(
  assignments: readonly (readonly number[])[],
  added: number,
  firstPartition: number,
  replicationFactor: number,
  available: ReadonlySet<number>,
): AssignmentProblem | null {
  if (assignments.length !== added) return invalid(`Increasing the number of partitions by ${added} but ${assignments.length} assignments provided.`);
  const bad: [number, number][] = [];
  for (let i = 0; i < assignments.length; i++) {
    const replicas = assignments[i];
    const partition = firstPartition + i;
    if (replicas.length === 0) return invalid(`Cannot have replication factor of 0 for partition id ${partition}.`);
    if (new Set(replicas).size !== replicas.length) {
      return invalid(`Duplicate brokers not allowed in replica assignment: ${replicas.join(', ')} for partition id ${partition}.`);
    }
    if (!replicas.every((r) => available.has(r))) {
      return {
        code: ErrorCode.BROKER_NOT_AVAILABLE,
        message: `Some brokers specified for partition id ${partition} are not available. Specified brokers: ${replicas.join(', ')}, available brokers: ${[...available].sort((a, b) => a - b).join(', ')}.`,
      };
    }
    if (replicas.length !== replicationFactor) bad.push([partition, replicas.length]);
  }
  if (bad.length > 0) {
    return invalid(
      `Inconsistent replication factor between partitions, partition 0 has ${replicationFactor} while partitions [${bad.map(([p]) => p).join(', ')}] have replication factors [${bad.map(([, rf]) => rf).join(', ')}], respectively.`,
    );
  }
  return null;
}
