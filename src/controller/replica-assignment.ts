/**
 * Where the replicas of new partitions go, and whether an assignment a client names is acceptable.
 * Pure functions: the caller passes the live brokers and the randomness, so tests are deterministic.
 *
 * The automatic assignment is Kafka's (AdminUtils.assignReplicasToBrokers): brokers sorted by id,
 * partition p's first replica at (p + startIndex) mod n, followers at a shift from it that grows by
 * one every n partitions, so leaders and followers both spread evenly. With `broker.rack` on every
 * broker the list is first arranged to alternate racks and a follower is skipped while a rack (or
 * broker) without a replica remains. Partitions added to a topic continue from its partition 0.
 */
import { ErrorCode, KafkaError } from '../protocol/error-codes.js';

export interface AssignableBroker {
  readonly nodeId: number;
  /** broker.rack, or null. */
  readonly rack: string | null;
}

/** Randomness for the start index and shift: an integer in [0, n). */
export type RandomInt = (n: number) => number;

export const mathRandomInt: RandomInt = (n) => Math.floor(Math.random() * n);

export interface AssignmentRequest {
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Kafka's fixedStartIndex: ≥ 0 fixes both the start index and the replica shift (used when adding partitions). */
  readonly fixedStartIndex?: number;
  /** The number of the first partition to assign (the topic's current count when adding). */
  readonly startPartition?: number;
}

/** Replica lists, index i for partition startPartition + i. */
export function assignReplicas(brokers: readonly AssignableBroker[], request: AssignmentRequest, random: RandomInt): number[][] {
  const { partitions, replicationFactor } = request;
  if (partitions <= 0) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions must be larger than 0.');
  if (replicationFactor <= 0) throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0.');
  if (replicationFactor > brokers.length) {
    throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, `Replication factor: ${replicationFactor} larger than available brokers: ${brokers.length}.`);
  }
  const sorted = [...brokers].sort((a, b) => a.nodeId - b.nodeId);
  // Kafka's RackAwareMode.Safe: racks are used only when every broker has one.
  const rackAware = sorted.every((b) => b.rack !== null);
  return rackAware ? assignRackAware(sorted, request, random) : assignRackUnaware(sorted.map((b) => b.nodeId), request, random);
}

function replicaIndex(firstReplicaIndex: number, shift: number, replica: number, brokers: number): number {
  return (firstReplicaIndex + 1 + ((shift + replica) % (brokers - 1))) % brokers;
}

/** Kafka's two draws, start index first, then the replica shift; a fixed start index fixes both. */
function starts(n: number, request: AssignmentRequest, random: RandomInt): { startIndex: number; shift: number; first: number } {
  const fixed = request.fixedStartIndex ?? -1;
  const startIndex = fixed >= 0 ? fixed : random(n);
  const shift = fixed >= 0 ? fixed : random(n);
  return { startIndex, shift, first: Math.max(0, request.startPartition ?? 0) };
}

function assignRackUnaware(ids: readonly number[], request: AssignmentRequest, random: RandomInt): number[][] {
  const n = ids.length;
  const { startIndex, first, shift: initialShift } = starts(n, request, random);
  let shift = initialShift;
  const out: number[][] = [];
  for (let p = first; p < first + request.partitions; p++) {
    if (p > 0 && p % n === 0) shift++;
    const firstIndex = (p + startIndex) % n;
    const replicas = [ids[firstIndex]];
    for (let j = 0; j < request.replicationFactor - 1; j++) replicas.push(ids[replicaIndex(firstIndex, shift, j, n)]);
    out.push(replicas);
  }
  return out;
}

/** Kafka's getRackAlternatedBrokerList: racks sorted, brokers of each sorted, taken one rack at a time. */
export function rackAlternatedBrokers(brokers: readonly AssignableBroker[]): number[] {
  const byRack = new Map<string, number[]>();
  for (const b of [...brokers].sort((x, y) => x.nodeId - y.nodeId)) {
    const rack = b.rack ?? '';
    byRack.set(rack, [...(byRack.get(rack) ?? []), b.nodeId]);
  }
  const racks = [...byRack.keys()].sort();
  const cursors = racks.map(() => 0);
  const out: number[] = [];
  for (let r = 0; out.length < brokers.length; r = (r + 1) % racks.length) {
    const list = byRack.get(racks[r]) ?? [];
    if (cursors[r] < list.length) out.push(list[cursors[r]++]);
  }
  return out;
}

function assignRackAware(brokers: readonly AssignableBroker[], request: AssignmentRequest, random: RandomInt): number[][] {
  const rackOf = new Map(brokers.map((b) => [b.nodeId, b.rack ?? '']));
  const racks = new Set(rackOf.values()).size;
  const arranged = rackAlternatedBrokers(brokers);
  const n = arranged.length;
  const { startIndex, first, shift: initialShift } = starts(n, request, random);
  let shift = initialShift;
  const out: number[][] = [];
  for (let p = first; p < first + request.partitions; p++) {
    if (p > 0 && p % n === 0) shift++;
    const firstIndex = (p + startIndex) % n;
    const leader = arranged[firstIndex];
    const replicas = [leader];
    const racksUsed = new Set([rackOf.get(leader)]);
    const brokersUsed = new Set([leader]);
    let k = 0;
    for (let j = 0; j < request.replicationFactor - 1; j++) {
      for (;;) {
        const broker = arranged[replicaIndex(firstIndex, shift * racks, k++, n)];
        const rack = rackOf.get(broker);
        // Skip a broker whose rack already has a replica while a rack without one remains, and a
        // broker already holding one while a broker without one remains.
        const rackOk = !racksUsed.has(rack) || racksUsed.size === racks;
        const brokerOk = !brokersUsed.has(broker) || brokersUsed.size === n;
        if (rackOk && brokerOk) {
          replicas.push(broker);
          racksUsed.add(rack);
          brokersUsed.add(broker);
          break;
        }
      }
    }
    out.push(replicas);
  }
  return out;
}

/**
 * Replicas for partitions added to a topic, continuing its assignment as Kafka's addPartitions
 * does: the replication factor of partition 0, the start at the first broker whose id is at least
 * partition 0's first replica, partition numbers after the existing ones.
 */
export function assignAddedPartitions(brokers: readonly AssignableBroker[], existing: readonly (readonly number[])[], added: number, random: RandomInt): number[][] {
  const partition0 = existing[0];
  if (!partition0 || partition0.length === 0) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The topic has no replica assignment for partition 0.');
  const sorted = [...brokers].sort((a, b) => a.nodeId - b.nodeId);
  const startIndex = Math.max(0, sorted.findIndex((b) => b.nodeId >= partition0[0]));
  return assignReplicas(sorted, { partitions: added, replicationFactor: partition0.length, fixedStartIndex: startIndex, startPartition: existing.length }, random);
}
