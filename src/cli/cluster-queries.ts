/**
 * What the `cluster`, `topic` and `leader` commands ask brokers, through the project's own client:
 * the cluster's brokers and controller (Metadata), every topic with its partition and replica
 * counts, one topic's partitions with leader, replicas, ISR and offline replicas, leader elections
 * and partition reassignments sent to the controller (ElectLeaders, AlterPartitionReassignments,
 * ListPartitionReassignments).
 */
import { KafkaConnection } from '../client/kafka-connection.js';
import type { AlterPartitionReassignmentsResponse, ElectLeadersResponse, ListPartitionReassignmentsResponse, MetadataResponse } from '../protocol/generated/index.js';
import { describeError } from '../protocol/error-codes.js';
import { CliError, check } from './group-queries.js';
import { saslFromEnvironment } from './sasl-env.js';
import { tlsFromEnvironment } from './tls-env.js';

const NO_TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAA';

export interface ClusterInfo {
  clusterId: string | null;
  controllerId: number;
  brokers: { nodeId: number; host: string; port: number; rack: string | null }[];
}

export async function clusterInfo(c: KafkaConnection): Promise<ClusterInfo> {
  const res = await c.request<MetadataResponse>(3, 12, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  return { clusterId: res.clusterId, controllerId: res.controllerId, brokers: [...res.brokers].sort((a, b) => a.nodeId - b.nodeId) };
}

export interface PartitionInfo {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offline: number[];
}

export interface TopicInfo {
  name: string;
  topicId: string;
  partitions: PartitionInfo[];
}

export async function describeTopic(c: KafkaConnection, topic: string): Promise<TopicInfo> {
  const res = await c.request<MetadataResponse>(3, 12, { topics: [{ name: topic, topicId: NO_TOPIC_ID }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  const t = res.topics[0];
  check(t.errorCode, `topic ${topic}`);
  const partitions = t.partitions
    .map((p) => ({ partition: p.partitionIndex, leader: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: p.replicaNodes, isr: p.isrNodes, offline: p.offlineReplicas }))
    .sort((a, b) => a.partition - b.partition);
  return { name: topic, topicId: t.topicId, partitions };
}

export interface TopicSummary {
  topic: string;
  internal: boolean;
  partitions: number;
  /** The most replicas any of its partitions has. */
  replicas: number;
}

/** Every topic the broker lists (internal ones flagged), sorted by name. One Metadata request for all topics. */
export async function listTopics(c: KafkaConnection): Promise<TopicSummary[]> {
  const res = await c.request<MetadataResponse>(3, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  return res.topics
    // A topic answered with an error (a partition without a leader, say) still exists: listed too.
    .filter((t) => t.name !== null)
    .map((t) => ({ topic: t.name ?? '', internal: t.isInternal, partitions: t.partitions.length, replicas: Math.max(0, ...t.partitions.map((p) => p.replicaNodes.length)) }))
    .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
}

/** A connection to the cluster's controller, found through `c`'s Metadata. */
export async function connectToController(c: KafkaConnection): Promise<KafkaConnection> {
  const info = await clusterInfo(c);
  const controller = info.brokers.find((b) => b.nodeId === info.controllerId);
  if (!controller) throw new CliError(info.controllerId < 0 ? 'the cluster has no controller right now; try again' : `the controller, broker ${info.controllerId}, is not among the live brokers`);
  return KafkaConnection.open(`${controller.host}:${controller.port}`, 10_000, 'tributary-cli', saslFromEnvironment(), tlsFromEnvironment());
}

export interface ElectionRow {
  topic: string;
  partition: number;
  errorCode: number;
  errorMessage: string | null;
}

/** ElectLeaders at the controller; `partitions` null means every partition of the cluster. */
export async function electLeaders(c: KafkaConnection, unclean: boolean, partitions: { topic: string; partitions: number[] }[] | null): Promise<ElectionRow[]> {
  const controller = await connectToController(c);
  try {
    const res = await controller.request<ElectLeadersResponse>(43, 2, { electionType: unclean ? 1 : 0, topicPartitions: partitions, timeoutMs: 30_000 }, 60_000);
    check(res.errorCode, 'ElectLeaders');
    return res.replicaElectionResults.flatMap((t) => t.partitionResult.map((p) => ({ topic: t.topic, partition: p.partitionId, errorCode: p.errorCode, errorMessage: p.errorMessage })));
  } finally {
    controller.close();
  }
}

export function errorName(code: number): string {
  return describeError(code)?.name ?? String(code);
}

/** Runs `fn` on a connection to the controller. */
async function atController<T>(c: KafkaConnection, fn: (controller: KafkaConnection) => Promise<T>): Promise<T> {
  const controller = await connectToController(c);
  try {
    return await fn(controller);
  } finally {
    controller.close();
  }
}

/** AlterPartitionReassignments for one partition: to `replicas`, or (null) cancel the one under way. */
export async function reassignPartition(c: KafkaConnection, topic: string, partition: number, replicas: number[] | null): Promise<void> {
  const res = await atController(c, (controller) =>
    controller.request<AlterPartitionReassignmentsResponse>(45, 0, { timeoutMs: 30_000, topics: [{ name: topic, partitions: [{ partitionIndex: partition, replicas }] }] }, 60_000),
  );
  check(res.errorCode, 'AlterPartitionReassignments');
  const p = res.responses[0]?.partitions[0];
  if (!p) throw new CliError('AlterPartitionReassignments: the controller answered nothing for the partition');
  if (p.errorCode !== 0) throw new CliError(`${topic}-${partition}: ${errorName(p.errorCode)}: ${p.errorMessage ?? ''}`);
}

export interface OngoingReassignment {
  topic: string;
  partition: number;
  replicas: number[];
  adding: number[];
  removing: number[];
}

/** The reassignments under way, all or those of `topic`. */
export async function listReassignments(c: KafkaConnection, topic?: string): Promise<OngoingReassignment[]> {
  const topics = topic === undefined ? null : [{ name: topic, partitionIndexes: (await describeTopic(c, topic)).partitions.map((p) => p.partition) }];
  const res = await atController(c, (controller) => controller.request<ListPartitionReassignmentsResponse>(46, 0, { timeoutMs: 30_000, topics }, 60_000));
  check(res.errorCode, 'ListPartitionReassignments');
  return res.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas, adding: p.addingReplicas, removing: p.removingReplicas })));
}

export interface ClusterHealth {
  healthy: boolean;
  controllerId: number;
  liveBrokers: number[];
  /** Brokers that replicas name but that are not live. */
  brokersDown: number[];
  leaderlessPartitions: string[];
  underReplicatedPartitions: string[];
}

/** rpk's `cluster health`: brokers down, leaderless and under-replicated partitions, from one Metadata of every topic. */
export async function clusterHealth(c: KafkaConnection): Promise<ClusterHealth> {
  const res = await c.request<MetadataResponse>(3, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  const live = new Set(res.brokers.map((b) => b.nodeId));
  const down = new Set<number>();
  const leaderless: string[] = [];
  const under: string[] = [];
  for (const t of res.topics) {
    for (const p of t.partitions) {
      const name = `${t.name}-${p.partitionIndex}`;
      for (const r of p.replicaNodes) if (!live.has(r)) down.add(r);
      if (p.leaderId < 0) leaderless.push(name);
      else if (p.isrNodes.length < p.replicaNodes.length) under.push(name);
    }
  }
  const byName = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });
  return {
    healthy: down.size === 0 && leaderless.length === 0 && under.length === 0 && res.controllerId >= 0,
    controllerId: res.controllerId,
    liveBrokers: [...live].sort((a, b) => a - b),
    brokersDown: [...down].sort((a, b) => a - b),
    leaderlessPartitions: leaderless.sort(byName),
    underReplicatedPartitions: under.sort(byName),
  };
}
