/**
 * Opening a partition's log through the LogManager, after a clean stop and after an unclean one
 * (log-open.ts): an empty active segment starts its indexes empty whatever its index files hold
 * (trimmed, preallocated zeros, stale entries, absent); a non-empty active segment after a clean
 * stop loads its indexes only when the first read or append needs them; and a torn batch at the
 * end of the active segment is cut at an unclean start. Each case appends after the reopen and
 * looks the records up by offset and by timestamp, then reopens once more.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LogManager } from '../../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG, type DiskLog, type LogConfig } from '../../../src/storage/log.js';
import { indexFile, logFile, timeIndexFile } from '../../../src/storage/file-names.js';
import { RECOVERY_POINT_FILE } from '../../../src/storage/checkpoints.js';
import { nodeFileSystem } from '../../../src/storage/file-system.js';
import { RecordBatchView } from '../../../src/protocol/records/record-batch.js';
import { batch, clock, shape, tempDir } from '../../helpers/storage.js';
import { CountingFileSystem } from '../../helpers/counting-fs.js';
import { allShapes, restart, stop, STOPS, type Stop } from '../../helpers/log-restart.js';

const OWNER = { topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', create: true };
const LOADED = { topicId: OWNER.topicId, create: false };
const CONFIG: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytes: 1000, indexIntervalBytes: 100, segmentIndexBytes: 4096, retentionMs: 60_000 };
/** The clock of every manager here; old records carry timestamps near 1000. */
const NOW = clock().time;

function partDir(dataDir: string): string {
  return join(dataDir, 't-0');
}

// ---- empty active segment ----

type Shape = 'sole' | 'after-full';
type IndexFiles = 'trimmed' | 'preallocated' | 'stale' | 'absent';

/**
 * `sole`: retention took the only (active) segment, so the log is one empty segment at offset 6.
 * `after-full`: segment 0 holds offsets 0-5 and an empty segment 6 follows it (a roll whose first
 * write never came). Returns the old batches' shapes.
 */
async function makeEmptyActive(dataDir: string, kind: Shape, how: Stop): Promise<[number, number][]> {
  const manager = await LogManager.open(dataDir, { now: () => NOW });
  const log = await manager.openLog('t', 0, CONFIG, OWNER);
  for (let i = 0; i < 3; i++) await log.append(await batch(`old${i}`, 2, 1000 + 10 * i), 0, null);
  if (kind === 'sole') {
    assert.equal(await manager.applyRetention(), 1);
    assert.deepEqual([log.logStartOffset, log.logEndOffset, log.segmentCount], [6, 6, 1]);
  }
  await stop(manager, how);
  if (kind === 'after-full') await writeFile(logFile(partDir(dataDir), 6), '');
  return kind === 'sole' ? [] : [[0, 2], [2, 2], [4, 2]];
}

/** Index files for segment 6 that claim batches its empty .log does not hold. */
function staleIndexes(): { offsets: Buffer; times: Buffer } {
  const offsets = Buffer.alloc(16);
  offsets.writeInt32BE(2, 8);
  offsets.writeInt32BE(130, 12);
  const times = Buffer.alloc(24);
  times.writeBigInt64BE(1000n, 0);
  times.writeBigInt64BE(1005n, 12);
  times.writeInt32BE(2, 20);
  return { offsets, times };
}

async function setIndexFiles(dir: string, base: number, kind: IndexFiles): Promise<void> {
  const [index, times] = [indexFile(dir, base), timeIndexFile(dir, base)];
  if (kind === 'absent') {
    await rm(index, { force: true });
    await rm(times, { force: true });
    return;
  }
  const stale = staleIndexes();
  // What a roll or a new log leaves on disk before its close: segment.index.bytes of zeros.
  const bytes = { trimmed: [Buffer.alloc(0), Buffer.alloc(0)], preallocated: [Buffer.alloc(4096), Buffer.alloc(4092)], stale: [stale.offsets, stale.times] }[kind];
  await writeFile(index, bytes[0]);
  await writeFile(times, bytes[1]);
}

/** After the reopen: offsets run on from 6, and the new records are found by offset and by time. */
async function checkAppendsAfterReopen(log: DiskLog, old: [number, number][]): Promise<void> {
  assert.deepEqual([log.logStartOffset, log.logEndOffset], [old.length === 0 ? 6 : 0, 6]);
  assert.deepEqual(await log.append(await batch('new', 3, NOW), 0, null), { baseOffset: 6, lastOffset: 8 });
  assert.deepEqual(await log.append(await batch('more', 2, NOW + 10), 0, null), { baseOffset: 9, lastOffset: 10 });
  await checkLookups(log, old);
}

