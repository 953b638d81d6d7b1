// The two delayed operations over real partitions (in-memory logs) on a manual clock: a fetch
// waiting for bytes and an acks=all produce waiting for the high watermark.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { ManualScheduler } from '../../../src/partition/clock.js';
import { ReplicaManager, type PartitionLogStore } from '../../../src/partition/replica-manager.js';
import { MemoryLog } from '../../../src/storage/memory-log.js';
import { waitForFetchData, type FetchWatch } from '../../../src/partition/delayed-fetch.js';
import { waitForHighWatermark, type HighWatermarkWait } from '../../../src/partition/delayed-produce.js';
import { Purgatory, partitionKey, type Completion } from '../../../src/partition/purgatory.js';
import { READ_COMMITTED, READ_UNCOMMITTED, type Partition } from '../../../src/partition/partition.js';
import type { TopicRecord } from '../../../src/metadata/local-store.js';
import { batch } from '../../helpers/storage.js';

const TOPIC: TopicRecord = { name: 'dl', topicId: 'AAAAAAAAAAAAAAAAAAAAAg', partitions: 3, configs: {} };

const memoryStore: PartitionLogStore = {
  open: async () => new MemoryLog(),
  syncCreated: async () => {},
  remove: async () => {},
  setAsideUnowned: async () => {},
  reconfigure: () => {},
};

async function setup(): Promise<{ clock: ManualScheduler; replicas: ReplicaManager; parts: Partition[] }> {
  const clock = new ManualScheduler();
  const replicas = new ReplicaManager(memoryStore, undefined, clock);
  await replicas.createPartitions(TOPIC, [0, 1, 2]);
  const parts = [0, 1, 2].map((i) => replicas.get('dl', i) as Partition);
  return { clock, replicas, parts };
}

/** A watch as the fetch handler builds it after a read that found nothing new. */
function watchAtEnd(p: Partition, currentLeaderEpoch = -1): FetchWatch {
  return { partition: p, fetchOffset: p.logEndOffset, currentLeaderEpoch, seenHighWatermark: p.highWatermark, seenLastStableOffset: p.lastStableOffset };
}

/** The outcome of a promise if it has settled by now (after pending microtasks), else 'pending'. */
async function settled<T>(promise: Promise<T>): Promise<T | 'pending'> {
  let value: T | 'pending' = 'pending';
  void promise.then((v) => (value = v));
  await new Promise((r) => setImmediate(r));
  return value;
}

function fetchWait(replicas: ReplicaManager, watches: FetchWatch[], timeoutMs: number, signal?: AbortSignal, isolationLevel = READ_UNCOMMITTED): Promise<Completion> {
  return waitForFetchData(replicas.purgatory, { watches, isolationLevel, lookup: (t, i) => replicas.get(t, i), timeoutMs, signal });
}

test('a waiting fetch wakes at an append to any partition it watches, and not at an append elsewhere', async () => {
  const { clock, replicas, parts } = await setup();
  const waiting = fetchWait(replicas, [watchAtEnd(parts[0]), watchAtEnd(parts[1])], 30_000);
  assert.equal(replicas.waitingFetches, 1);
  await parts[2].append(await batch('other', 1, 1000), null);
  assert.equal(await settled(waiting), 'pending');
  await parts[1].append(await batch('mine', 2, 1000), null);
  assert.equal(await settled(waiting), 'completed');
  assert.equal(replicas.waitingFetches, 0);
  assert.equal(replicas.purgatory.watchedKeys, 0);
  assert.equal(clock.pending, 0);
});

test('a change that cannot alter the answer (records deleted below the fetch offset) does not wake the fetch', async () => {
  const { replicas, parts } = await setup();
  await parts[0].append(await batch('a', 4, 1000), null);
  const waiting = fetchWait(replicas, [watchAtEnd(parts[0])], 30_000);
  await parts[0].deleteRecordsBefore(2);
  assert.equal(await settled(waiting), 'pending');
  replicas.purgatory.checkAndComplete(partitionKey('dl', 0));
  assert.equal(await settled(waiting), 'pending', 'a check without a change completes nothing');
  await parts[0].deleteRecordsBefore(4);
  assert.equal(await settled(waiting), 'pending', 'the fetch offset (4) is still in the log');
  await parts[0].append(await batch('b', 1, 1000), null);
  assert.equal(await settled(waiting), 'completed');
});

