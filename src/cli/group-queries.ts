/**
 * What the `groups` commands ask a broker, through the project's own client: group listings,
 * descriptions with committed offsets, offset commits and deletions. Which broker is asked is
 * cluster-routes.ts's business.
 */
import type { KafkaConnection } from '../client/kafka-connection.js';
import {
  decodeConsumerProtocolAssignment,
  type DeleteGroupsResponse,
  type DescribeGroupsResponse,
  type ListGroupsResponse,
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

/** DeleteGroups for one group, sent to its coordinator; its error code. */
export async function deleteGroup(coordinator: KafkaConnection, groupId: string): Promise<number> {
  const res = await coordinator.request<DeleteGroupsResponse>(42, 2, { groupsNames: [groupId] });
  return res.results[0]?.errorCode ?? -1;
}
