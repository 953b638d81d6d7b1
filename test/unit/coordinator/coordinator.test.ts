// The group coordinator's offsets and persistence, on an in-memory __consumer_offsets and a manual clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualScheduler } from '../../../src/coordinator/scheduler.js';
import { GroupCoordinator, type CoordinatorConfig, type KeyValue, type OffsetsLogEntry, type OffsetsTopic } from '../../../src/coordinator/group/coordinator.js';
import { appendRecords } from './offsets-log-twin.js';
import { groupKey, groupValue, offsetKey, offsetValue, parseGroupValue, parseKey, parseOffsetValue, partitionForGroup } from '../../../src/coordinator/group/records.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';

const CONFIG: CoordinatorConfig = { minSessionTimeoutMs: 1000, maxSessionTimeoutMs: 60_000, initialRebalanceDelayMs: 0, maxSize: 100, offsetMetadataMaxBytes: 16, offsetsRetentionMs: 60_000 };

class MemoryOffsetsTopic implements OffsetsTopic {
  readonly logs: OffsetsLogEntry[][] = [[], [], []];
  get partitions(): number {
    return this.logs.length;
  }
  async append(partition: number, records: KeyValue[]): Promise<number> {
    return appendRecords(this.logs[partition], records);
  }
  async *read(partition: number): AsyncIterable<OffsetsLogEntry> {
    yield* this.logs[partition];
  }
}

const entry = (topic: string, partition: number, offset: bigint, metadata: string | null = 'meta') => ({ topic, partition, offset, leaderEpoch: 3, metadata });

test('offsets commit from outside the group protocol while the group is empty, and read back', async () => {
  const clock = new ManualScheduler();
  const topic = new MemoryOffsetsTopic();
  const c = new GroupCoordinator(clock, CONFIG, topic);
  await c.load();
  assert.deepEqual(await c.commitOffsets('g', '', null, -1, [entry('t', 0, 5n), entry('t', 1, -2n), entry('u', 0, 9n, 'x'.repeat(17))], -1), [0, 0, ErrorCode.OFFSET_METADATA_TOO_LARGE]);
  assert.equal(c.offsets.get('g', 't', 0)?.offset, 5n);
  assert.equal(c.offsets.get('g', 't', 1)?.offset, -2n, 'negative offsets are stored as given');
  assert.equal(c.offsets.get('g', 'u', 0), undefined);
  assert.equal(c.groups.get('g')?.state, 'Empty', 'a commit creates the group, empty');
  assert.equal(topic.logs[partitionForGroup('g', 3)].length, 2, 'one record per committed partition, in the group\'s partition');
  assert.deepEqual(await c.commitOffsets('', '', null, -1, [entry('t', 0, 1n)], -1), [ErrorCode.INVALID_GROUP_ID]);
});

test('commits from members are checked against the group: member, generation, state', async () => {
  const clock = new ManualScheduler();
  const c = new GroupCoordinator(clock, CONFIG, new MemoryOffsetsTopic());
  await c.load();
  const joined = await c.membership.join({ groupId: 'g', memberId: '', groupInstanceId: null, clientId: 'c', clientHost: 'h', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }], requireKnownMemberId: false });
  assert.deepEqual(await c.commitOffsets('g', joined.memberId, null, 1, [entry('t', 0, 1n)], -1), [ErrorCode.REBALANCE_IN_PROGRESS], 'not while CompletingRebalance');
  await c.membership.sync({ groupId: 'g', memberId: joined.memberId, groupInstanceId: null, generationId: 1, protocolType: null, protocolName: null, assignments: [] });
  assert.deepEqual(await c.commitOffsets('g', joined.memberId, null, 1, [entry('t', 0, 1n)], -1), [0]);
  assert.deepEqual(await c.commitOffsets('g', joined.memberId, null, 0, [entry('t', 0, 2n)], -1), [ErrorCode.ILLEGAL_GENERATION]);
  assert.deepEqual(await c.commitOffsets('g', 'someone', null, 1, [entry('t', 0, 2n)], -1), [ErrorCode.UNKNOWN_MEMBER_ID]);
  assert.deepEqual(await c.commitOffsets('g', '', null, -1, [entry('t', 0, 2n)], -1), [ErrorCode.UNKNOWN_MEMBER_ID], 'no outside commits while the group has members');
  assert.equal(await c.deleteGroup('g'), ErrorCode.NON_EMPTY_GROUP);
  assert.equal(await c.deleteGroup('nope'), ErrorCode.GROUP_ID_NOT_FOUND);
  assert.equal(c.membership.leave('g', joined.memberId, null), 0);
  assert.equal(await c.deleteGroup('g'), ErrorCode.NONE);
  assert.equal(c.groups.has('g'), false);
  assert.equal(c.offsets.get('g', 't', 0), undefined);
});

