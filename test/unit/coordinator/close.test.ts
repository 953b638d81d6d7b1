// The coordinator's background work and shutdown: a failed write nobody awaits is reported, not
// left as an unhandled rejection; close() answers waiting calls, cancels every timer and waits
// for writes still running.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualScheduler, TrackedScheduler } from '../../../src/coordinator/scheduler.js';
import { GroupCoordinator, type CoordinatorConfig, type KeyValue, type OffsetsLogEntry, type OffsetsTopic } from '../../../src/coordinator/group/coordinator.js';
import type { JoinRequest } from '../../../src/coordinator/group/membership.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';

const CONFIG: CoordinatorConfig = { minSessionTimeoutMs: 1000, maxSessionTimeoutMs: 60_000, initialRebalanceDelayMs: 0, maxSize: 100, offsetMetadataMaxBytes: 16, offsetsRetentionMs: 60_000 };

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
before(() => process.on('unhandledRejection', onUnhandled));
after(() => process.off('unhandledRejection', onUnhandled));

/** An offsets topic whose appends fail on demand, or stay pending until released. */
class ControlledTopic implements OffsetsTopic {
  readonly partitions = 1;
  failing = false;
  holding = false;
  appended = 0;
  private held: (() => void)[] = [];
  async append(_partition: number, _records: KeyValue[]): Promise<number> {
    if (this.failing) throw new Error('log closed');
    if (this.holding) await new Promise<void>((resolve) => this.held.push(resolve));
    return this.appended++;
  }
  release(): void {
    for (const r of this.held.splice(0)) r();
  }
  async *read(_partition: number): AsyncIterable<OffsetsLogEntry> {}
}

