// The log manager's side of topic deletion and recreation: Kafka's `-delete` renames, removal after
// the delay on an injected clock, pending deletions finished at start, partition.metadata guarding
// a directory against a later topic of its name, and checkpoints never reused for a new partition.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LogManager } from '../../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../../src/storage/log.js';
import { deleteDirName } from '../../../src/storage/file-names.js';
import { PendingDeletions } from '../../../src/storage/pending-deletions.js';
import { nodeFileSystem } from '../../../src/storage/file-system.js';
import { ManualScheduler } from '../../../src/coordinator/scheduler.js';
import { batch, tempDir } from '../../helpers/storage.js';
import { SimFileSystem, type FsCall } from '../../helpers/sim-fs.js';
import { LogOfflineError } from '../../../src/storage/partition-log.js';
import { holdCall, put } from '../../helpers/compaction.js';

const DELETE_DIR = /^(.+)-(\d+)\.([0-9a-f]{32})-delete$/;
const STRAY_DIR = /^(.+)-(\d+)\.([0-9a-f]{32})-stray$/;
const A = { topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', create: true };
const B = { topicId: 'BBBBBBBBBBBBBBBBBBBBBQ', create: true };

async function dirs(dir: string): Promise<string[]> {
  return (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
}

test("deleting renames to Kafka's -delete name at once and removes it only after the delay; stop cancels the timer", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const scheduler = new ManualScheduler();
    const manager = await LogManager.open(dir, { scheduler, fileDeleteDelayMs: 60_000 });
    const log = await manager.openLog('gone', 0, DEFAULT_LOG_CONFIG, A);
    await log.append(await batch('a', 3, 1000), 0, null);
    await manager.openLog('gone', 1, DEFAULT_LOG_CONFIG, A);
    await manager.openLog('kept', 0, DEFAULT_LOG_CONFIG, B);
    await manager.deleteLogs('gone', [0, 1]);
    const renamed = (await dirs(dir)).filter((n) => n.startsWith('gone'));
    assert.deepEqual(renamed.map((n) => DELETE_DIR.exec(n)?.slice(1, 3)), [['gone', '0'], ['gone', '1']]);
    assert.equal(manager.get('gone', 0), undefined);
    // The checkpoints no longer name the deleted partitions.
    assert.doesNotMatch(await readFile(join(dir, 'recovery-point-offset-checkpoint'), 'utf8'), /gone/);
    scheduler.advance(59_999);
    await manager.deletions.settled();
    assert.equal((await dirs(dir)).filter((n) => n.startsWith('gone')).length, 2);
    scheduler.advance(1);
    await manager.deletions.settled();
    assert.deepEqual(await dirs(dir), ['kept-0']);

    await manager.deleteLogs('kept', [0]);
    assert.equal(scheduler.pending, 1);
    await manager.close();
    assert.equal(scheduler.pending, 0, 'stop cancels the deletion timer');
    assert.match((await dirs(dir))[0], DELETE_DIR);
  } finally {
    await cleanup();
  }
});

test('a deleted partition is closed without a flush: nothing is written or synced in it, and an append racing the deletion is refused', async () => {
  const fs = new SimFileSystem({ seed: 11 });
  await fs.mkdir('/data');
  await fs.syncDir('/');
  const offline: string[] = [];
  const manager = await LogManager.open('/data', { fs, scheduler: new ManualScheduler(), onOffline: (topic, partition) => offline.push(`${topic}-${partition}`) });
  // flush.messages above one: a batch written and not synced, which a close would sync.
  const unsynced = await manager.openLog('gone', 0, { ...DEFAULT_LOG_CONFIG, flushMessages: 1000 }, A);
  await unsynced.append(await batch('unsynced', 3, 1000), 0, null);
  // flush.messages=1: an append is acknowledged after its fsync, which the deletion comes before.
  const synced = await manager.openLog('gone', 1, DEFAULT_LOG_CONFIG, A);
  await synced.append(await batch('first', 1, 1000), 0, null);
  const calls: [FsCall, string][] = [];
  fs.failWhen = (call, path) => {
    calls.push([call, path]);
    return null;
  };
  const racing = synced.append(await batch('racing', 1, 1000), 0, null).then(
    () => 'acknowledged',
    (err: unknown) => err,
  );
  await manager.deleteLogs('gone', [0, 1]);
  assert.ok((await racing) instanceof LogOfflineError, 'the racing append is refused');
  // The racing batch's write may have begun before the deletion did; it is never synced.
  const racingWrite = (call: FsCall, path: string) => call === 'writev' && path === '/data/gone-1/00000000000000000000.log';
  const inPartitions = calls.filter(([call, path]) => /^\/data\/gone-\d/.test(path) && !racingWrite(call, path));
  assert.deepEqual(
    inPartitions.map(([call, path]) => `${call} ${path}`).sort(),
    ['rename /data/gone-0', 'rename /data/gone-1'],
    `calls in the partition directories: ${JSON.stringify(inPartitions)}`,
  );
  assert.deepEqual(offline, [], 'a deletion is not an I/O failure');
  assert.equal(manager.get('gone', 0), undefined);
  await manager.close();
});

