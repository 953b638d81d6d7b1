/**
 * What the `cluster`, `topic` and `leader` commands ask brokers, through the project's own client:
 * the cluster's brokers and controller (Metadata), one topic's partitions with leader, replicas,
 * ISR and offline replicas, and leader elections sent to the controller (ElectLeaders).
 */
import { KafkaConnection } from '../client/kafka-connection.js';
import type { ElectLeadersResponse, MetadataResponse } from '../protocol/generated/index.js';
import { describeError } from '../protocol/error-codes.js';
import { CliError, check } from './group-queries.js';

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

/** A connection to the cluster's controller, found through `c`'s Metadata. */
export async function connectToController(c: KafkaConnection): Promise<KafkaConnection> {
  const info = await clusterInfo(c);
  const controller = info.brokers.find((b) => b.nodeId === info.controllerId);
  if (!controller) throw new CliError(info.controllerId < 0 ? 'the cluster has no controller right now; try again' : `the controller, broker ${info.controllerId}, is not among the live brokers`);
  return KafkaConnection.open(`${controller.host}:${controller.port}`);
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