test('a waiting fetch wakes when its fetch offset falls out of the log, its partition is deleted, or the leader epoch moves', async () => {
  const { replicas, parts } = await setup();
  await parts[0].append(await batch('a', 4, 1000), null);
  const behind: FetchWatch = { ...watchAtEnd(parts[0]), fetchOffset: 1 };
  const outOfRange = fetchWait(replicas, [behind], 30_000);
  await parts[0].deleteRecordsBefore(3);
  assert.equal(await settled(outOfRange), 'completed');

  const epochWatch = fetchWait(replicas, [watchAtEnd(parts[1], 0)], 30_000);
  const noEpochWatch = fetchWait(replicas, [watchAtEnd(parts[1])], 30_000);
  parts[1].leaderEpoch = 1;
  parts[1].notify();
  assert.equal(await settled(epochWatch), 'completed');
  assert.equal(await settled(noEpochWatch), 'pending', 'a client that sent no epoch is not fenced by it');

  await replicas.deleteTopic(TOPIC);
  assert.equal(await settled(noEpochWatch), 'completed');
  assert.equal(replicas.waitingFetches, 0);
});

test('a read_committed fetch also wakes when the last stable offset moves', async () => {
  const { replicas, parts } = await setup();
  const seenBefore: FetchWatch = { ...watchAtEnd(parts[0]), seenLastStableOffset: parts[0].lastStableOffset - 1 };
  const committed = fetchWait(replicas, [seenBefore], 30_000, undefined, READ_COMMITTED);
  assert.equal(await settled(committed), 'completed', 'what it saw is already out of date: it completes at once');
  const uncommitted = fetchWait(replicas, [seenBefore], 30_000, undefined, READ_UNCOMMITTED);
  assert.equal(await settled(uncommitted), 'pending');
  replicas.wakeAll();
  assert.equal(await settled(uncommitted), 'shutdown');
});

test('a waiting fetch expires on the clock, ends at its connection\'s close, and ends at shutdown, holding nothing afterwards', async () => {
  const { clock, replicas, parts } = await setup();
  const expiring = fetchWait(replicas, [watchAtEnd(parts[0])], 500);
  const connection = new AbortController();
  const abandoned = fetchWait(replicas, [watchAtEnd(parts[0]), watchAtEnd(parts[1])], 30_000, connection.signal);
  const atShutdown = fetchWait(replicas, [watchAtEnd(parts[2])], 30_000, connection.signal);
  assert.equal(replicas.waitingFetches, 3);
  assert.equal(getEventListeners(connection.signal, 'abort').length, 1, 'one listener for all the waits of a connection');
  clock.advance(499);
  assert.equal(await settled(expiring), 'pending');
  clock.advance(1);
  assert.equal(await settled(expiring), 'expired');

  // Several fetches on one connection: only the abort of that connection ends them (here both).
  const secondConnection = new AbortController();
  const other = fetchWait(replicas, [watchAtEnd(parts[0])], 30_000, secondConnection.signal);
  connection.abort();
  assert.deepEqual(await Promise.all([settled(abandoned), settled(atShutdown), settled(other)]), ['aborted', 'aborted', 'pending']);
  assert.equal(getEventListeners(connection.signal, 'abort').length, 0);
  replicas.wakeAll();
  assert.equal(await settled(other), 'shutdown');
  assert.equal(getEventListeners(secondConnection.signal, 'abort').length, 0);
  assert.equal(await settled(fetchWait(replicas, [watchAtEnd(parts[0])], 30_000)), 'shutdown', 'a wait after shutdown answers at once');
  assert.deepEqual([replicas.waitingFetches, replicas.purgatory.watchedKeys, clock.pending], [0, 0, 0]);
});

test('a fetch watching no partition (an incremental fetch with nothing in its session) waits out its time', async () => {
  const { clock, replicas } = await setup();
  const waiting = fetchWait(replicas, [], 1000);
  assert.equal(replicas.waitingFetches, 1);
  clock.advance(1000);
  assert.equal(await settled(waiting), 'expired');
});

