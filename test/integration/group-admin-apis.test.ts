// Group admin APIs on the wire: FindCoordinator with batched keys (v4+), ListGroups with a state
// filter, DescribeGroups, OffsetFetch for several groups (v8+), OffsetDelete and DeleteGroups.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { kcat } from '../helpers/kcat.js';
import type { DeleteGroupsResponse, DescribeGroupsResponse, FindCoordinatorResponse, ListGroupsResponse, OffsetCommitResponse, OffsetDeleteResponse, OffsetFetchResponse } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';

let broker: RunningBroker;
let c: RawClient;
let id = 1;

before(async () => {
  broker = await startBroker({ port: 0, config: { 'offsets.topic.num.partitions': '4' } });
  await kcat(['-b', broker.bootstrap, '-P', '-t', 'admin-topic'], 'x\ny\n');
  c = await RawClient.open(broker.bootstrap);
});
after(async () => {
  c.close();
  await broker.stop();
});

async function call<T>(apiKey: number, version: number, body: unknown): Promise<T> {
  c.sendRequest(apiKey, version, id++, body);
  return (await c.response(apiKey, version))?.body as T;
}

const commit = (groupId: string, offset: bigint) =>
  call<OffsetCommitResponse>(8, 8, { groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: 'admin-topic', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: 'why' }] }] });

test('FindCoordinator v4 answers each key with this broker', async () => {
  const res = await call<FindCoordinatorResponse>(10, 4, { keyType: 0, coordinatorKeys: ['g1', 'g2'] });
  assert.deepEqual(res.coordinators.map((x) => [x.key, x.nodeId, x.port, x.errorCode]), [['g1', 1, broker.port, 0], ['g2', 1, broker.port, 0]]);
  const v0 = await call<FindCoordinatorResponse>(10, 0, { key: 'g1' });
  assert.equal(v0.nodeId, 1);
});

test('commits, OffsetFetch of several groups, ListGroups filters, DescribeGroups, OffsetDelete, DeleteGroups', async () => {
  assert.equal((await commit('ga', 1n)).topics[0].partitions[0].errorCode, 0);
  assert.equal((await commit('gb', 2n)).topics[0].partitions[0].errorCode, 0);
  const bad = await call<OffsetCommitResponse>(8, 8, { groupId: 'ga', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: 'missing-topic', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }] });
  assert.equal(bad.topics[0].partitions[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const fetched = await call<OffsetFetchResponse>(9, 8, { groups: [{ groupId: 'ga', topics: null }, { groupId: 'gb', topics: [{ name: 'admin-topic', partitionIndexes: [0, 1] }] }, { groupId: 'nobody', topics: null }], requireStable: false });
  assert.deepEqual(
    fetched.groups.map((g) => [g.groupId, g.errorCode, g.topics.flatMap((t) => t.partitions.map((p) => [t.name, p.partitionIndex, p.committedOffset, p.metadata]))]),
    [
      ['ga', 0, [['admin-topic', 0, 1n, 'why']]],
      ['gb', 0, [['admin-topic', 0, 2n, 'why'], ['admin-topic', 1, -1n, '']]],
      ['nobody', 0, []],
    ],
  );
  const listed = await call<ListGroupsResponse>(16, 4, { statesFilter: ['Empty'] });
  assert.deepEqual(listed.groups.map((g) => [g.groupId, g.groupState]).sort(), [['ga', 'Empty'], ['gb', 'Empty']]);
  assert.deepEqual((await call<ListGroupsResponse>(16, 4, { statesFilter: ['Stable'] })).groups, []);
  const described = await call<DescribeGroupsResponse>(15, 5, { groups: ['ga', 'unknown'], includeAuthorizedOperations: false });
  assert.deepEqual(described.groups.map((g) => [g.groupId, g.groupState, g.members.length]), [['ga', 'Empty', 0], ['unknown', 'Dead', 0]]);
  const deleted = await call<OffsetDeleteResponse>(47, 0, { groupId: 'ga', topics: [{ name: 'admin-topic', partitions: [{ partitionIndex: 0 }] }] });
  assert.equal(deleted.errorCode, 0);
  assert.equal(deleted.topics[0].partitions[0].errorCode, 0);
  const after = await call<OffsetFetchResponse>(9, 5, { groupId: 'ga', topics: [{ name: 'admin-topic', partitionIndexes: [0] }] });
  assert.equal(after.topics[0].partitions[0].committedOffset, -1n);
  const groupsDeleted = await call<DeleteGroupsResponse>(42, 2, { groupsNames: ['gb', 'never-existed'] });
  assert.deepEqual(groupsDeleted.results.map((r) => [r.groupId, r.errorCode]), [['gb', 0], ['never-existed', ErrorCode.GROUP_ID_NOT_FOUND]]);
});