async function checkLookups(log: DiskLog, old: [number, number][]): Promise<void> {
  assert.deepEqual(await allShapes(log), [...old, [6, 3], [9, 2]]);
  assert.deepEqual(shape(await log.read(7, 1 << 20, 11, true)), [[6, 3], [9, 2]], 'a read from inside the first new batch');
  assert.deepEqual(shape(await log.read(10, 1 << 20, 11, true)), [[9, 2]]);
  assert.deepEqual(await log.offsetForTimestamp(NOW), { offset: 6, timestamp: NOW + 2 });
  assert.deepEqual(await log.offsetForTimestamp(NOW + 5), { offset: 9, timestamp: NOW + 11 });
  assert.equal(await log.offsetForTimestamp(NOW + 100), null);
  assert.deepEqual(await log.offsetForTimestamp(0), old.length === 0 ? { offset: 6, timestamp: NOW + 2 } : { offset: 0, timestamp: 1001 });
  assert.deepEqual(await log.maxTimestamp(), { offset: 9, timestamp: NOW + 11 });
}

for (const kind of ['sole', 'after-full'] as const) {
  for (const how of STOPS) {
    for (const files of ['trimmed', 'preallocated', 'stale', 'absent'] as const) {
      test(`an empty active segment (${kind}, index files ${files}) after ${how === 'clean' ? 'a clean' : 'an unclean'} stop: appends continue at its base, found by offset and time, across another restart`, async () => {
        const { dir, cleanup } = await tempDir();
        try {
          const old = await makeEmptyActive(dir, kind, how);
          await setIndexFiles(partDir(dir), 6, files);
          const fs = new CountingFileSystem(nodeFileSystem);
          let manager = await restart(dir, how, fs);
          let log = await manager.openLog('t', 0, CONFIG, LOADED);
          // Empty indexes whatever the files hold: nothing of them is read (an unclean start rewrites them).
          const segment6Indexes = (path: string) => path === indexFile(partDir(dir), 6) || path === timeIndexFile(partDir(dir), 6);
          assert.deepEqual(fs.on(segment6Indexes).filter((c) => c.startsWith('readFile ')), [], 'opening read no index file of the empty segment');
          await checkAppendsAfterReopen(log, old);
          await manager.close();

          manager = await restart(dir, 'clean');
          log = await manager.openLog('t', 0, CONFIG, LOADED);
          await checkLookups(log, old);
          assert.deepEqual(await log.append(await batch('last', 1, NOW + 20), 0, null), { baseOffset: 11, lastOffset: 11 });
          await manager.close();
          // The index files that close wrote describe the batches: a third start reads them back.
          manager = await restart(dir, 'clean');
          log = await manager.openLog('t', 0, CONFIG, LOADED);
          assert.deepEqual(await allShapes(log), [...old, [6, 3], [9, 2], [11, 1]]);
          await manager.close();
        } finally {
          await cleanup();
        }
      });
    }
  }
}

test('an empty active segment left preallocated by a stop without close (a crash after the roll) takes appends at its base', async () => {
  const { dir, cleanup } = await tempDir();
  let first: LogManager | null = null;
  try {
    first = await LogManager.open(dir, { now: () => NOW });
    const log = await first.openLog('t', 0, CONFIG, OWNER);
    for (let i = 0; i < 3; i++) await log.append(await batch(`old${i}`, 2, 1000 + 10 * i), 0, null);
    assert.equal(await first.applyRetention(), 1);
    // Never closed: the roll's preallocated index files stay as they were written.
    assert.equal((await stat(indexFile(partDir(dir), 6))).size, 4096);
    const manager = await restart(dir, 'unclean');
    await checkAppendsAfterReopen(await manager.openLog('t', 0, CONFIG, LOADED), []);
    await manager.close();
  } finally {
    // The "crashed" manager still holds its file handles: closing them now (whatever it writes goes
    // with the directory) keeps the collector from closing them, which Node deprecates (DEP0137).
    await first?.close().catch(() => undefined);
    await cleanup();
  }
});

// ---- non-empty active segment after a clean stop: indexes loaded lazily ----

/** 20 batches of 2 records, timestamps 1000, 1010 …, over a few segments; returns the base of the active one. */
async function makeFullLog(dataDir: string, how: Stop): Promise<number> {
  const manager = await LogManager.open(dataDir, { now: () => NOW });
  const log = await manager.openLog('t', 0, CONFIG, OWNER);
  for (let i = 0; i < 20; i++) await log.append(await batch(`b${i}`, 2, 1000 + 10 * i), 0, null);
  assert.ok(log.segmentCount >= 3, `${log.segmentCount} segments`);
  const active = (await log.segmentTimes()).at(-1)?.baseOffset ?? -1;
  await stop(manager, how);
  return active;
}

const FULL = Array.from({ length: 20 }, (_, i): [number, number] => [2 * i, 2]);

type FirstUse = 'read' | 'append' | 'time lookup' | 'read, index files gone';

