// The fetch session cache's eviction rule (Kafka's FetchSessionCache), with explicit times.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FetchSessionCache, nextEpoch, sessionKey, type FetchSession } from '../../src/partition/fetch-sessions.js';

const EVICTION_MS = 1000;

function withPartitions(session: FetchSession | null, count: number): FetchSession {
  assert.ok(session, 'a session was created');
  for (let i = 0; i < count; i++) {
    session.partitions.set(sessionKey(false, 't', '', i), { topic: 't', topicId: '', partition: i, fetchOffset: 0, maxBytes: 1, currentLeaderEpoch: -1, lastHighWatermark: -1, lastLogStartOffset: -1 });
  }
  return session;
}

test('a new session starts at epoch 1; epochs wrap from 2^31-1 to 1, never to 0', () => {
  const cache = new FetchSessionCache({ maxSessions: 1, evictionMs: EVICTION_MS });
  assert.equal(cache.maybeCreate(0, false, 1, false)?.epoch, 1);
  assert.equal(nextEpoch(5), 6);
  assert.equal(nextEpoch(2 ** 31 - 1), 1);
  assert.equal(nextEpoch(-1), -1);
});

test('when full, a session idle past the eviction time makes room', () => {
  const cache = new FetchSessionCache({ maxSessions: 2, evictionMs: EVICTION_MS });
  const idle = withPartitions(cache.maybeCreate(0, false, 3, false), 3);
  const busy = withPartitions(cache.maybeCreate(0, false, 3, false), 3);
  cache.touch(busy, 1500);
  const fresh = cache.maybeCreate(1500, false, 1, false);
  assert.ok(fresh, 'the idle session was evicted even for a smaller one');
  assert.equal(cache.get(idle.id), undefined);
  assert.equal(cache.get(busy.id), busy);
  assert.equal(cache.evictions, 1);
});

test('young sessions in use are never evicted by consumers; old ones only by a bigger session', () => {
  const cache = new FetchSessionCache({ maxSessions: 2, evictionMs: EVICTION_MS });
  const a = withPartitions(cache.maybeCreate(0, false, 2, false), 2);
  const b = withPartitions(cache.maybeCreate(0, false, 5, false), 5);
  cache.touch(a, 500);
  cache.touch(b, 500);
  assert.equal(cache.maybeCreate(600, false, 100, false), null, 'both are younger than the eviction time');
  cache.touch(a, 1200);
  cache.touch(b, 1200);
  assert.equal(cache.maybeCreate(1300, false, 2, false), null, 'a tie does not evict');
  const bigger = cache.maybeCreate(1300, false, 3, false);
  assert.ok(bigger, 'three partitions are worth more than two');
  assert.equal(cache.get(a.id), undefined, 'the least valuable old session went');
  assert.equal(cache.get(b.id), b);
  assert.equal(cache.size, 2);
});

test('a follower (privileged) may evict a young consumer session; a consumer may not evict a young follower session', () => {
  const cache = new FetchSessionCache({ maxSessions: 1, evictionMs: EVICTION_MS });
  const consumer = withPartitions(cache.maybeCreate(0, false, 50, false), 50);
  const follower = cache.maybeCreate(10, true, 1, false);
  assert.ok(follower);
  assert.equal(cache.get(consumer.id), undefined);
  withPartitions(follower, 1);
  assert.equal(cache.maybeCreate(20, false, 500, false), null);
  assert.ok(cache.get(follower.id));
});

test('max sessions 0 never creates one', () => {
  const cache = new FetchSessionCache({ maxSessions: 0, evictionMs: EVICTION_MS });
  assert.equal(cache.maybeCreate(0, true, 1, false), null);
  assert.equal(cache.size, 0);
});