test("a deleted topic's offsets leave every group, with members or not; an Empty group left with none is removed", async () => {
  const clock = new ManualScheduler();
  const topic = new MemoryOffsetsTopic();
  const c = new GroupCoordinator(clock, CONFIG, topic);
  await c.load();
  const joined = await c.membership.join({ groupId: 'busy', memberId: '', groupInstanceId: null, clientId: 'c', clientHost: 'h', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }], requireKnownMemberId: false });
  await c.membership.sync({ groupId: 'busy', memberId: joined.memberId, groupInstanceId: null, generationId: 1, protocolType: null, protocolName: null, assignments: [] });
  assert.deepEqual(await c.commitOffsets('busy', joined.memberId, null, 1, [entry('gone', 0, 4n), entry('kept', 0, 1n)], -1), [0, 0]);
  assert.deepEqual(await c.commitOffsets('idle', '', null, -1, [entry('gone', 0, 7n), entry('gone', 1, 8n)], -1), [0, 0]);
  assert.deepEqual(await c.commitOffsets('other', '', null, -1, [entry('kept', 0, 2n)], -1), [0]);
  assert.equal(await c.deleteTopicOffsets(new Set(['gone'])), 3);
  assert.deepEqual([...c.offsets.all('busy').keys()], ['kept']);
  assert.equal(c.groups.get('busy')?.state, 'Stable', 'a group with members stays');
  assert.equal(c.groups.has('idle'), false, 'an Empty group left with nothing is removed');
  assert.equal(c.offsets.get('other', 'kept', 0)?.offset, 2n);
  // What a restart replays from __consumer_offsets agrees.
  const replayed = new GroupCoordinator(clock, CONFIG, topic);
  await replayed.load();
  assert.deepEqual(replayed.offsets.groups().sort(), ['busy', 'other']);
  assert.equal(replayed.offsets.get('busy', 'gone', 0), undefined);
  await c.close();
  await replayed.close();
});

test('offsets of an empty group expire after offsets.retention; groups with members keep theirs', async () => {
  const clock = new ManualScheduler();
  const c = new GroupCoordinator(clock, CONFIG, new MemoryOffsetsTopic());
  await c.load();
  await c.commitOffsets('idle', '', null, -1, [entry('t', 0, 1n)], -1);
  clock.advance(30_000);
  assert.equal(await c.expireOffsets(), 0);
  clock.advance(31_000);
  assert.equal(await c.expireOffsets(), 1);
  assert.equal(c.offsets.get('idle', 't', 0), undefined);
  assert.equal(c.groups.has('idle'), false, 'a group left with nothing is removed');
  await c.commitOffsets('explicit', '', null, -1, [entry('t', 0, 1n)], clock.now() + 5_000);
  clock.advance(5_000);
  assert.equal(await c.expireOffsets(), 1, 'an explicit retention (OffsetCommit v2-4) expires on its own time');
});