for (const first of ['read', 'append', 'time lookup', 'read, index files gone'] as const satisfies readonly FirstUse[]) {
  test(`after a clean stop the active segment's indexes wait for the first use (${first}), which finds old batches and appends at the end`, async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const active = await makeFullLog(dir, 'clean');
      assert.ok(active > 0 && active <= 34, `the active segment starts at ${active}`);
      const inActive = active + 2; // an old offset inside the active segment, not its first
      if (first === 'read, index files gone') await setIndexFiles(partDir(dir), active, 'absent');
      const fs = new CountingFileSystem(nodeFileSystem);
      let manager = await restart(dir, 'clean', fs);
      const log = await manager.openLog('t', 0, CONFIG, LOADED);
      assert.equal(log.logEndOffset, 40);
      const activeIndexes = (path: string) => path === indexFile(partDir(dir), active) || path === timeIndexFile(partDir(dir), active);
      assert.deepEqual(fs.on(activeIndexes), [], 'opening read no index of the active segment');

      if (first === 'append') {
        assert.deepEqual(await log.append(await batch('new', 2, NOW), 0, null), { baseOffset: 40, lastOffset: 41 });
        assert.deepEqual(shape(await log.read(inActive + 1, 1 << 20, inActive + 2, true)), [[inActive, 2]]);
      } else if (first === 'time lookup') {
        assert.deepEqual(await log.offsetForTimestamp(1000 + 5 * inActive), { offset: inActive, timestamp: 1001 + 5 * inActive });
        assert.deepEqual(await log.append(await batch('new', 2, NOW), 0, null), { baseOffset: 40, lastOffset: 41 });
      } else {
        assert.deepEqual(shape(await log.read(inActive + 1, 1 << 20, inActive + 4, true)), [[inActive, 2], [inActive + 2, 2]]);
        assert.deepEqual(await log.append(await batch('new', 2, NOW), 0, null), { baseOffset: 40, lastOffset: 41 });
      }
      assert.ok(fs.on(activeIndexes).length > 0, 'the first use loaded the indexes');
      assert.deepEqual(await allShapes(log), [...FULL, [40, 2]]);
      assert.deepEqual(shape(await log.read(3, 1 << 20, 4, true)), [[2, 2]], 'an old offset in the first segment');
      assert.deepEqual(await log.offsetForTimestamp(1000 + 5 * inActive), { offset: inActive, timestamp: 1001 + 5 * inActive });
      assert.deepEqual(await log.offsetForTimestamp(NOW), { offset: 40, timestamp: NOW + 1 });
      assert.deepEqual(await log.maxTimestamp(), { offset: 40, timestamp: NOW + 1 });
      await manager.close();

      manager = await restart(dir, 'clean');
      const again = await manager.openLog('t', 0, CONFIG, LOADED);
      assert.deepEqual(await again.append(await batch('after', 1, NOW + 10), 0, null), { baseOffset: 42, lastOffset: 42 });
      assert.deepEqual(await allShapes(again), [...FULL, [40, 2], [42, 1]]);
      await manager.close();
    } finally {
      await cleanup();
    }
  });
}

// ---- a torn tail in the active segment ----

/** The bytes of a batch that would have followed offset `end`, cut after `keep` bytes. */
async function tornBatch(end: number, keep: (size: number) => number): Promise<Buffer> {
  const whole = await batch('torn', 3, NOW);
  new RecordBatchView(whole).patchBaseOffset(BigInt(end));
  return whole.subarray(0, keep(whole.length));
}

const TEARS: [string, (size: number) => number][] = [
  ['7 bytes of it', () => 7],
  ['its header and a few record bytes', () => 61 + 5],
  ['all but its last byte', (size) => size - 1],
];

for (const [what, keep] of TEARS) {
  for (const checkpoint of ['kept', 'lost'] as const) {
    test(`a torn batch (${what}) after the last whole one is cut at an unclean start (recovery point ${checkpoint}); the next append lands at the log end`, async () => {
      const { dir, cleanup } = await tempDir();
      try {
        const active = await makeFullLog(dir, 'unclean');
        const path = logFile(partDir(dir), active);
        const whole = await readFile(path);
        await writeFile(path, Buffer.concat([whole, await tornBatch(40, keep)]));
        // Without the checkpoint the recovery point is 0: every segment is scanned.
        if (checkpoint === 'lost') await rm(join(dir, RECOVERY_POINT_FILE));
        let manager = await restart(dir, 'unclean');
        const log = await manager.openLog('t', 0, CONFIG, LOADED);
        assert.equal(log.logEndOffset, 40);
        assert.equal((await stat(path)).size, whole.length, 'the file is cut where the last whole batch ends');
        assert.ok((await readFile(path)).equals(whole), 'the whole batches are untouched');
        assert.deepEqual(await log.append(await batch('next', 2, NOW + 1), 0, null), { baseOffset: 40, lastOffset: 41 });
        assert.deepEqual(await allShapes(log), [...FULL, [40, 2]]);
        assert.deepEqual(await log.offsetForTimestamp(NOW + 1), { offset: 40, timestamp: NOW + 2 });
        await stop(manager, 'unclean');

        manager = await restart(dir, 'unclean');
        const again = await manager.openLog('t', 0, CONFIG, LOADED);
        assert.deepEqual(await allShapes(again), [...FULL, [40, 2]]);
        assert.deepEqual(await again.append(await batch('after', 1, NOW + 10), 0, null), { baseOffset: 42, lastOffset: 42 });
        await manager.close();
      } finally {
        await cleanup();
      }
    });
  }
}
