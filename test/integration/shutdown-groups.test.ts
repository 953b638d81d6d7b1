// Stopping a broker that coordinates groups leaves nothing behind in the embedding process: no
// armed timer (a member's session expiring after stop() used to append to a closed log, and the
// rejection nobody handled ended the test runner), and a JoinGroup still waiting is answered
// NOT_COORDINATOR at once instead of being cut off after the shutdown grace period. Time is a
// ManualScheduler: nothing here waits for a session timeout.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { startBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { ManualScheduler } from '../../src/coordinator/scheduler.js';
import type { JoinGroupResponse, SyncGroupResponse } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
before(() => process.on('unhandledRejection', onUnhandled));
after(() => process.off('unhandledRejection', onUnhandled));

const GROUP_CONFIG = { 'offsets.topic.num.partitions': '1', 'group.min.session.timeout.ms': '100' };

/** JoinGroup v3 (no KIP-394 round trip): one member joining an empty group. */
function joinGroup(c: RawClient, correlationId: number, groupId: string): void {
  c.sendRequest(11, 3, correlationId, {
    groupId,
    sessionTimeoutMs: 1000,
    rebalanceTimeoutMs: 2000,
    memberId: '',
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from([0, 0, 0, 0, 0, 0, 0, 0]) }],
  });
}

async function joined(c: RawClient): Promise<JoinGroupResponse> {
  const res = await c.response(11, 3);
  assert.ok(res, 'JoinGroup was answered');
  return res.body as JoinGroupResponse;
}

/** Lets the broker's pending promise callbacks and I/O run. */
const settle = () => new Promise((r) => setImmediate(r));

test('stop() cancels every group timer: time moving on afterwards expires nobody and writes nothing', async () => {
  const clock = new ManualScheduler();
  const broker = await startBroker({ port: 0, scheduler: clock, config: { ...GROUP_CONFIG, 'group.initial.rebalance.delay.ms': '0' } });
  const c = await RawClient.open(broker.bootstrap);
  const before = clock.pending; // the offset expiry timer
  joinGroup(c, 1, 'stopping');
  const res = await joined(c);
  assert.equal(res.errorCode, ErrorCode.NONE);
  assert.equal(res.generationId, 1);
  assert.equal(clock.pending, before + 2, 'the member\'s session timer and the group\'s sync timer are armed');
  c.close();
  await broker.stop();
  assert.equal(clock.pending, 0, 'no timer survives stop()');
  clock.advance(60_000);
  for (let i = 0; i < 5; i++) await settle();
  assert.deepEqual(unhandled, []);
});

test('a JoinGroup waiting in the initial rebalance delay is answered NOT_COORDINATOR by stop()', async () => {
  const clock = new ManualScheduler();
  const broker = await startBroker({ port: 0, scheduler: clock, config: { ...GROUP_CONFIG, 'group.initial.rebalance.delay.ms': '3000' } });
  const c = await RawClient.open(broker.bootstrap);
  const before = clock.pending; // the offset expiry timer
  joinGroup(c, 7, 'waiting');
  // The join waits for the initial delay on a clock that never moves; stop() must answer it.
  while (clock.pending === before) await settle();
  const stopped = broker.stop();
  const res = await joined(c);
  await stopped;
  assert.equal(res.errorCode, ErrorCode.NOT_COORDINATOR);
  assert.equal(clock.pending, 0);
  c.close();
  assert.deepEqual(unhandled, []);
});

test('a start that fails (port taken) leaves no timer of the members it replayed', async () => {
  const dataDir = await mkdtemp(joinPath(tmpdir(), 'tributary-failed-start-'));
  const taken = createServer();
  try {
    const first = await startBroker({ port: 0, dataDir, scheduler: new ManualScheduler(), config: { ...GROUP_CONFIG, 'group.initial.rebalance.delay.ms': '0' } });
    const c = await RawClient.open(first.bootstrap);
    joinGroup(c, 1, 'replayed');
    const member = await joined(c);
    assert.equal(member.errorCode, ErrorCode.NONE);
    // The leader's SyncGroup stores the Stable group with its member in __consumer_offsets.
    c.sendRequest(14, 3, 2, { groupId: 'replayed', generationId: member.generationId, memberId: member.memberId, assignments: [{ memberId: member.memberId, assignment: Buffer.alloc(0) }] });
    assert.equal(((await c.response(14, 3))?.body as SyncGroupResponse).errorCode, ErrorCode.NONE);
    c.close();
    await first.stop();

    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    const clock = new ManualScheduler();
    await assert.rejects(startBroker({ port, dataDir, scheduler: clock, config: GROUP_CONFIG }), /EADDRINUSE/);
    assert.equal(clock.pending, 0, 'the replayed member\'s session timer was cancelled');
    // The logs were closed too: the same directory opens again.
    const again = await startBroker({ port: 0, dataDir, scheduler: new ManualScheduler(), config: GROUP_CONFIG });
    await again.stop();
  } finally {
    taken.close();
    await rm(dataDir, { recursive: true, force: true });
  }
  assert.deepEqual(unhandled, []);
});