test('a read under way when its partition is deleted ends empty and opens nothing at the old path', async () => {
  const fs = new SimFileSystem({ seed: 12 });
  await fs.mkdir('/data');
  await fs.syncDir('/');
  const first = await LogManager.open('/data', { fs });
  await (await first.openLog('gone', 0, DEFAULT_LOG_CONFIG, A)).append(await batch('a', 3, 1000), 0, null);
  await first.close();

  const manager = await LogManager.open('/data', { fs, scheduler: new ManualScheduler() });
  const log = await manager.openLog('gone', 0, DEFAULT_LOG_CONFIG, { topicId: A.topicId, create: false });
  // After a clean stop the active segment's indexes load at the first read: hold that read there.
  const hold = holdCall(fs, (call, path) => call === 'readFile' && /gone-0\/\d{20}\.index$/.test(path));
  const reading = log.read(0, 1 << 20, 3, true).then(
    (bytes) => bytes.length,
    (err: unknown) => err,
  );
  await hold.reached;
  await manager.deleteLogs('gone', [0]);
  hold.release();
  assert.equal(await reading, 0, 'the read finds the segment deleted');
  assert.deepEqual(fs.list('/data').filter((path) => path.startsWith('/data/gone-0/')), []);
  await manager.close();
});

test('a recreated compacted topic does not inherit the cleaner checkpoint of the old one', async () => {
  const fs = new SimFileSystem({ seed: 13 });
  await fs.mkdir('/data');
  await fs.syncDir('/');
  const config: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytes: 1000, indexIntervalBytes: 200, segmentIndexBytes: 4096, retentionMs: -1, compact: true };
  const first = await LogManager.open('/data', { fs, cleaner: { enabled: false } });
  const old = await first.openLog('table', 0, config, A);
  for (let round = 0; round < 3; round++) for (let k = 0; k < 20; k++) await put(old, [[`k${k}`, `v${round}-${k}`.padEnd(40, '.')]], 1000);
  assert.equal(await first.cleaner.cleanFilthiest(), 'cleaned');
  assert.ok(old.cleanerCheckpoint > 0);
  await first.close();

  const manager = await LogManager.open('/data', { fs, cleaner: { enabled: false }, scheduler: new ManualScheduler() });
  const created = await manager.openLog('table', 0, config, B);
  assert.deepEqual([created.logEndOffset, created.cleanerCheckpoint], [0, 0]);
  await manager.close();
});

test('a cleaning pass under way when its partition is deleted stops quietly before the rename', async () => {
  const fs = new SimFileSystem({ seed: 14 });
  await fs.mkdir('/data');
  await fs.syncDir('/');
  const errors: unknown[] = [];
  const config: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytes: 1000, indexIntervalBytes: 200, segmentIndexBytes: 4096, retentionMs: -1, compact: true };
  const manager = await LogManager.open('/data', { fs, scheduler: new ManualScheduler(), cleaner: { enabled: false }, cleanerEvents: { onError: (_, err) => errors.push(err) } });
  const log = await manager.openLog('table', 0, config, A);
  for (let round = 0; round < 3; round++) for (let k = 0; k < 20; k++) await put(log, [[`k${k}`, `v${round}-${k}`.padEnd(40, '.')]], 1000);
  const hold = holdCall(fs, (_, path) => path.endsWith('.cleaned'));
  const pass = manager.cleaner.cleanFilthiest();
  await hold.reached;
  const deleting = manager.deleteLogs('table', [0]);
  hold.release();
  await deleting;
  assert.equal(await pass, 'stalled');
  assert.deepEqual(errors, []);
  assert.deepEqual(fs.list('/data').filter((path) => path.startsWith('/data/table-0/')), []);
  await manager.close();
});

test('deletions pending at the last stop are finished at start and never opened as partitions', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const pending = deleteDirName('old', 0);
    await mkdir(join(dir, pending));
    await writeFile(join(dir, pending, '00000000000000000000.log'), 'stale bytes');
    const scheduler = new ManualScheduler();
    const manager = await LogManager.open(dir, { scheduler });
    assert.equal(manager.deletions.pending, 1);
    scheduler.advance(0);
    await manager.deletions.settled();
    assert.deepEqual(await dirs(dir), []);
    const fresh = await manager.openLog('old', 0, DEFAULT_LOG_CONFIG, A);
    assert.equal(fresh.logEndOffset, 0);
    await manager.close();
  } finally {
    await cleanup();
  }
});