test('a restarted coordinator rebuilds groups and offsets from __consumer_offsets; tombstones delete', async () => {
  const clock = new ManualScheduler();
  const topic = new MemoryOffsetsTopic();
  const c = new GroupCoordinator(clock, CONFIG, topic);
  await c.load();
  const join = (instance: string | null) => c.membership.join({ groupId: 'g', memberId: '', groupInstanceId: instance, clientId: 'c', clientHost: 'h', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.from('sub') }], requireKnownMemberId: false });
  const a = await join('static-a');
  await c.membership.sync({ groupId: 'g', memberId: a.memberId, groupInstanceId: 'static-a', generationId: 1, protocolType: null, protocolName: null, assignments: [{ memberId: a.memberId, assignment: Buffer.from('assigned') }] });
  await c.commitOffsets('g', a.memberId, 'static-a', 1, [entry('t', 0, 42n), entry('t', 1, 7n)], -1);
  await c.commitOffsets('gone', '', null, -1, [entry('t', 0, 1n)], -1);
  await c.deleteGroup('gone');

  const restarted = new GroupCoordinator(clock, CONFIG, topic);
  await restarted.load();
  const g = restarted.groups.get('g');
  assert.equal(g?.state, 'Stable');
  assert.equal(g?.generationId, 1);
  assert.equal(g?.leaderId, a.memberId);
  assert.equal(g?.protocolName, 'range');
  assert.equal(g?.members.get(a.memberId)?.assignment.toString(), 'assigned');
  assert.equal(g?.staticMembers.get('static-a'), a.memberId);
  assert.equal(restarted.offsets.get('g', 't', 0)?.offset, 42n);
  assert.equal(restarted.offsets.get('g', 't', 0)?.leaderEpoch, 3);
  assert.equal(restarted.offsets.get('g', 't', 1)?.metadata, 'meta');
  assert.equal(restarted.groups.has('gone'), false);
  assert.equal(restarted.offsets.hasOffsets('gone'), false);
  // The restored member must heartbeat within its session, or it goes.
  assert.equal(restarted.membership.heartbeat('g', a.memberId, 'static-a', 1), ErrorCode.NONE);
  clock.advance(10_001);
  assert.equal(restarted.groups.get('g')?.members.size, 0);
});

test('__consumer_offsets records use Kafka\'s schemas; groups map to partitions as Kafka maps them', () => {
  assert.deepEqual(parseKey(offsetKey('grp', 'topic', 4)), { kind: 'offset', group: 'grp', topic: 'topic', partition: 4 });
  assert.deepEqual(parseKey(groupKey('grp')), { kind: 'group', group: 'grp' });
  assert.equal(offsetKey('g', 't', 1).toString('hex'), '0001' + '000167' + '000174' + '00000001');
  const v = { offset: 10n, leaderEpoch: 2, metadata: 'm', commitTimestamp: 1_700_000_000_000, expireTimestamp: -1 };
  assert.deepEqual(parseOffsetValue(offsetValue(v)), v);
  assert.equal(offsetValue(v).readInt16BE(0), 3);
  const legacy = { ...v, leaderEpoch: -1, expireTimestamp: 1_800_000_000_000 };
  assert.deepEqual(parseOffsetValue(offsetValue(legacy)), legacy);
  const gv = { protocolType: 'consumer', generationId: 4, protocolName: 'range', leader: 'm1', stateTimestamp: 5, members: [{ memberId: 'm1', groupInstanceId: null, clientId: 'c', clientHost: '/h', rebalanceTimeoutMs: 3, sessionTimeoutMs: 2, subscription: Buffer.from('s'), assignment: Buffer.from('a') }] };
  assert.deepEqual(parseGroupValue(groupValue(gv)), gv);
  // Java: "test-group".hashCode() = 627841412, "my-group".hashCode() = -1906497762 (Math.abs, then mod 50).
  assert.equal(partitionForGroup('test-group', 50), 12);
  assert.equal(partitionForGroup('my-group', 50), 12);
  assert.equal(partitionForGroup('console-consumer-12345', 50), 6);
  assert.equal(partitionForGroup('a', 50), 47);
});

test('a group known only by its committed offsets is still there, Empty, after a restart', async () => {
  const clock = new ManualScheduler();
  const topic = new MemoryOffsetsTopic();
  const c = new GroupCoordinator(clock, CONFIG, topic);
  await c.load();
  assert.deepEqual(await c.commitOffsets('simple', '', null, -1, [entry('t', 0, 11n)], -1), [ErrorCode.NONE]);
  const restarted = new GroupCoordinator(clock, CONFIG, topic);
  await restarted.load();
  assert.equal(restarted.groups.get('simple')?.state, 'Empty');
  assert.equal(restarted.offsets.get('simple', 't', 0)?.offset, 11n);
});
