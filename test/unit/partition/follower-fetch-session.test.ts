// The follower's incremental fetch session (KIP-227): a full first fetch asks for a session, then
// only changed partitions and forgotten ones travel, and any session error starts over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FollowerFetchSession, type FollowedPosition } from '../../../src/partition/follower-fetch-session.js';

const at = (partition: number, fetchOffset: number, currentLeaderEpoch = 4): FollowedPosition => ({ topic: 't', partition, fetchOffset, currentLeaderEpoch, logStartOffset: 0, maxBytes: 1024 });

test('a follower session sends everything once, then only what changed, and forgets what it stopped following', () => {
  const session = new FollowerFetchSession();
  const first = session.next([at(0, 10), at(1, 20)]);
  assert.deepEqual([first.sessionId, first.sessionEpoch, first.partitions.length], [0, 0, 2]);
  session.answered([at(0, 10), at(1, 20)], 77);

  const second = session.next([at(0, 15), at(1, 20)]);
  assert.deepEqual([second.sessionId, second.sessionEpoch], [77, 1]);
  assert.deepEqual(second.partitions.map((p) => [p.partition, p.fetchOffset]), [[0, 15]], 'only the partition that moved');
  session.answered([at(0, 15), at(1, 20)], 77);

  const third = session.next([at(1, 20, 5)]);
  assert.equal(third.sessionEpoch, 2);
  assert.deepEqual(third.partitions.map((p) => p.partition), [1], 'a new leader epoch is a change');
  assert.deepEqual(third.forgotten, [{ topic: 't', partition: 0 }]);

  session.reset();
  const full = session.next([at(1, 20, 5)]);
  assert.deepEqual([full.sessionId, full.sessionEpoch, full.partitions.length, full.forgotten.length], [0, 0, 1, 0]);
});

test('a leader without room for a session keeps the follower on full fetches', () => {
  const session = new FollowerFetchSession();
  session.answered([at(0, 1)], 0);
  const next = session.next([at(0, 1)]);
  assert.deepEqual([next.sessionId, next.sessionEpoch, next.partitions.length], [0, 0, 1]);
});
