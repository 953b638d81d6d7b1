// Producer ids from blocks: the single node's file keeps them unique across restarts, and any
// block source (the cluster's shared counter) is used block by block.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProducerIdManager } from '../../../src/metadata/producer-ids.js';

test('ids continue after the last block taken when the data directory is opened again', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-pid-'));
  try {
    const first = await ProducerIdManager.open(dir);
    assert.deepEqual([await first.nextId(), await first.nextId()], [0n, 1n]);
    assert.equal(await readFile(join(dir, '__tributary_producer_ids'), 'utf8'), '1000\n', 'the block is recorded before its ids are used');
    const second = await ProducerIdManager.open(dir);
    assert.equal(await second.nextId(), 1000n);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('ids come from the block source one block at a time', async () => {
  const blocks = [{ firstId: 5000n, size: 2 }, { firstId: 9000n, size: 2 }];
  let asked = 0;
  const ids = ProducerIdManager.fromBlocks(async () => blocks[asked++]);
  const got = await Promise.all(Array.from({ length: 4 }, () => ids.nextId()));
  assert.deepEqual(got, [5000n, 5001n, 9000n, 9001n]);
  assert.equal(asked, 2);
});
