// The coordinator owning only some __consumer_offsets partitions (Kafka's onElection /
// onResignation): load, unload and reload one partition, requests refused while it loads or after
// it moved away, writes racing an unload, and the coordinator epoch guarding against late loads.
// No sockets and no sleeping: reads and appends are held on deferred promises, time is a manual clock.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualScheduler } from '../../../src/coordinator/scheduler.js';
import { GroupCoordinator, type CoordinatorConfig, type KeyValue, type OffsetsLogEntry, type OffsetsTopic } from '../../../src/coordinator/group/coordinator.js';
import { appendRecords } from './offsets-log-twin.js';
import type { JoinRequest } from '../../../src/coordinator/group/membership.js';
import { offsetKey, offsetValue } from '../../../src/coordinator/group/records.js';
import { ErrorCode, KafkaError } from '../../../src/protocol/error-codes.js';

const CONFIG: CoordinatorConfig = { minSessionTimeoutMs: 1000, maxSessionTimeoutMs: 60_000, initialRebalanceDelayMs: 0, maxSize: 100, offsetMetadataMaxBytes: 64, offsetsRetentionMs: 600_000 };

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
before(() => process.on('unhandledRejection', onUnhandled));
after(() => process.off('unhandledRejection', onUnhandled));

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
}

function deferred(): Deferred {
  let resolve = () => {};
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * __consumer_offsets in memory, three partitions. A read or an append waits while its gate is
 * set; a read sees records added to the log while it runs (the log may grow by replication).
 */
class GatedOffsetsTopic implements OffsetsTopic {
  readonly logs: OffsetsLogEntry[][] = [[], [], []];
  readGate: Deferred | null = null;
  appendGate: Deferred | null = null;
  /** When set, appends fail with it (what the partition layer throws). */
  appendFailure: Error | null = null;
  get partitions(): number {
    return this.logs.length;
  }
  async append(partition: number, records: KeyValue[]): Promise<number> {
    const gate = this.appendGate;
    if (gate) await gate.promise;
    if (this.appendFailure) throw this.appendFailure;
    return appendRecords(this.logs[partition], records);
  }
  async *read(partition: number): AsyncIterable<OffsetsLogEntry> {
    const gate = this.readGate;
    if (gate) await gate.promise;
    const log = this.logs[partition];
    for (let i = 0; i < log.length; i++) yield log[i];
  }
  /** What another broker, leader of the partition meanwhile, commits (replicated to this log). */
  commitElsewhere(partition: number, group: string, topic: string, p: number, offset: bigint): void {
    appendRecords(this.logs[partition], [{ key: offsetKey(group, topic, p), value: offsetValue({ offset, leaderEpoch: 0, metadata: '', commitTimestamp: 1, expireTimestamp: -1 }) }]);
  }
}

const joinReq = (groupId: string, over: Partial<JoinRequest> = {}): JoinRequest => ({
  groupId,
  memberId: '',
  groupInstanceId: null,
  clientId: 'c',
  clientHost: 'h',
  sessionTimeoutMs: 10_000,
  rebalanceTimeoutMs: 10_000,
  protocolType: 'consumer',
  protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
  requireKnownMemberId: false,
  ...over,
});

const commit = (offset: bigint) => [{ topic: 't', partition: 0, offset, leaderEpoch: 0, metadata: null }];

const settle = () => new Promise((r) => setImmediate(r));

/** Group ids: `moving` and `sibling` share a partition of the 3-partition topic, `staying` is on another. */
function groupsOnTwoPartitions(c: GroupCoordinator): { moving: string; sibling: string; staying: string } {
  const moving = 'moving-group';
  const find = (prefix: string, same: boolean) => {
    for (let i = 0; ; i++) if ((c.partitionFor(`${prefix}-${i}`) === c.partitionFor(moving)) === same) return `${prefix}-${i}`;
  };
  return { moving, sibling: find('sibling', true), staying: find('staying', false) };
}

test('unload drops one partition\'s groups and offsets; a reload replays what was written meanwhile elsewhere', async () => {
  const clock = new ManualScheduler();
  const topic = new GatedOffsetsTopic();
  const c = new GroupCoordinator(clock, CONFIG, topic);
  await c.load();
  const { moving, staying } = groupsOnTwoPartitions(c);
  const p = c.partitionFor(moving);
  assert.deepEqual(await c.commitOffsets(moving, '', null, -1, commit(10n), -1), [ErrorCode.NONE]);
  assert.deepEqual(await c.commitOffsets(staying, '', null, -1, commit(20n), -1), [ErrorCode.NONE]);
  assert.equal(c.owns(moving), 'owned');

  assert.equal(c.unloadPartition(p, 1), true);
  assert.equal(c.owns(moving), 'not-owned');
  assert.equal(c.owns(staying), 'owned');
  assert.equal(c.groups.has(moving), false, 'the group left memory');
  assert.equal(c.offsets.hasOffsets(moving), false, 'and its offsets too');
  assert.equal(c.offsets.get(staying, 't', 0)?.offset, 20n, 'other partitions keep theirs');
  assert.deepEqual(await c.commitOffsets(moving, '', null, -1, commit(11n), -1), [ErrorCode.NOT_COORDINATOR]);
  assert.equal(await c.deleteGroup(moving), ErrorCode.NOT_COORDINATOR);
  assert.deepEqual(await c.deleteOffsets(moving, [{ topic: 't', partition: 0 }], new Set()), { groupError: ErrorCode.NOT_COORDINATOR, codes: [] });
  assert.equal((await c.membership.join(joinReq(moving))).errorCode, ErrorCode.NOT_COORDINATOR);
  assert.equal(c.groups.has(moving), false, 'a refused join creates nothing');
  assert.equal(topic.logs[p].length, 1, 'nothing written while not owned');

  // Another broker led the partition meanwhile; its commits reached this log by replication.
  topic.commitElsewhere(p, moving, 't', 0, 15n);
  topic.commitElsewhere(p, moving, 't', 1, 3n);
  assert.equal(await c.loadPartition(p, 2), 'loaded');
  assert.equal(c.owns(moving), 'owned');
  assert.equal(c.offsets.get(moving, 't', 0)?.offset, 15n);
  assert.equal(c.offsets.get(moving, 't', 1)?.offset, 3n);
  assert.equal(c.groups.get(moving)?.state, 'Empty', 'a group known by its offsets is back, Empty');
  assert.equal(c.offsets.get(staying, 't', 0)?.offset, 20n);
  assert.deepEqual(await c.commitOffsets(moving, '', null, -1, commit(16n), -1), [ErrorCode.NONE]);
  await c.close();
});

test('unload answers a waiting JoinGroup and SyncGroup NOT_COORDINATOR and cancels the group\'s timers', async () => {
  const clock = new ManualScheduler();
  const c = new GroupCoordinator(clock, { ...CONFIG, initialRebalanceDelayMs: 3000 }, new GatedOffsetsTopic());
  await c.load();
  const { moving, sibling, staying } = groupsOnTwoPartitions(c);
  // 'moving': a leader and a follower; the follower's SyncGroup waits for the leader's assignment.
  const both = Promise.all([c.membership.join(joinReq(moving)), c.membership.join(joinReq(moving, { clientId: 'f' }))]);
  await settle();
  clock.advance(10_000);
  const [first, second] = await both;
  const leader = first.leader === first.memberId ? first : second;
  const follower = leader === first ? second : first;
  const waitingSync = c.membership.sync({ groupId: moving, memberId: follower.memberId, groupInstanceId: null, generationId: follower.generationId, protocolType: null, protocolName: null, assignments: [] });
  // 'sibling' (same partition) and 'staying' (another) each have a first member waiting out the initial delay.
  const waitingJoin = c.membership.join(joinReq(sibling));
  const stayingJoin = c.membership.join(joinReq(staying));
  await settle();
  const armedBefore = c.armedTimers;
  assert.ok(armedBefore > 0);

  c.unloadPartition(c.partitionFor(moving));
  assert.equal((await waitingJoin).errorCode, ErrorCode.NOT_COORDINATOR);
  assert.equal((await waitingSync).errorCode, ErrorCode.NOT_COORDINATOR);
  assert.equal(c.armedTimers, 1, 'only the timer of the group of the other partition is left');
  assert.equal(c.membership.heartbeat(moving, leader.memberId, null, leader.generationId), ErrorCode.NOT_COORDINATOR);
  assert.equal(c.membership.leave(moving, leader.memberId, null), ErrorCode.NOT_COORDINATOR);
  const sync = await c.membership.sync({ groupId: moving, memberId: leader.memberId, groupInstanceId: null, generationId: leader.generationId, protocolType: null, protocolName: null, assignments: [] });
  assert.equal(sync.errorCode, ErrorCode.NOT_COORDINATOR);
  // Time moving on expires nobody of the unloaded group and arms nothing for it.
  clock.advance(3000);
  const stayed = await stayingJoin;
  assert.equal(stayed.errorCode, ErrorCode.NONE, 'the other partition\'s group is untouched');
  clock.advance(60_000);
  assert.equal(c.groups.has(moving), false);
  assert.equal(c.groups.has(sibling), false);
  await c.close();
  assert.deepEqual(unhandled, []);
});

test('while a partition loads its groups get COORDINATOR_LOAD_IN_PROGRESS (heartbeats pass blindly, syncs rejoin)', async () => {
  const clock = new ManualScheduler();
  const topic = new GatedOffsetsTopic();
  const first = new GroupCoordinator(clock, CONFIG, topic);
  await first.load();
  const { moving, staying } = groupsOnTwoPartitions(first);
  const joined = await first.membership.join(joinReq(moving));
  await first.membership.sync({ groupId: moving, memberId: joined.memberId, groupInstanceId: null, generationId: joined.generationId, protocolType: null, protocolName: null, assignments: [{ memberId: joined.memberId, assignment: Buffer.from('a') }] });
  assert.deepEqual(await first.commitOffsets(moving, joined.memberId, null, joined.generationId, commit(7n), -1), [ErrorCode.NONE]);
  await first.close();

  // A second coordinator (the broker that becomes the partition's leader) loads it slowly.
  const c = new GroupCoordinator(clock, CONFIG, topic);
  topic.readGate = deferred();
  const gate = topic.readGate;
  const p = c.partitionFor(moving);
  const loading = c.loadPartition(p, 4);
  await settle();
  assert.equal(c.owns(moving), 'loading');
  assert.equal(c.owns(staying), 'not-owned');
  assert.equal(c.isLoading, true);
  assert.equal((await c.membership.join(joinReq(moving))).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  const sync = await c.membership.sync({ groupId: moving, memberId: joined.memberId, groupInstanceId: null, generationId: 1, protocolType: null, protocolName: null, assignments: [] });
  assert.equal(sync.errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
  assert.equal(c.membership.heartbeat(moving, joined.memberId, null, 1), ErrorCode.NONE);
  assert.equal(c.membership.leave(moving, joined.memberId, null), ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  assert.deepEqual(await c.commitOffsets(moving, joined.memberId, null, 1, commit(8n), -1), [ErrorCode.COORDINATOR_LOAD_IN_PROGRESS]);
  assert.equal(await c.deleteGroup(moving), ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  assert.equal(c.groups.size, 0, 'nothing is visible before the replay ends');
  assert.equal(c.loadPartition(p, 4), loading, 'the same election again waits for the same load');

  gate.resolve();
  assert.equal(await loading, 'loaded');
  assert.equal(c.owns(moving), 'owned');
  assert.equal(c.isLoading, false);
  const g = c.groups.get(moving);
  assert.equal(g?.state, 'Stable');
  assert.equal(g?.members.get(joined.memberId)?.assignment.toString(), 'a');
  assert.equal(c.offsets.get(moving, 't', 0)?.offset, 7n);
  assert.equal(c.membership.heartbeat(moving, joined.memberId, null, 1), ErrorCode.NONE, 'the member carries on in its generation');
  assert.equal(await c.loadPartition(p, 4), 'loaded', 'the same epoch again changes nothing');
  assert.equal(c.groups.get(moving), g);
  await c.close();
});

test('an old load finishing after a newer one, or after an unload, is discarded; older epochs are ignored', async () => {
  const clock = new ManualScheduler();
  const topic = new GatedOffsetsTopic();
  const c = new GroupCoordinator(clock, CONFIG, topic);
  const group = 'epoch-group';
  const p = c.partitionFor(group);
  topic.commitElsewhere(p, group, 't', 0, 1n);

  // Epoch 3's replay is held; leadership moves away (5) and back (6) meanwhile, with a new commit.
  topic.readGate = deferred();
  const oldGate = topic.readGate;
  const old = c.loadPartition(p, 3);
  await settle();
  assert.equal(c.unloadPartition(p, 5), true);
  assert.equal(c.owns(group), 'not-owned');
  topic.commitElsewhere(p, group, 't', 0, 2n);
  topic.readGate = null;
  assert.equal(await c.loadPartition(p, 6), 'loaded');
  assert.equal(c.offsets.get(group, 't', 0)?.offset, 2n);
  assert.deepEqual(await c.commitOffsets(group, '', null, -1, commit(9n), -1), [ErrorCode.NONE]);
  oldGate.resolve();
  assert.equal(await old, 'superseded', 'the late replay of epoch 3 is thrown away');
  assert.equal(c.offsets.get(group, 't', 0)?.offset, 9n, 'and did not overwrite what epoch 6 holds');

  assert.equal(await c.loadPartition(p, 5), 'stale-epoch', 'an election older than the current epoch is ignored');
  assert.equal(c.unloadPartition(p, 4), false, 'so is a resignation from an older epoch');
  assert.equal(c.owns(group), 'owned');
  assert.equal(c.offsets.get(group, 't', 0)?.offset, 9n);

  // A newer election while owned (leadership went away and came back unseen) replays again.
  topic.commitElsewhere(p, group, 't', 0, 12n);
  assert.equal(await c.loadPartition(p, 8), 'loaded');
  assert.equal(c.offsets.get(group, 't', 0)?.offset, 12n);
  assert.equal(c.unloadPartition(p, 9), true);
  assert.equal(await c.loadPartition(p, 8), 'stale-epoch', 'epochs are remembered after an unload');
  assert.equal(c.owns(group), 'not-owned');
  await assert.rejects(c.loadPartition(3, 1), RangeError);
  await c.close();
});

test('a write racing an unload answers NOT_COORDINATOR and leaves nothing behind in memory', async () => {
  const clock = new ManualScheduler();
  const topic = new GatedOffsetsTopic();
  const reports: string[] = [];
  const c = new GroupCoordinator(clock, CONFIG, topic, (_err, what) => reports.push(what));
  await c.load();
  const group = 'racing-group';
  const p = c.partitionFor(group);
  const joined = await c.membership.join(joinReq(group));
  const armedAfterJoin = c.armedTimers;

  // An offset commit and the leader's assignment (group metadata) both wait for their appends.
  topic.appendGate = deferred();
  const gate = topic.appendGate;
  const synced = c.membership.sync({ groupId: group, memberId: joined.memberId, groupInstanceId: null, generationId: joined.generationId, protocolType: null, protocolName: null, assignments: [{ memberId: joined.memberId, assignment: Buffer.from('x') }] });
  const committed = c.commitOffsets('simple-' + group, '', null, -1, commit(5n), -1);
  const simplePartition = c.partitionFor('simple-' + group);
  await settle();
  c.unloadPartition(p, 1);
  if (simplePartition !== p) c.unloadPartition(simplePartition, 1);
  assert.equal((await synced).errorCode, ErrorCode.NOT_COORDINATOR, 'the waiting sync is answered at the unload');
  gate.resolve();
  assert.deepEqual(await committed, [ErrorCode.NOT_COORDINATOR], 'the commit finished after the unload');
  await settle();
  assert.equal(c.groups.has(group), false);
  assert.equal(c.groups.has('simple-' + group), false, 'the commit did not bring its group back');
  assert.equal(c.offsets.hasOffsets('simple-' + group), false);
  assert.ok(c.armedTimers < armedAfterJoin, 'no timer armed for the unloaded group');
  assert.equal(c.armedTimers, 0);
  assert.deepEqual(reports, [], 'an abandoned write is no failure to report');

  // The appends did reach the log; a reload shows what it holds, and serves the group again.
  topic.appendGate = null;
  assert.equal(await c.loadPartition(p, 2), 'loaded');
  if (simplePartition !== p) assert.equal(await c.loadPartition(simplePartition, 2), 'loaded');
  assert.equal(c.groups.get(group)?.members.get(joined.memberId)?.assignment.toString(), 'x');
  assert.equal(c.offsets.get('simple-' + group, 't', 0)?.offset, 5n);
  await c.close();
  assert.deepEqual(unhandled, []);
});

test('close() during a load discards it', async () => {
  const clock = new ManualScheduler();
  const topic = new GatedOffsetsTopic();
  topic.commitElsewhere(0, 'x', 't', 0, 1n);
  const c = new GroupCoordinator(clock, CONFIG, topic);
  topic.readGate = deferred();
  const gate = topic.readGate;
  const loading = c.loadPartition(0, 0);
  await c.close();
  gate.resolve();
  assert.equal(await loading, 'superseded');
  assert.equal(c.offsets.groups().length, 0);
  assert.equal(await c.loadPartition(1, 0), 'superseded', 'nothing loads after close');
  assert.equal(c.armedTimers, 0);
});

test('an offset commit whose append fails answers as Kafka maps the append error, and changes nothing', async () => {
  const topic = new GatedOffsetsTopic();
  const c = new GroupCoordinator(new ManualScheduler(), CONFIG, topic);
  await c.load();
  assert.deepEqual(await c.commitOffsets('g', '', null, -1, commit(1n), -1), [ErrorCode.NONE]);
  const cases: [Error, number][] = [
    [new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER), ErrorCode.NOT_COORDINATOR],
    [new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR), ErrorCode.NOT_COORDINATOR],
    [new KafkaError(ErrorCode.NOT_ENOUGH_REPLICAS), ErrorCode.COORDINATOR_NOT_AVAILABLE],
    [new KafkaError(ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND), ErrorCode.COORDINATOR_NOT_AVAILABLE],
    [new KafkaError(ErrorCode.RECORD_LIST_TOO_LARGE), ErrorCode.INVALID_COMMIT_OFFSET_SIZE],
    [new Error('EIO'), ErrorCode.COORDINATOR_NOT_AVAILABLE],
  ];
  for (const [failure, expected] of cases) {
    topic.appendFailure = failure;
    assert.deepEqual(await c.commitOffsets('g', '', null, -1, commit(2n), -1), [expected], failure.message);
  }
  assert.equal(c.offsets.get('g', 't', 0)?.offset, 1n);
  await c.close();
});

test('a static member rejoining while its group\'s partition is unloaded under its write gets NOT_COORDINATOR', async () => {
  const clock = new ManualScheduler();
  const topic = new GatedOffsetsTopic();
  const c = new GroupCoordinator(clock, CONFIG, topic);
  await c.load();
  const first = await c.membership.join(joinReq('static', { groupInstanceId: 'i-1' }));
  await c.membership.sync({ groupId: 'static', memberId: first.memberId, groupInstanceId: 'i-1', generationId: first.generationId, protocolType: null, protocolName: null, assignments: [] });
  assert.equal(c.groups.get('static')?.state, 'Stable');
  // The restarted instance gets its place back once the new member id is stored; the store waits.
  topic.appendGate = deferred();
  const gate = topic.appendGate;
  const rejoin = c.membership.join(joinReq('static', { groupInstanceId: 'i-1' }));
  await settle();
  c.unloadPartition(c.partitionFor('static'));
  gate.resolve();
  assert.equal((await rejoin).errorCode, ErrorCode.NOT_COORDINATOR);
  assert.equal(c.groups.has('static'), false);
  assert.equal(c.armedTimers, 0);
  await c.close();
});

test("a group's partition is Kafka's Utils.abs(groupId.hashCode) % partitions, where abs(Integer.MIN_VALUE) is 0", () => {
  const c = new GroupCoordinator(new ManualScheduler(), CONFIG, new GatedOffsetsTopic());
  // Java: "polygenelubricants".hashCode() == Integer.MIN_VALUE; Math.abs would leave it negative.
  assert.equal(c.partitionFor('polygenelubricants'), 0);
  // "test-group".hashCode() = 627841412 -> 627841412 % 3 = 2; "my-group" = -1906497762 -> 1906497762 % 3 = 0.
  assert.equal(c.partitionFor('test-group'), 2);
  assert.equal(c.partitionFor('my-group'), 0);
});
