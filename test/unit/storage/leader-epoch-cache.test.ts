// The leader epoch cache against the cases of Kafka's LeaderEpochFileCacheTest: endOffsetFor
// (KIP-101/279), assign's monotonic truncation, and truncation from either end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LeaderEpochCache, UNDEFINED_EPOCH_END } from '../../../src/storage/leader-epoch-cache.js';

const cache = (...entries: [number, number][]) => new LeaderEpochCache(entries.map(([epoch, startOffset]) => ({ epoch, startOffset })));
const shape = (c: LeaderEpochCache) => c.entries.map((e) => [e.epoch, e.startOffset]);

test('endOffsetFor: the latest epoch ends at the log end, an older one where the next above it starts', () => {
  const c = cache([0, 0], [2, 10], [5, 30]);
  assert.deepEqual(c.endOffsetFor(5, 42), { epoch: 5, endOffset: 42 }, 'latest: the log end');
  assert.deepEqual(c.endOffsetFor(2, 42), { epoch: 2, endOffset: 30 });
  assert.deepEqual(c.endOffsetFor(0, 42), { epoch: 0, endOffset: 10 });
  // An epoch the log never saw, between two known ones: the largest known below it, ending where the next starts.
  assert.deepEqual(c.endOffsetFor(3, 42), { epoch: 2, endOffset: 30 });
  assert.deepEqual(c.endOffsetFor(1, 42), { epoch: 0, endOffset: 10 });
});

test('endOffsetFor: undefined for -1, an empty cache and an epoch above every known one; below the first, the first start offset', () => {
  const c = cache([3, 100], [4, 120]);
  assert.deepEqual(c.endOffsetFor(-1, 150), UNDEFINED_EPOCH_END);
  assert.deepEqual(c.endOffsetFor(7, 150), UNDEFINED_EPOCH_END);
  assert.deepEqual(cache().endOffsetFor(0, 0), UNDEFINED_EPOCH_END);
  // Kafka: the data before the first known epoch is gone, so the requested epoch "ends" where the log's epochs begin.
  assert.deepEqual(c.endOffsetFor(1, 150), { epoch: 1, endOffset: 100 });
});

test('noteBatch records only epochs above the latest, and never a batch without an epoch', () => {
  const c = cache();
  assert.equal(c.noteBatch(-1, 0), false);
  assert.equal(c.noteBatch(0, 0), true);
  assert.equal(c.noteBatch(0, 5), false);
  assert.equal(c.noteBatch(3, 9), true);
  assert.equal(c.noteBatch(2, 12), false, 'an older epoch after a newer one changes nothing');
  assert.deepEqual(shape(c), [[0, 0], [3, 9]]);
});

test('assign drops the entries it contradicts (epoch at or above, or start at or after the new one)', () => {
  const c = cache([0, 0], [2, 10], [4, 20]);
  assert.equal(c.assign(4, 25), false, 'same epoch, later start: already known');
  assert.equal(c.assign(3, 15), true);
  assert.deepEqual(shape(c), [[0, 0], [2, 10], [3, 15]]);
  assert.equal(c.assign(5, 5), true);
  assert.deepEqual(shape(c), [[0, 0], [5, 5]]);
});

test('truncateFromEnd removes epochs starting at or after the offset', () => {
  const c = cache([0, 0], [2, 10], [4, 20]);
  assert.equal(c.truncateFromEnd(30), false);
  assert.equal(c.truncateFromEnd(10), true);
  assert.deepEqual(shape(c), [[0, 0]]);
  assert.equal(c.truncateFromEnd(0), true);
  assert.deepEqual(shape(c), []);
});

test('truncateFromStart keeps the epoch covering the new start, moved to begin there', () => {
  const c = cache([0, 0], [2, 10], [4, 20]);
  assert.equal(c.truncateFromStart(0), false, 'an entry at the offset stays as it is');
  assert.equal(c.truncateFromStart(15), true);
  assert.deepEqual(shape(c), [[2, 15], [4, 20]]);
  assert.equal(c.truncateFromStart(20), true);
  assert.deepEqual(shape(c), [[4, 20]]);
  assert.equal(c.truncateFromStart(20), false);
  assert.equal(c.truncateFromStart(5), false, 'below every entry: nothing to do');
});
