/**
 * The broker's log cleaner chooses what to clean as Kafka does: min.cleanable.dirty.ratio,
 * min.compaction.lag.ms, max.compaction.lag.ms, the cleaner checkpoint kept across a restart, and
 * log.cleaner.enable. Time comes from the test clock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimFileSystem } from '../../helpers/sim-fs.js';
import { LogManager } from '../../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG, type DiskLog, type LogConfig } from '../../../src/storage/log.js';
import { clock, type TestClock } from '../../helpers/storage.js';
import { everything, put, turns } from '../../helpers/compaction.js';

const BASE: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytes: 1000, indexIntervalBytes: 200, segmentIndexBytes: 4096, retentionMs: -1, compact: true };

async function setup(config: Partial<LogConfig>, fs?: SimFileSystem, c: TestClock = clock()) {
  const disk = fs ?? new SimFileSystem({ seed: 31 });
  if (!fs) {
    await disk.mkdir('/data');
    await disk.syncDir('/');
  }
  const cleaned: number[] = [];
  const manager = await LogManager.open('/data', { fs: disk, now: c.now, cleaner: { enabled: false }, cleanerEvents: { onCleaned: (_, r) => cleaned.push(r.cleanedUpTo) } });
  const log = await manager.openLog('t', 0, { ...BASE, ...config });
  return { fs: disk, c, manager, log, cleaned };
}

async function rounds(log: DiskLog, c: TestClock, from: number, to: number, keys = 20): Promise<void> {
  for (let r = from; r < to; r++) for (let k = 0; k < keys; k++) await put(log, [[`k${k}`, `v${r}-${k}`.padEnd(40, '.')]], c.time);
}

test('min.cleanable.dirty.ratio: a log is cleaned once its dirty share exceeds the ratio', async () => {
  const { c, manager, log } = await setup({ minCleanableDirtyRatio: 0.5 });
  await rounds(log, c, 0, 3);
  assert.equal(await manager.cleaner.cleanFilthiest(), 'cleaned', 'a never-cleaned log is all dirty');
  assert.equal(await manager.cleaner.cleanFilthiest(), 'idle', 'nothing is dirty right after a pass');
  // A little new data: dirty, but less than half of the log.
  let round = 3;
  let range = await log.cleaningCandidate();
  while (range && range.cleanableBytes === 0) {
    await rounds(log, c, round, round + 1, 5);
    round++;
    range = await log.cleaningCandidate();
  }
  assert.ok(range && range.cleanableRatio > 0 && range.cleanableRatio <= 0.5, JSON.stringify(range));
  const dirty = await everything(log);
  assert.equal(await manager.cleaner.cleanFilthiest(), 'idle', `a dirty ratio of ${range.cleanableRatio.toFixed(2)} is not worth a pass`);
  assert.deepEqual(await everything(log), dirty, 'nothing was rewritten');
  while (range && range.cleanableRatio <= 0.5) {
    await rounds(log, c, round, round + 1, 5);
    round++;
    range = await log.cleaningCandidate();
  }
  assert.equal(await manager.cleaner.cleanFilthiest(), 'cleaned', `a dirty ratio of ${range?.cleanableRatio.toFixed(2)} is`);
  await manager.close();
});

test('min.compaction.lag.ms: segments with records younger than the lag are not cleaned', async () => {
  const { c, manager, log } = await setup({ minCompactionLagMs: 60_000 });
  await rounds(log, c, 0, 3);
  const young = await log.cleaningCandidate();
  assert.ok(young && young.firstUncleanableOffset === young.firstDirtyOffset, JSON.stringify(young));
  assert.equal(await manager.cleaner.cleanFilthiest(), 'idle');
  c.time += 60_001;
  assert.equal(await manager.cleaner.cleanFilthiest(), 'cleaned', 'past the lag the segments are cleanable');
  await manager.close();
});

test('max.compaction.lag.ms: a dirty segment past the lag is cleaned below the dirty ratio', async () => {
  const { c, manager, log } = await setup({ minCleanableDirtyRatio: 0.99, maxCompactionLagMs: 60_000 });
  await rounds(log, c, 0, 3);
  assert.equal(await manager.cleaner.cleanFilthiest(), 'cleaned');
  await rounds(log, c, 3, 4, 10);
  const range = await log.cleaningCandidate();
  assert.ok(range && range.cleanableBytes > 0 && range.cleanableRatio <= 0.99 && !range.needCompactionNow, JSON.stringify(range));
  assert.equal(await manager.cleaner.cleanFilthiest(), 'idle');
  c.time += 60_001;
  assert.ok((await log.cleaningCandidate())?.needCompactionNow);
  assert.equal(await manager.cleaner.cleanFilthiest(), 'cleaned', 'the oldest dirty batch is past max.compaction.lag.ms');
  await manager.close();
});

test('the cleaner checkpoint survives a restart: a cleaned log is not cleaned all over again', async () => {
  const first = await setup({});
  await rounds(first.log, first.c, 0, 3);
  assert.equal(await first.manager.cleaner.cleanFilthiest(), 'cleaned');
  const checkpoint = first.log.cleanerCheckpoint;
  assert.ok(checkpoint > 0);
  await first.manager.close();
  const again = await setup({}, first.fs, first.c);
  assert.equal(again.log.cleanerCheckpoint, checkpoint, 'read back from cleaner-offset-checkpoint');
  assert.equal(await again.manager.cleaner.cleanFilthiest(), 'idle');
  await again.manager.close();
});

test('log.cleaner.enable=false: the cleaner never runs', async () => {
  const { c, manager, log, cleaned } = await setup({});
  await rounds(log, c, 0, 3);
  const before = await everything(log);
  manager.startCleaner();
  await turns(2000);
  assert.deepEqual(cleaned, []);
  assert.deepEqual(await everything(log), before);
  await manager.close();
});

test('only segments wholly below the recovery point are cleaned: an unsynced record never removes an acknowledged one', async () => {
  const { c, manager, log } = await setup({ flushMessages: 1_000_000 });
  await rounds(log, c, 0, 3);
  assert.ok(log.segmentCount > 3);
  const range = await log.cleaningCandidate();
  assert.equal(range?.firstUncleanableOffset, 0, 'nothing is synced yet: nothing is cleanable');
  assert.equal(await log.compact(), null);
  await log.flush();
  assert.ok((await log.compact())?.recordsRemoved, 'once synced, the same segments are cleaned');
  await manager.close();
});
