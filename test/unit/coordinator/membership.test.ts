// The classic group protocol as a state machine, driven by a manual clock: no sockets, no sleeping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualScheduler } from '../../../src/coordinator/scheduler.js';
import { Membership, type GroupConfig, type JoinRequest } from '../../../src/coordinator/group/membership.js';
import type { Group, JoinResult } from '../../../src/coordinator/group/group.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';

const CONFIG: GroupConfig = { minSessionTimeoutMs: 1000, maxSessionTimeoutMs: 60_000, initialRebalanceDelayMs: 0, maxSize: 10 };

function setup(config: Partial<GroupConfig> = {}): { clock: ManualScheduler; m: Membership; stored: number[] } {
  const clock = new ManualScheduler();
  const stored: number[] = [];
  const m = new Membership(clock, { ...CONFIG, ...config }, { storeGroup: async (g: Group) => void stored.push(g.generationId) });
  return { clock, m, stored };
}

function req(memberId: string, over: Partial<JoinRequest> = {}): JoinRequest {
  return {
    groupId: 'g',
    memberId,
    groupInstanceId: null,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from(`meta-${memberId || 'new'}`) }],
    requireKnownMemberId: false,
    ...over,
  };
}

/** Lets resolved promises run (the state machine answers through promises). */
const settle = () => new Promise((r) => setImmediate(r));

/** A member that joins and records its answers. */
async function join(m: Membership, r: JoinRequest): Promise<JoinResult> {
  return m.join(r);
}

/**
 * Several members joining an empty group together: the initial rebalance delay (100 ms in these
 * tests) gathers them into one generation, as it does in Kafka.
 */
async function joinTogether(m: Membership, clock: ManualScheduler, requests: JoinRequest[]): Promise<JoinResult[]> {
  let done = false;
  const all = Promise.all(requests.map((r) => m.join(r))).finally(() => (done = true));
  // Each member joining during the delay extends it by another delay, so time moves until all are in.
  for (let i = 0; i < 10 && !done; i++) {
    await settle();
    clock.advance(100);
    await settle();
  }
  return all;
}

async function stableGroupOfThree(m: Membership): Promise<JoinResult[]> {
  const a = await join(m, req(''));
  assert.equal(a.errorCode, ErrorCode.NONE);
  const leaderSync = m.sync({ groupId: 'g', memberId: a.memberId, groupInstanceId: null, generationId: a.generationId, protocolType: null, protocolName: null, assignments: [{ memberId: a.memberId, assignment: Buffer.from('all') }] });
  assert.equal((await leaderSync).errorCode, ErrorCode.NONE);
  // Two more join: the group rebalances; the first member rejoins after its heartbeat says so.
  const b = join(m, req(''));
  const c = join(m, req(''));
  await settle();
  assert.equal(m.heartbeat('g', a.memberId, null, a.generationId), ErrorCode.REBALANCE_IN_PROGRESS);
  const a2 = join(m, req(a.memberId));
  return Promise.all([a2, b, c]);
}

test('first join with a required member id: MEMBER_ID_REQUIRED, then the join with that id succeeds', async () => {
  const { m } = setup();
  const first = await m.join(req('', { requireKnownMemberId: true }));
  assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  assert.match(first.memberId, /^client-[0-9a-f-]{36}$/);
  assert.equal(m.groups.get('g')?.state, 'Empty');
  const second = await m.join(req(first.memberId, { requireKnownMemberId: true }));
  assert.equal(second.errorCode, ErrorCode.NONE);
  assert.equal(second.memberId, first.memberId);
  assert.equal(second.generationId, 1);
  assert.equal(second.leader, first.memberId);
  assert.deepEqual(second.members.map((x) => x.memberId), [first.memberId]);
  assert.equal(m.groups.get('g')?.state, 'CompletingRebalance');
});

