// Every group API answers for a group whose __consumer_offsets partition is not loaded on this
// broker as Kafka does: NOT_COORDINATOR, per group where the response has one; ListGroups lists
// only the groups of loaded partitions. Raw frames, so each error code is seen as sent.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type {
  DeleteGroupsResponse,
  DescribeGroupsResponse,
  HeartbeatResponse,
  JoinGroupResponse,
  LeaveGroupResponse,
  ListGroupsResponse,
  OffsetCommitResponse,
  OffsetDeleteResponse,
  OffsetFetchResponse,
  SyncGroupResponse,
} from '../../src/protocol/generated/index.js';

const TOPIC = 'not-coordinator-topic';
const GROUP = 'away-group';

let broker: RunningBroker;
let client: RawClient;
let correlation = 0;

before(async () => {
  broker = await startBroker({ port: 0, config: { 'offsets.topic.num.partitions': '4' } });
  const admin = new kafkajs.Kafka({ brokers: [broker.bootstrap], logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }] });
  await admin.disconnect();
  client = await RawClient.open(broker.bootstrap);
});
after(async () => {
  client.close();
  await broker.stop();
});

async function ask<T>(apiKey: number, version: number, body: unknown): Promise<T> {
  client.sendRequest(apiKey, version, ++correlation, body);
  const res = await client.response(apiKey, version);
  assert.ok(res, `API ${apiKey} v${version} was answered`);
  assert.equal(res.correlationId, correlation);
  return res.body as T;
}

const commitBody = (offset: bigint) => ({ groupId: GROUP, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: '' }] }] });

test('group APIs answer NOT_COORDINATOR for a group whose offsets partition was unloaded, and serve it again after a reload', async () => {
  const coordinator = broker.groupCoordinatorForTests;
  const commit = await ask<OffsetCommitResponse>(8, 8, commitBody(42n));
  assert.equal(commit.topics[0].partitions[0].errorCode, ErrorCode.NONE);
  const partition = coordinator.partitionFor(GROUP);
  coordinator.unloadPartition(partition, 1);

  const join = await ask<JoinGroupResponse>(11, 5, { groupId: GROUP, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] });
  assert.equal(join.errorCode, ErrorCode.NOT_COORDINATOR);
  const sync = await ask<SyncGroupResponse>(14, 5, { groupId: GROUP, generationId: 1, memberId: 'm', groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] });
  assert.equal(sync.errorCode, ErrorCode.NOT_COORDINATOR);
  const heartbeat = await ask<HeartbeatResponse>(12, 4, { groupId: GROUP, generationId: 1, memberId: 'm', groupInstanceId: null });
  assert.equal(heartbeat.errorCode, ErrorCode.NOT_COORDINATOR);
  const leave = await ask<LeaveGroupResponse>(13, 5, { groupId: GROUP, members: [{ memberId: 'm', groupInstanceId: null }] });
  assert.equal(leave.errorCode, ErrorCode.NOT_COORDINATOR);
  const leaveV0 = await ask<LeaveGroupResponse>(13, 0, { groupId: GROUP, memberId: 'm' });
  assert.equal(leaveV0.errorCode, ErrorCode.NOT_COORDINATOR);
  const commitAway = await ask<OffsetCommitResponse>(8, 8, commitBody(43n));
  assert.equal(commitAway.topics[0].partitions[0].errorCode, ErrorCode.NOT_COORDINATOR);

  const fetchV8 = await ask<OffsetFetchResponse>(9, 8, { groups: [{ groupId: GROUP, topics: null }], requireStable: false });
  assert.deepEqual(fetchV8.groups.map((g) => [g.groupId, g.errorCode, g.topics.length]), [[GROUP, ErrorCode.NOT_COORDINATOR, 0]]);
  const fetchV5 = await ask<OffsetFetchResponse>(9, 5, { groupId: GROUP, topics: [{ name: TOPIC, partitionIndexes: [0] }] });
  assert.equal(fetchV5.errorCode, ErrorCode.NOT_COORDINATOR);
  const fetchV1 = await ask<OffsetFetchResponse>(9, 1, { groupId: GROUP, topics: [{ name: TOPIC, partitionIndexes: [0] }] });
  assert.deepEqual(
    fetchV1.topics.map((t) => t.partitions.map((p) => [t.name, p.partitionIndex, p.committedOffset, p.errorCode])),
    [[[TOPIC, 0, -1n, ErrorCode.NOT_COORDINATOR]]],
    'v0-1 carry the error on each partition asked for',
  );

  const described = await ask<DescribeGroupsResponse>(15, 5, { groups: [GROUP], includeAuthorizedOperations: false });
  assert.deepEqual(described.groups.map((g) => [g.groupId, g.errorCode]), [[GROUP, ErrorCode.NOT_COORDINATOR]]);
  const listed = await ask<ListGroupsResponse>(16, 4, { statesFilter: [] });
  assert.equal(listed.errorCode, ErrorCode.NONE);
  assert.deepEqual(listed.groups.map((g) => g.groupId), [], 'a group of a partition not loaded here is not listed');
  const deleted = await ask<DeleteGroupsResponse>(42, 2, { groupsNames: [GROUP] });
  assert.deepEqual(deleted.results.map((r) => [r.groupId, r.errorCode]), [[GROUP, ErrorCode.NOT_COORDINATOR]]);
  const offsetDelete = await ask<OffsetDeleteResponse>(47, 0, { groupId: GROUP, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0 }] }] });
  assert.equal(offsetDelete.errorCode, ErrorCode.NOT_COORDINATOR);

  // The partition is back: the group, its offset and its listing return.
  assert.equal(await coordinator.loadPartition(partition, 2), 'loaded');
  const fetched = await ask<OffsetFetchResponse>(9, 8, { groups: [{ groupId: GROUP, topics: null }], requireStable: false });
  assert.deepEqual(
    fetched.groups.map((g) => [g.errorCode, g.topics.map((t) => [t.name, t.partitions.map((p) => p.committedOffset)])]),
    [[ErrorCode.NONE, [[TOPIC, [42n]]]]],
    'the offset committed before the unload, not the refused one',
  );
  const relisted = await ask<ListGroupsResponse>(16, 4, { statesFilter: [] });
  assert.deepEqual(relisted.groups.map((g) => [g.groupId, g.groupState]), [[GROUP, 'Empty']]);
});