test('a new partition never inherits its directory or the checkpointed offsets of an older topic of its name', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    let manager = await LogManager.open(dir, { scheduler: new ManualScheduler() });
    const old = await manager.openLog('name', 0, DEFAULT_LOG_CONFIG, A);
    await old.append(await batch('a', 5, 1000), 0, null);
    await old.deleteRecordsBefore(3);
    await manager.close();

    manager = await LogManager.open(dir, { scheduler: new ManualScheduler() });
    // The directory is still there (as after a crash between the topic table and the rename).
    const created = await manager.openLog('name', 0, DEFAULT_LOG_CONFIG, B);
    assert.deepEqual([created.logStartOffset, created.logEndOffset], [0, 0]);
    assert.match(await readFile(join(dir, 'name-0', 'partition.metadata'), 'utf8'), /^version: 0\ntopic_id: BBBBBBBBBBBBBBBBBBBBBQ\n$/);
    assert.deepEqual((await dirs(dir)).map((n) => (DELETE_DIR.test(n) ? 'name-0.*-delete' : n)).sort(), ['name-0', 'name-0.*-delete']);
    await manager.close();
  } finally {
    await cleanup();
  }
});

test('at load, a directory written for another topic id is set aside as stray and the partition starts empty', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    let manager = await LogManager.open(dir, { scheduler: new ManualScheduler() });
    const old = await manager.openLog('shared', 0, DEFAULT_LOG_CONFIG, A);
    await old.append(await batch('a', 4, 1000), 0, null);
    await manager.close();

    const setAside: string[] = [];
    manager = await LogManager.open(dir, { scheduler: new ManualScheduler(), onSetAside: (from, to) => setAside.push(`${from}>${to}`) });
    const loaded = await manager.openLog('shared', 0, DEFAULT_LOG_CONFIG, { topicId: B.topicId, create: false });
    assert.deepEqual([loaded.logStartOffset, loaded.logEndOffset], [0, 0]);
    assert.equal(setAside.length, 1);
    const stray = (await dirs(dir)).find((n) => STRAY_DIR.test(n));
    assert.ok(stray, 'the other topic\'s data is kept for an operator');
    assert.match(await readFile(join(dir, stray, 'partition.metadata'), 'utf8'), /topic_id: AAAAAAAAAAAAAAAAAAAAAQ/);
    await manager.close();
  } finally {
    await cleanup();
  }
});

test('directories no open log owns are set aside after loading: empty or unfinished ones for deletion, others as stray', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    let manager = await LogManager.open(dir, { scheduler: new ManualScheduler() });
    await manager.openLog('live', 0, DEFAULT_LOG_CONFIG, A);
    await manager.openLog('live', 1, DEFAULT_LOG_CONFIG, A); // a partition whose creation did not finish
    const orphan = await manager.openLog('orphan', 0, DEFAULT_LOG_CONFIG, B);
    await orphan.append(await batch('o', 2, 1000), 0, null);
    await manager.openLog('empty', 0, DEFAULT_LOG_CONFIG, B);
    await manager.close();
    await mkdir(join(dir, 'not-a-partition-7')); // no segments, no partition.metadata: left alone

    manager = await LogManager.open(dir, { scheduler: new ManualScheduler() });
    await manager.openLog('live', 0, DEFAULT_LOG_CONFIG, { topicId: A.topicId, create: false });
    const moved = await manager.setAsideUnowned(new Set([A.topicId]));
    assert.deepEqual(moved.map((n) => n.replace(/\.[0-9a-f]{32}-/, '.*-')).sort(), ['empty-0.*-delete', 'live-1.*-delete', 'orphan-0.*-stray']);
    assert.deepEqual((await dirs(dir)).filter((n) => !/-(delete|stray)$/.test(n)), ['live-0', 'not-a-partition-7']);
    await manager.close();
  } finally {
    await cleanup();
  }
});

test('a failing background removal is reported and the deleter goes on', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await writeFile(join(dir, 'a-file'), '');
    const scheduler = new ManualScheduler();
    const failures: string[] = [];
    const deletions = new PendingDeletions(nodeFileSystem, 10, scheduler, (path, err) => failures.push(`${path}: ${(err as NodeJS.ErrnoException).code}`));
    await mkdir(join(dir, 'b-0.x-delete'));
    deletions.add(join(dir, 'a-file', 'under-a-file'));
    deletions.add(join(dir, 'b-0.x-delete'));
    scheduler.advance(10);
    await deletions.settled();
    assert.deepEqual(failures, [`${join(dir, 'a-file', 'under-a-file')}: ENOTDIR`]);
    assert.deepEqual(await dirs(dir), []);
    await deletions.stop();
  } finally {
    await cleanup();
  }
});

test("a deleted partition's name stays within 255 characters, as Kafka shortens it", () => {
  const name = deleteDirName('t'.repeat(249), 12);
  assert.equal(name.length, 255);
  assert.match(name, /^t+-12\.[0-9a-f]{32}-delete$/);
});