const req = (over: Partial<JoinRequest> = {}): JoinRequest => ({
  groupId: 'g',
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

const settle = () => new Promise((r) => setImmediate(r));

test('a background write that fails (the group emptied by an expired session) is reported, not unhandled', async () => {
  const clock = new ManualScheduler();
  const topic = new ControlledTopic();
  const reports: string[] = [];
  const c = new GroupCoordinator(clock, CONFIG, topic, (err, what) => reports.push(`${what}: ${(err as Error).message}`));
  await c.load();
  const joined = await c.membership.join(req());
  assert.equal(joined.errorCode, ErrorCode.NONE);
  topic.failing = true;
  clock.advance(10_001);
  for (let i = 0; i < 3; i++) await settle();
  assert.equal(c.groups.get('g')?.state, 'Empty', 'the silent member expired');
  assert.deepEqual(reports, ['storing empty group g: log closed']);
  assert.deepEqual(unhandled, []);
});

test('close() answers a waiting JoinGroup and SyncGroup NOT_COORDINATOR, cancels all timers, then refuses calls', async () => {
  const clock = new ManualScheduler();
  const c = new GroupCoordinator(clock, { ...CONFIG, initialRebalanceDelayMs: 3000 }, new ControlledTopic());
  await c.load();
  // Two members join 'syncing' together; the follower's SyncGroup then waits for the leader's assignment.
  const both = Promise.all([c.membership.join(req({ groupId: 'syncing' })), c.membership.join(req({ groupId: 'syncing', clientId: 'f' }))]);
  await settle();
  clock.advance(10_000); // the initial delay, extended once because the second member came during it
  const [first, second] = await both;
  assert.equal(first.errorCode, ErrorCode.NONE);
  assert.equal(second.errorCode, ErrorCode.NONE);
  const leader = first.leader === first.memberId ? first : second;
  const follower = leader === first ? second : first;
  const waitingSync = c.membership.sync({ groupId: 'syncing', memberId: follower.memberId, groupInstanceId: null, generationId: follower.generationId, protocolType: null, protocolName: null, assignments: [] });
  // A new group's first member waits out the initial delay on a clock that no longer moves.
  const waitingJoin = c.membership.join(req({ groupId: 'joining' }));
  assert.equal(c.groups.get('joining')?.state, 'PreparingRebalance');
  assert.ok(c.armedTimers > 0);
  await c.close();
  assert.equal((await waitingJoin).errorCode, ErrorCode.NOT_COORDINATOR);
  assert.equal((await waitingSync).errorCode, ErrorCode.NOT_COORDINATOR);
  assert.equal(c.armedTimers, 0);
  assert.equal(clock.pending, 0);
  assert.equal((await c.membership.join(req({ groupId: 'late' }))).errorCode, ErrorCode.NOT_COORDINATOR);
  assert.equal(c.membership.heartbeat('syncing', leader.memberId, null, leader.generationId), ErrorCode.NOT_COORDINATOR);
  assert.equal(c.membership.leave('syncing', leader.memberId, null), ErrorCode.NOT_COORDINATOR);
  assert.deepEqual(await c.commitOffsets('g', '', null, -1, [{ topic: 't', partition: 0, offset: 1n, leaderEpoch: -1, metadata: null }], -1), [ErrorCode.NOT_COORDINATOR]);
  assert.equal(await c.deleteGroup('syncing'), ErrorCode.NOT_COORDINATOR);
  assert.equal(clock.pending, 0, 'nothing armed after close');
});

test('close() waits for a group write still running (the logs close only after it)', async () => {
  const clock = new ManualScheduler();
  const topic = new ControlledTopic();
  const c = new GroupCoordinator(clock, CONFIG, topic);
  await c.load();
  const joined = await c.membership.join(req());
  topic.holding = true;
  // The leader's SyncGroup stores the assignment in the background.
  const synced = c.membership.sync({ groupId: 'g', memberId: joined.memberId, groupInstanceId: null, generationId: joined.generationId, protocolType: null, protocolName: null, assignments: [{ memberId: joined.memberId, assignment: Buffer.from('a') }] });
  let closed = false;
  const closing = c.close().then(() => (closed = true));
  for (let i = 0; i < 3; i++) await settle();
  assert.equal(closed, false, 'still writing');
  topic.release();
  await closing;
  assert.equal(topic.appended, 1);
  assert.equal((await synced).errorCode, ErrorCode.NOT_COORDINATOR, 'the sync was answered at close');
});

test('offset expiry runs on the coordinator\'s clock, one run at a time, and stops at close()', async () => {
  const clock = new ManualScheduler();
  const c = new GroupCoordinator(clock, CONFIG, new ControlledTopic());
  await c.load();
  await c.commitOffsets('idle', '', null, -1, [{ topic: 't', partition: 0, offset: 1n, leaderEpoch: -1, metadata: null }], -1);
  const runs: number[] = [];
  c.startOffsetExpiry(30_000, (n) => runs.push(n));
  clock.advance(30_000);
  for (let i = 0; i < 3; i++) await settle();
  clock.advance(60_000);
  for (let i = 0; i < 3; i++) await settle();
  assert.deepEqual(runs, [0, 1], 'the second run is past offsets.retention');
  assert.equal(c.armedTimers, 1, 'the next run is armed');
  await c.close();
  assert.equal(clock.pending, 0);
});

test('TrackedScheduler counts armed timers and arms nothing after close', () => {
  const clock = new ManualScheduler();
  const tracked = new TrackedScheduler(clock);
  const ran: string[] = [];
  tracked.schedule(10, () => ran.push('a'));
  const b = tracked.schedule(20, () => ran.push('b'));
  tracked.schedule(30, () => ran.push('c'));
  assert.equal(tracked.armed, 3);
  clock.advance(10);
  b.cancel();
  assert.equal(tracked.armed, 1);
  tracked.close();
  tracked.schedule(5, () => ran.push('late'));
  clock.advance(100);
  assert.deepEqual(ran, ['a']);
  assert.equal(tracked.armed, 0);
  assert.equal(clock.pending, 0);
});
