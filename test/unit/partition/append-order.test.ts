// Append turns: each waits for every earlier turn on its partition, even when a turn in between
// ended early; partitions do not wait for each other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { takeAppendTurn } from '../../../src/partition/append-order.js';

const settled = async (p: Promise<void>): Promise<boolean> => {
  let done = false;
  void p.then(() => (done = true));
  for (let i = 0; i < 10; i++) await Promise.resolve();
  return done;
};

test('a turn is ready only when every earlier turn is done', async () => {
  const partition = {};
  const a = takeAppendTurn(partition);
  const b = takeAppendTurn(partition);
  const c = takeAppendTurn(partition);
  assert.equal(await settled(a.ready), true);
  b.done(); // b was refused before its turn came: c must still wait for a
  assert.equal(await settled(c.ready), false);
  assert.equal(await settled(b.ready), false);
  a.done();
  assert.equal(await settled(b.ready), true);
  assert.equal(await settled(c.ready), true);
  const other = takeAppendTurn({});
  c.done();
  assert.equal(await settled(other.ready), true, 'another partition never waits');
});