/** A partition whose high watermark a test moves by hand, as followers' fetches would. */
function leaderOf(purgatory: Purgatory, key: string) {
  const state = { hwm: 0, leader: true };
  return {
    state,
    wait: (targetOffset: number, timeoutMs: number, signal?: AbortSignal): Promise<HighWatermarkWait> =>
      waitForHighWatermark(purgatory, { key, highWatermark: () => state.hwm, isLeader: () => state.leader, targetOffset, timeoutMs, signal }),
    advance(hwm: number) {
      state.hwm = hwm;
      purgatory.checkAndComplete(key);
    },
  };
}

test('an acks=all produce waits until the high watermark reaches its offset, not before', async () => {
  const clock = new ManualScheduler();
  const purgatory = new Purgatory({ scheduler: clock });
  const p = leaderOf(purgatory, 'p-0');
  const first = p.wait(5, 30_000);
  const second = p.wait(9, 30_000);
  assert.equal(purgatory.waitingOf('produce'), 2);
  p.advance(4);
  assert.deepEqual(await Promise.all([settled(first), settled(second)]), ['pending', 'pending']);
  p.advance(5);
  assert.deepEqual(await Promise.all([settled(first), settled(second)]), ['reached', 'pending']);
  p.advance(12);
  assert.equal(await settled(second), 'reached');
  assert.equal(await settled(p.wait(12, 30_000)), 'reached', 'already covered: answered at once');
  assert.deepEqual([purgatory.waiting, purgatory.watchedKeys, clock.pending], [0, 0, 0]);
});

test('an acks=all produce times out after timeout_ms, unless the high watermark got there meanwhile', async () => {
  const clock = new ManualScheduler();
  const purgatory = new Purgatory({ scheduler: clock });
  const p = leaderOf(purgatory, 'p-0');
  const late = p.wait(3, 1000);
  const coveredSilently = p.wait(1, 1000);
  clock.advance(999);
  assert.equal(await settled(late), 'pending');
  p.state.hwm = 1; // moved without a checkAndComplete: the deadline's last look still sees it
  clock.advance(1);
  assert.deepEqual(await Promise.all([settled(late), settled(coveredSilently)]), ['timeout', 'reached']);
  assert.deepEqual([purgatory.waiting, clock.pending], [0, 0]);
});

test('an acks=all produce ends with not-leader when the partition stops being led here, and with aborted or shutdown', async () => {
  const clock = new ManualScheduler();
  const purgatory = new Purgatory({ scheduler: clock });
  const p = leaderOf(purgatory, 'p-0');
  const q = leaderOf(purgatory, 'q-0');
  const connection = new AbortController();
  const deposed = p.wait(5, 30_000);
  const abandoned = q.wait(5, 30_000, connection.signal);
  const stopped = q.wait(6, 30_000);
  p.state.leader = false;
  p.advance(0);
  assert.equal(await settled(deposed), 'not-leader');
  connection.abort();
  assert.deepEqual(await Promise.all([settled(abandoned), settled(stopped)]), ['aborted', 'pending']);
  purgatory.close();
  assert.equal(await settled(stopped), 'shutdown');
  assert.equal(getEventListeners(connection.signal, 'abort').length, 0);
  assert.deepEqual([purgatory.waiting, purgatory.watchedKeys, clock.pending], [0, 0, 0]);
});

test('a deposed leader whose high watermark (now the new leader\'s) passes the target answers not-leader, never reached', async () => {
  const clock = new ManualScheduler();
  const purgatory = new Purgatory({ scheduler: clock });
  const p = leaderOf(purgatory, 'p-0');
  const waiting = p.wait(5, 30_000);
  // It became a follower, truncated the batch away and copied the new leader's records past it.
  p.state.leader = false;
  p.advance(9);
  assert.equal(await settled(waiting), 'not-leader');
  const late = p.wait(5, 1000);
  assert.equal(await settled(late), 'not-leader', 'checked at once too');
  assert.deepEqual([purgatory.waiting, clock.pending], [0, 0]);
});
