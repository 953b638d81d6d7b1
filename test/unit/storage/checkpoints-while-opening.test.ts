// The offset checkpoints are written for the whole data directory, also while a start is still
// opening partitions: a checkpoint then (a topic deleted, retention, a cleaner pass) keeps the
// entries of the partitions not opened yet, so a crash before they open loses neither their log
// start offset (records deleted below it would come back) nor their recovery point. A partition
// whose directory is gone starts empty at offset 0, as Kafka creates a missing log, not at the
// log start its old directory had.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { LogManager } from '../../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG } from '../../../src/storage/log.js';
import { batch, tempDir } from '../../helpers/storage.js';

const A = { topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', create: true };
const B = { topicId: 'BBBBBBBBBBBBBBBBBBBBBQ', create: true };
const reopen = (o: { topicId: string }) => ({ topicId: o.topicId, create: false });

/** Two partitions with 6 records each, b-0's log start moved to 4 (DeleteRecords), closed cleanly. */
async function twoPartitions(dir: string): Promise<void> {
  const manager = await LogManager.open(dir);
  const a = await manager.openLog('a', 0, DEFAULT_LOG_CONFIG, A);
  const b = await manager.openLog('b', 0, DEFAULT_LOG_CONFIG, B);
  for (let i = 0; i < 3; i++) {
    await a.append(await batch(`a${i}`, 2, 1000 + i), 0, null);
    await b.append(await batch(`b${i}`, 2, 1000 + i), 0, null);
  }
  await b.deleteRecordsBefore(4);
  await manager.close();
}

test('a checkpoint written before every partition is open keeps the others; a crash then loses no log start offset', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await twoPartitions(dir);
    // The next start opens a-0 only, and something checkpoints (here: deleting another topic).
    const starting = await LogManager.open(dir);
    await starting.openLog('a', 0, DEFAULT_LOG_CONFIG, reopen(A));
    await starting.openLog('c', 0, DEFAULT_LOG_CONFIG, { topicId: 'CCCCCCCCCCCCCCCCCCCCCQ', create: true });
    await starting.deleteLogs('c', [0]);
    const written = await readFile(join(dir, 'log-start-offset-checkpoint'), 'utf8');
    assert.match(written, /^b 0 4$/m, 'b-0, not open yet, keeps its log start in the file');
    assert.match(await readFile(join(dir, 'recovery-point-offset-checkpoint'), 'utf8'), /^b 0 6$/m);
    // Crash (no close), start again: b-0 opens at its log start, and its records below it stay gone.
    const after = await LogManager.open(dir);
    const b = await after.openLog('b', 0, DEFAULT_LOG_CONFIG, reopen(B));
    assert.equal(b.logStartOffset, 4);
    assert.equal(b.logEndOffset, 6);
    await after.close();
  } finally {
    await cleanup();
  }
});

test('a partition whose directory is gone starts empty at offset 0, not at its old log start', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await twoPartitions(dir);
    await rm(join(dir, 'b-0'), { recursive: true });
    const manager = await LogManager.open(dir);
    const b = await manager.openLog('b', 0, DEFAULT_LOG_CONFIG, reopen(B));
    assert.equal(b.logStartOffset, 0);
    assert.equal(b.logEndOffset, 0);
    const appended = await b.append(await batch('new', 1, 2000), 0, null);
    assert.equal(appended.baseOffset, 0);
    // And a checkpoint no longer names the old offsets.
    await manager.checkpoint();
    assert.doesNotMatch(await readFile(join(dir, 'log-start-offset-checkpoint'), 'utf8'), /^b 0 4$/m);
    await manager.close();
  } finally {
    await cleanup();
  }
});
