/**
 * What the `groups` commands ask a broker, through the project's own client: group listings,
 * descriptions with committed offsets and lag, and offset resets.
 */
import type { KafkaConnection } from '../client/kafka-connection.js';
import {
  decodeConsumerProtocolAssignment,
  type DeleteGroupsResponse,
  type DescribeGroupsResponse,
  type FindCoordinatorResponse,
  type ListGroupsResponse,
  type ListOffsetsResponse,
  type MetadataResponse,
  type OffsetCommitResponse,
  type OffsetFetchResponse,
} from '../protocol/generated/index.js';
import { Reader } from '../protocol/reader.js';
import { describeError } from '../protocol/error-codes.js';

export class CliError extends Error {}

export function check(code: number, what: string): void {
  if (code !== 0) throw new CliError(`${what}: ${describeError(code)?.name ?? code} (${describeError(code)?.message ?? 'unknown error'})`);
}

export async function listGroups(c: KafkaConnection): Promise<ListGroupsResponse['groups']> {
  const res = await c.request<ListGroupsResponse>(16, 4, { statesFilter: [] });
  check(res.errorCode, 'ListGroups');
  return res.groups;
}

export async function describeGroup(c: KafkaConnection, groupId: string): Promise<DescribeGroupsResponse['groups'][number]> {
  const res = await c.request<DescribeGroupsResponse>(15, 5, { groups: [groupId], includeAuthorizedOperations: false });
  check(res.groups[0].errorCode, `DescribeGroups ${groupId}`);
  return res.groups[0];
}

/** The partitions a "consumer" protocol assignment names, as "topic-partition" strings. */
export function assignedPartitions(assignment: Buffer): string[] {
  if (assignment.length < 2) return [];
  try {
    const r = new Reader(assignment);
    const version = r.int16();
    const a = decodeConsumerProtocolAssignment(r, Math.min(version, 3));
    return a.assignedPartitions.flatMap((t) => t.partitions.map((p) => `${t.topic}-${p}`));
  } catch {
    return ['(unreadable assignment)'];
  }
}

export interface CommittedRow {
  topic: string;
  partition: number;
  offset: bigint;
}

export async function committedOffsets(c: KafkaConnection, groupId: string): Promise<CommittedRow[]> {
  const res = await c.request<OffsetFetchResponse>(9, 8, { groups: [{ groupId, topics: null }], requireStable: false });
  const g = res.groups[0];
  check(g.errorCode, `OffsetFetch ${groupId}`);
  return g.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset })));
}

/** ListOffsets for partitions at a timestamp (-1 latest, -2 earliest); -1 where none. */
export async function offsetsAt(c: KafkaConnection, partitions: { topic: string; partition: number }[], timestamp: bigint): Promise<Map<string, bigint>> {
  const byTopic = new Map<string, number[]>();
  for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
  const res = await c.request<ListOffsetsResponse>(2, 7, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [...byTopic].map(([name, ps]) => ({ name, partitions: ps.map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp })) })),
  });
  const out = new Map<string, bigint>();
  for (const t of res.topics) for (const p of t.partitions) out.set(`${t.name}-${p.partitionIndex}`, p.errorCode === 0 ? p.offset : -1n);
  return out;
}

export async function topicPartitions(c: KafkaConnection, topic: string): Promise<number[]> {
  const res = await c.request<MetadataResponse>(3, 12, { topics: [{ name: topic, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  const t = res.topics[0];
  check(t.errorCode, `topic ${topic}`);
  return t.partitions.map((p) => p.partitionIndex).sort((a, b) => a - b);
}

export async function commitOffsets(c: KafkaConnection, groupId: string, offsets: CommittedRow[]): Promise<void> {
  const byTopic = new Map<string, CommittedRow[]>();
  for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), o]);
  const res = await c.request<OffsetCommitResponse>(8, 8, {
    groupId,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    topics: [...byTopic].map(([name, rows]) => ({ name, partitions: rows.map((r) => ({ partitionIndex: r.partition, committedOffset: r.offset, committedLeaderEpoch: -1, committedMetadata: '' })) })),
  });
  for (const t of res.topics) for (const p of t.partitions) check(p.errorCode, `OffsetCommit ${t.name}-${p.partitionIndex}`);
}

/** DeleteGroups for each group at its coordinator (FindCoordinator first), answered per group. */
export async function deleteGroups(c: KafkaConnection, groupIds: string[], open: (address: string) => Promise<KafkaConnection>): Promise<{ groupId: string; errorCode: number }[]> {
  const out: { groupId: string; errorCode: number }[] = [];
  for (const groupId of groupIds) {
    const found = await c.request<FindCoordinatorResponse>(10, 4, { keyType: 0, coordinatorKeys: [groupId] });
    const coordinator = found.coordinators[0];
    if (!coordinator || coordinator.errorCode !== 0) {
      out.push({ groupId, errorCode: coordinator?.errorCode ?? -1 });
      continue;
    }
    const at = await open(`${coordinator.host}:${coordinator.port}`);
    try {
      const res = await at.request<DeleteGroupsResponse>(42, 2, { groupsNames: [groupId] });
      out.push({ groupId, errorCode: res.results[0]?.errorCode ?? -1 });
    } finally {
      at.close();
    }
  }
  return out;
}