test('a member id handed out but never used expires after the session timeout', async () => {
  const { m, clock } = setup();
  const first = await m.join(req('', { requireKnownMemberId: true }));
  assert.equal(m.groups.get('g')?.pendingMembers.size, 1);
  clock.advance(10_001);
  assert.equal(m.groups.get('g')?.pendingMembers.size, 0);
  assert.equal((await m.join(req(first.memberId))).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
});

test('three members: the leader gets everyone\'s metadata, followers none; the leader\'s SyncGroup makes the group Stable', async () => {
  const { m, stored } = setup();
  const [a, b, c] = await stableGroupOfThree(m);
  assert.deepEqual([a, b, c].map((r) => r.errorCode), [0, 0, 0]);
  assert.deepEqual([a, b, c].map((r) => r.generationId), [2, 2, 2]);
  assert.equal(a.leader, a.memberId, 'the previous leader stays leader');
  assert.equal(a.members.length, 3);
  assert.deepEqual(b.members, []);
  assert.deepEqual(c.members, []);
  assert.ok(a.members.every((x) => x.metadata.toString().startsWith('meta-')));
  const group = m.groups.get('g') as Group;
  assert.equal(group.state, 'CompletingRebalance');
  const followerSync = m.sync({ groupId: 'g', memberId: b.memberId, groupInstanceId: null, generationId: 2, protocolType: 'consumer', protocolName: 'range', assignments: [] });
  await settle();
  assert.equal(group.state, 'CompletingRebalance', 'followers wait for the leader');
  const leaderSync = await m.sync({
    groupId: 'g',
    memberId: a.memberId,
    groupInstanceId: null,
    generationId: 2,
    protocolType: 'consumer',
    protocolName: 'range',
    assignments: [a, b, c].map((x, i) => ({ memberId: x.memberId, assignment: Buffer.from(`p${i}`) })),
  });
  assert.equal(leaderSync.assignment.toString(), 'p0');
  assert.equal((await followerSync).assignment.toString(), 'p1');
  assert.equal(group.state, 'Stable');
  assert.ok(stored.includes(2), 'the assignment was stored before the answers');
  const late = await m.sync({ groupId: 'g', memberId: c.memberId, groupInstanceId: null, generationId: 2, protocolType: null, protocolName: null, assignments: [] });
  assert.equal(late.assignment.toString(), 'p2', 'a member syncing after Stable gets its assignment at once');
  assert.equal(m.heartbeat('g', b.memberId, null, 2), ErrorCode.NONE);
  assert.equal(m.heartbeat('g', b.memberId, null, 1), ErrorCode.ILLEGAL_GENERATION);
  assert.equal(m.heartbeat('g', 'stranger', null, 2), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal((await m.sync({ groupId: 'g', memberId: b.memberId, groupInstanceId: null, generationId: 1, protocolType: null, protocolName: null, assignments: [] })).errorCode, ErrorCode.ILLEGAL_GENERATION);
});

test('protocol choice, incompatible members, session timeout bounds and group size', async () => {
  const { m, clock } = setup({ maxSize: 2, initialRebalanceDelayMs: 100 });
  const both = [{ name: 'roundrobin', metadata: Buffer.alloc(0) }, { name: 'range', metadata: Buffer.alloc(0) }];
  const [x, y] = await joinTogether(m, clock, [req('', { protocols: both }), req('', { protocols: [both[1], both[0]] })]);
  assert.equal(x.protocolName, y.protocolName);
  assert.ok(['range', 'roundrobin'].includes(x.protocolName ?? ''));
  assert.equal((await m.join(req('', { protocols: [{ name: 'sticky', metadata: Buffer.alloc(0) }] }))).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  assert.equal((await m.join(req('', { protocolType: 'connect' }))).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  assert.equal((await m.join(req('', { groupId: 'h', sessionTimeoutMs: 999 }))).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
  assert.equal((await m.join(req('', { groupId: 'h', sessionTimeoutMs: 60_001 }))).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
  assert.equal((await m.join(req(''))).errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
  assert.equal((await m.join(req('', { groupId: '' }))).errorCode, ErrorCode.INVALID_GROUP_ID);
  const three = [{ name: 'a', metadata: Buffer.alloc(0) }, { name: 'b', metadata: Buffer.alloc(0) }];
  const { m: m2, clock: clock2 } = setup({ initialRebalanceDelayMs: 100 });
  const votes = await joinTogether(m2, clock2, [req('', { protocols: three }), req('', { protocols: [three[1], three[0]] }), req('', { protocols: [three[1], three[0]] })]);
  assert.ok(votes.every((v) => v.protocolName === 'b'), 'the protocol most members list first wins');
});

test('group.initial.rebalance.delay.ms waits for more members, extending while they come, bounded by the rebalance timeout', async () => {
  const { m, clock } = setup({ initialRebalanceDelayMs: 3000 });
  const results: JoinResult[] = [];
  void m.join(req('', { rebalanceTimeoutMs: 7000 })).then((r) => results.push(r));
  clock.advance(2000);
  void m.join(req('', { rebalanceTimeoutMs: 7000 })).then((r) => results.push(r));
  clock.advance(1500);
  await settle();
  assert.equal(results.length, 0, 'a member joined during the delay: the delay is extended');
  void m.join(req('', { rebalanceTimeoutMs: 7000 })).then((r) => results.push(r));
  clock.advance(3000);
  await settle();
  assert.equal(results.length, 0);
  clock.advance(1000);
  await settle();
  assert.equal(results.length, 3, 'the rebalance timeout bounds the extensions');
  assert.ok(results.every((r) => r.generationId === 1 && r.errorCode === 0));
});

test('a silent member expires after its session timeout and the survivors rebalance without it', async () => {
  const { m, clock } = setup();
  const [a, b, c] = await stableGroupOfThree(m);
  await m.sync({ groupId: 'g', memberId: a.memberId, groupInstanceId: null, generationId: 2, protocolType: null, protocolName: null, assignments: [] });
  await Promise.all([b, c].map((x) => m.sync({ groupId: 'g', memberId: x.memberId, groupInstanceId: null, generationId: 2, protocolType: null, protocolName: null, assignments: [] })));
  const group = m.groups.get('g') as Group;
  assert.equal(group.state, 'Stable');
  for (let t = 0; t < 3; t++) {
    clock.advance(3000);
    assert.equal(m.heartbeat('g', a.memberId, null, 2), ErrorCode.NONE);
    assert.equal(m.heartbeat('g', b.memberId, null, 2), ErrorCode.NONE);
  }
  assert.equal(group.state, 'Stable', 'nine seconds of silence is within c\'s ten-second session');
  clock.advance(2000);
  // c has been silent for 11 s > 10 s: removed, a rebalance began.
  assert.equal(group.members.has(c.memberId), false);
  assert.equal(group.state, 'PreparingRebalance');
  assert.equal(m.heartbeat('g', a.memberId, null, 2), ErrorCode.REBALANCE_IN_PROGRESS);
  const rejoined = await Promise.all([m.join(req(a.memberId)), m.join(req(b.memberId))]);
  assert.deepEqual(rejoined.map((r) => r.generationId), [3, 3]);
  assert.equal(rejoined[0].members.length, 2);
});

test('the rebalance timeout drops members that do not rejoin; the sync timeout drops members that never sync', async () => {
  const { m, clock } = setup();
  const [a, b, c] = await stableGroupOfThree(m);
  void a;
  const group = m.groups.get('g') as Group;
  // Nobody syncs generation 2: after the rebalance timeout the pending members are removed.
  clock.advance(30_001);
  assert.equal(group.members.size, 0);
  assert.equal(group.state, 'Empty');
  assert.equal(group.generationId, 3);
  void b;
  void c;
  // A fresh round: one member never rejoins a rebalance and is dropped when the join phase times out.
  const { m: m2, clock: clock2 } = setup({ initialRebalanceDelayMs: 100 });
  const [x, y] = await joinTogether(m2, clock2, [req(''), req('')]);
  await Promise.all([x, y].map((r) => m2.sync({ groupId: 'g', memberId: r.memberId, groupInstanceId: null, generationId: 1, protocolType: null, protocolName: null, assignments: [] })));
  const z = m2.join(req(''));
  await settle();
  const x2 = m2.join(req(x.memberId));
  clock2.advance(9000);
  assert.equal(m2.heartbeat('g', y.memberId, null, 1), ErrorCode.REBALANCE_IN_PROGRESS);
  clock2.advance(30_000);
  const [rx, rz] = await Promise.all([x2, z]);
  assert.equal(rx.generationId, 2);
  assert.equal(rz.generationId, 2);
  assert.equal(m2.groups.get('g')?.members.has(y.memberId), false, 'the member that heartbeats but never rejoins is dropped');
});

test('SyncGroup during PreparingRebalance answers REBALANCE_IN_PROGRESS; leaving rebalances; the last leave empties the group', async () => {
  const { m, clock } = setup({ initialRebalanceDelayMs: 100 });
  const [x, y] = await joinTogether(m, clock, [req(''), req('')]);
  await Promise.all([x, y].map((r) => m.sync({ groupId: 'g', memberId: r.memberId, groupInstanceId: null, generationId: 1, protocolType: null, protocolName: null, assignments: [] })));
  assert.equal(m.leave('g', y.memberId, null), ErrorCode.NONE);
  const group = m.groups.get('g') as Group;
  assert.equal(group.state, 'PreparingRebalance');
  assert.equal((await m.sync({ groupId: 'g', memberId: x.memberId, groupInstanceId: null, generationId: 1, protocolType: null, protocolName: null, assignments: [] })).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
  assert.equal(m.leave('g', 'nobody', null), ErrorCode.UNKNOWN_MEMBER_ID);
  const again = await m.join(req(x.memberId));
  assert.equal(again.generationId, 2);
  assert.equal(m.leave('g', x.memberId, null), ErrorCode.NONE);
  await settle();
  assert.equal(group.state, 'Empty');
  assert.equal(group.members.size, 0);
  assert.equal(group.protocolType, 'consumer', 'an empty group keeps its protocol type');
});

test('static membership: a restarted member gets its assignment back without a rebalance; its old id is fenced', async () => {
  const { m, clock } = setup({ initialRebalanceDelayMs: 100 });
  const s = (memberId: string, over: Partial<JoinRequest> = {}) => req(memberId, { groupInstanceId: 'instance-1', ...over });
  const [a, b] = await joinTogether(m, clock, [s(''), req('')]);
  const leader = a.leader === a.memberId ? a : b;
  const syncs = await Promise.all(
    [a, b].map((r) =>
      m.sync({ groupId: 'g', memberId: r.memberId, groupInstanceId: r === a ? 'instance-1' : null, generationId: 1, protocolType: null, protocolName: null, assignments: r === leader ? [{ memberId: a.memberId, assignment: Buffer.from('static-part') }, { memberId: b.memberId, assignment: Buffer.from('dynamic-part') }] : [] }),
    ),
  );
  assert.equal(syncs[0].assignment.toString(), 'static-part');
  const group = m.groups.get('g') as Group;
  assert.equal(group.state, 'Stable');
  // The static member restarts: unknown member id, same instance id.
  const back = await m.join(s(''));
  assert.equal(back.errorCode, ErrorCode.NONE);
  assert.notEqual(back.memberId, a.memberId);
  assert.equal(back.generationId, 1, 'no rebalance');
  assert.equal(group.state, 'Stable');
  const resync = await m.sync({ groupId: 'g', memberId: back.memberId, groupInstanceId: 'instance-1', generationId: 1, protocolType: null, protocolName: null, assignments: [] });
  assert.equal(resync.assignment.toString(), 'static-part');
  assert.equal(m.heartbeat('g', a.memberId, 'instance-1', 1), ErrorCode.FENCED_INSTANCE_ID);
  assert.equal((await m.sync({ groupId: 'g', memberId: a.memberId, groupInstanceId: 'instance-1', generationId: 1, protocolType: null, protocolName: null, assignments: [] })).errorCode, ErrorCode.FENCED_INSTANCE_ID);
  assert.equal((await m.join(s(a.memberId))).errorCode, ErrorCode.FENCED_INSTANCE_ID);
  assert.equal(m.heartbeat('g', back.memberId, 'instance-1', 1), ErrorCode.NONE);
  // Changed subscription: this time a rebalance follows.
  const changed = m.join(s(back.memberId, { protocols: [{ name: 'range', metadata: Buffer.from('new topics') }] }));
  await settle();
  assert.equal(group.state, 'PreparingRebalance');
  await m.join(req(b.memberId));
  assert.equal((await changed).generationId, 2);
  // Leaving by instance id.
  assert.equal(m.leave('g', '', 'instance-1'), ErrorCode.NONE);
  assert.equal(group.members.has(back.memberId), false);
  assert.equal(m.leave('g', '', 'instance-1'), ErrorCode.UNKNOWN_MEMBER_ID);
});
