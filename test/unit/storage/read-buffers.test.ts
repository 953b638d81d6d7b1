// The pool of read buffers: memory is reused only after it was given back, never handed to two
// readers at once (giving back twice, a part of a buffer, or a foreign buffer does not duplicate or
// adopt anything), reads outside the pooled sizes are plain allocations, and the memory kept for
// reuse stays within its budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { POOLED_MAX_BYTES, POOLED_MIN_BYTES, ReadBufferPool } from '../../../src/storage/read-buffers.js';

test('a buffer given back serves the next read of its size class; one still lent never does', () => {
  const pool = new ReadBufferPool(64 * 1024 * 1024);
  const a = pool.take(300_000);
  const b = pool.take(300_000);
  assert.equal(a.length, 300_000);
  assert.notEqual(a.buffer, b.buffer, 'two reads out at once share no memory');
  pool.giveBack(a);
  const c = pool.take(400_000); // same power-of-two capacity (512 KiB) as a
  assert.equal(c.buffer, a.buffer, 'the memory a gave back is reused');
  assert.equal(c.length, 400_000);
  assert.notEqual(c.buffer, b.buffer);
  assert.equal(pool.reuseCount, 1);
  const d = pool.take(300_000);
  assert.notEqual(d.buffer, b.buffer, 'b was never given back');
  assert.notEqual(d.buffer, c.buffer, 'c is lent again');
});

test('giving back twice, or a part and then the whole, frees the memory once', () => {
  const pool = new ReadBufferPool(64 * 1024 * 1024);
  const a = pool.take(200_000);
  pool.giveBack(a.subarray(0, 10));
  pool.giveBack(a);
  pool.giveBack(a);
  assert.equal(pool.freeBytesHeld, 256 * 1024);
  const first = pool.take(200_000);
  const second = pool.take(200_000);
  assert.equal(first.buffer, a.buffer);
  assert.notEqual(second.buffer, a.buffer, 'the memory given back twice went to one reader only');
});

test('buffers the pool did not lend are ignored', () => {
  const pool = new ReadBufferPool(64 * 1024 * 1024);
  pool.giveBack(Buffer.allocUnsafeSlow(256 * 1024));
  pool.giveBack(Buffer.from('a small one'));
  pool.giveBack(new Uint8Array(new SharedArrayBuffer(256 * 1024)));
  assert.equal(pool.freeBytesHeld, 0);
  const small = pool.take(100);
  pool.giveBack(small);
  assert.equal(pool.freeBytesHeld, 0, 'reads below the pooled sizes are plain allocations');
});

test('reads below and above the pooled sizes are not pooled; sizes at the bounds are', () => {
  const pool = new ReadBufferPool(64 * 1024 * 1024);
  for (const length of [POOLED_MIN_BYTES - 1, POOLED_MAX_BYTES + 1]) {
    const b = pool.take(length);
    assert.equal(b.length, length);
    pool.giveBack(b);
  }
  assert.equal(pool.freeBytesHeld, 0);
  for (const length of [POOLED_MIN_BYTES, POOLED_MAX_BYTES]) pool.giveBack(pool.take(length));
  assert.equal(pool.freeBytesHeld, POOLED_MIN_BYTES + POOLED_MAX_BYTES);
});

test('the memory kept for reuse stays within the budget; the rest is left to the collector', () => {
  const budget = 1024 * 1024;
  const pool = new ReadBufferPool(budget);
  const lent = Array.from({ length: 10 }, () => pool.take(200_000)); // 256 KiB each
  for (const b of lent) pool.giveBack(b);
  assert.equal(pool.freeBytesHeld, budget);
  const again = Array.from({ length: 10 }, () => pool.take(200_000));
  assert.equal(new Set(again.map((b) => b.buffer)).size, 10, 'every reader has memory of its own');
  assert.equal(pool.reuseCount, 4);
  assert.equal(pool.freeBytesHeld, 0);
});

test('a reused buffer holds what its new reader writes, and the old reader gave up its view', () => {
  const pool = new ReadBufferPool(64 * 1024 * 1024);
  const a = pool.take(150_000);
  a.fill(1);
  pool.giveBack(a);
  const b = pool.take(150_000);
  b.fill(2);
  assert.equal(b.buffer, a.buffer);
  assert.ok(b.every((x) => x === 2));
});
