/**
 * The storage rules a crash or a disk error tests, one at a time: group commit's one fsync per
 * round, a log that goes offline on an I/O error and stays so, checkpoints that survive power
 * loss, and what retention and ListOffsets need to survive a reopen.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimFileSystem } from '../../helpers/sim-fs.js';
import { batch, clock, openLog, shape, tempDir } from '../../helpers/storage.js';
import { LogManager } from '../../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG } from '../../../src/storage/log.js';
import { LogOfflineError } from '../../../src/storage/partition-log.js';
import { readOffsetCheckpoint, RECOVERY_POINT_FILE } from '../../../src/storage/checkpoints.js';

async function simDisk(seed: number, now?: () => number): Promise<SimFileSystem> {
  const fs = new SimFileSystem({ seed, now });
  await fs.mkdir('/data');
  await fs.syncDir('/');
  return fs;
}

test('group commit: appends coalesced into one write share one fsync round', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const log = await openLog(dir);
    const before = log.syncCount;
    const batches = await Promise.all(Array.from({ length: 20 }, (_, i) => batch(`g${i}`, 1, 1000)));
    const results = await Promise.all(batches.map((b) => log.append(b, 0, null)));
    assert.deepEqual(results.map((r) => r.baseOffset), Array.from({ length: 20 }, (_, i) => i));
    assert.equal(log.syncCount - before, 1, 'twenty appends written by one writev need one fsync');
    await log.close();
  } finally {
    await cleanup();
  }
});

test('a failed write takes the log offline: that append and every later one fail, nothing after is acknowledged', async () => {
  const fs = await simDisk(7);
  const manager = await LogManager.open('/data', { fs });
  const log = await manager.openLog('t', 0, DEFAULT_LOG_CONFIG);
  assert.deepEqual(await log.append(await batch('ok', 2, 1000), 0, null), { baseOffset: 0, lastOffset: 1 });
  let failNext = true;
  fs.failWhen = (call) => (call === 'writev' && failNext ? ((failNext = false), 'ENOSPC') : null);
  await assert.rejects(log.append(await batch('full', 2, 1000), 0, null), LogOfflineError);
  // The disk has room again, but the log stays offline: a write after the hole would be lost at recovery.
  await assert.rejects(log.append(await batch('later', 2, 1000), 0, null), LogOfflineError);
  await assert.rejects(log.read(0, 1 << 20, 10, true), LogOfflineError);
  assert.ok(log.offline);
  await manager.close();
  // No clean-shutdown marker: the next start recovers, and finds the acknowledged batch alone.
  const again = await LogManager.open('/data', { fs });
  assert.equal(again.wasCleanShutdown, false);
  const reopened = await again.openLog('t', 0, DEFAULT_LOG_CONFIG);
  assert.equal(reopened.logEndOffset, 2);
  assert.deepEqual(shape(await reopened.read(0, 1 << 20, 100, true)), [[0, 2]]);
  assert.deepEqual(await reopened.append(await batch('after', 1, 1000), 0, null), { baseOffset: 2, lastOffset: 2 });
  await again.close();
});

test('a failed fsync fails the appends waiting on it and takes the log offline', async () => {
  const fs = await simDisk(8);
  const manager = await LogManager.open('/data', { fs });
  const log = await manager.openLog('t', 0, DEFAULT_LOG_CONFIG);
  fs.failWhen = (call) => (call === 'datasync' ? 'EIO' : null);
  const appends = await Promise.allSettled([log.append(await batch('a', 1, 1000), 0, null), log.append(await batch('b', 1, 1000), 0, null)]);
  assert.deepEqual(appends.map((a) => a.status), ['rejected', 'rejected']);
  fs.failWhen = null;
  await assert.rejects(log.append(await batch('c', 1, 1000), 0, null), LogOfflineError);
  await manager.close();
});

test('checkpoints and the clean-shutdown marker survive a power cut right after they are written', async () => {
  for (let seed = 1; seed <= 40; seed++) {
    const fs = await simDisk(seed);
    const manager = await LogManager.open('/data', { fs });
    const log = await manager.openLog('t', 0, DEFAULT_LOG_CONFIG);
    await log.append(await batch('c', 3, 1000), 0, null);
    await manager.checkpoint();
    const disk = fs.afterCrash(seed + 1000);
    const points = await readOffsetCheckpoint(disk, '/data', RECOVERY_POINT_FILE);
    assert.equal(points.get('t-0'), 3, `seed ${seed}: the recovery-point checkpoint was lost`);

    const fs2 = await simDisk(seed);
    const m2 = await LogManager.open('/data', { fs: fs2 });
    await (await m2.openLog('t', 0, DEFAULT_LOG_CONFIG)).append(await batch('d', 1, 1000), 0, null);
    await m2.close();
    const after = await LogManager.open('/data', { fs: fs2.afterCrash(seed + 2000) });
    assert.equal(after.wasCleanShutdown, true, `seed ${seed}: the clean-shutdown marker was lost`);
  }
});

test('ListOffsets MAX_TIMESTAMP: the offset of the largest timestamp survives a reopen', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    let log = await openLog(dir, { indexIntervalBytes: 1 });
    for (const [i, ts] of [5_000, 9_000, 7_000, 8_000].entries()) await log.append(await batch(`m${i}`, 2, ts), 0, null);
    const before = await log.maxTimestamp();
    assert.deepEqual(before, { offset: 2, timestamp: 9_001 });
    await log.close();
    log = await openLog(dir, { indexIntervalBytes: 1 }, { clean: true, recoveryPoint: 8 });
    assert.deepEqual(await log.maxTimestamp(), before);
    await log.close();
  } finally {
    await cleanup();
  }
});

test('retention: a segment without timestamps expires by its file time; an expired active segment is rolled and deleted', async () => {
  const c = clock(1_000_000);
  const fs = await simDisk(9, c.now);
  const manager = await LogManager.open('/data', { fs, now: c.now });
  const config = { ...DEFAULT_LOG_CONFIG, segmentBytes: 300, retentionMs: 10_000 };
  const log = await manager.openLog('t', 0, config);
  // Records with timestamp -1 (as magic 0 data up-converted carries): only the file time can tell.
  for (let i = 0; i < 12; i++) await log.append(await batch(`n${i}`, 1, -1), 0, null);
  assert.ok(log.segmentCount > 1);
  c.time += 5_000;
  assert.equal(await log.applyRetention(), 0, 'nothing is older than retention.ms yet');
  c.time += 20_000;
  const segments = log.segmentCount;
  assert.equal(await log.applyRetention(), segments, 'every segment, the active one too, went');
  assert.equal(log.segmentCount, 1);
  assert.equal(log.logStartOffset, 12);
  assert.equal(log.logEndOffset, 12);
  assert.deepEqual(await log.append(await batch('fresh', 1, c.time), 0, null), { baseOffset: 12, lastOffset: 12 });
  assert.deepEqual(shape(await log.read(0, 1 << 20, 100, true)), [[12, 1]]);
  await manager.close();
  const again = await LogManager.open('/data', { fs, now: c.now });
  const reopened = await again.openLog('t', 0, config);
  assert.equal(reopened.logStartOffset, 12);
  assert.deepEqual(shape(await reopened.read(0, 1 << 20, 100, true)), [[12, 1]]);
  await again.close();
});
