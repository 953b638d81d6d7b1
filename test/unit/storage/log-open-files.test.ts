/**
 * The small files a partition directory may or may not hold when the LogManager opens it at a
 * start (clean or unclean): leader-epoch-checkpoint and partition.metadata. What each case keeps
 * or writes, and what the open asks of the disk, counted through a wrapping file system: one
 * listing of the directory, and no read of a file that listing lacked (an exists-then-read or a
 * read that fails with ENOENT would show here).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LogManager } from '../../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG, type DiskLog, type LogConfig } from '../../../src/storage/log.js';
import { LEADER_EPOCH_FILE } from '../../../src/storage/checkpoints.js';
import { PARTITION_METADATA_FILE } from '../../../src/storage/partition-metadata.js';
import { logFile } from '../../../src/storage/file-names.js';
import { nodeFileSystem } from '../../../src/storage/file-system.js';
import { batch, shape, tempDir } from '../../helpers/storage.js';
import { CountingFileSystem } from '../../helpers/counting-fs.js';
import { allShapes, restart, stop, STOPS, type Stop } from '../../helpers/log-restart.js';

const A = 'AAAAAAAAAAAAAAAAAAAAAQ';
const B = 'BBBBBBBBBBBBBBBBBBBBBQ';
const CONFIG: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytes: 1000, indexIntervalBytes: 100, segmentIndexBytes: 4096 };
const STRAY_DIR = /^t-0\.[0-9a-f]{32}-stray$/;

function partDir(dataDir: string): string {
  return join(dataDir, 't-0');
}

/** Offsets 0-3 at leader epoch 3, 4-5 at epoch 5. */
async function makeLog(dataDir: string, how: Stop, deleteRecordsBefore = 0): Promise<void> {
  const manager = await LogManager.open(dataDir);
  const log = await manager.openLog('t', 0, CONFIG, { topicId: A, create: true });
  await log.append(await batch('a', 2, 1000), 3, null);
  await log.append(await batch('b', 2, 1010), 3, null);
  await log.append(await batch('c', 2, 1020), 5, null);
  assert.deepEqual(log.leaderEpochs, [{ epoch: 3, startOffset: 0 }, { epoch: 5, startOffset: 4 }]);
  if (deleteRecordsBefore > 0) await log.deleteRecordsBefore(deleteRecordsBefore);
  await stop(manager, how);
}

/** Opens t-0 for topic `topicId` as a start does, noting the calls the open makes. */
async function openCounted(dataDir: string, how: Stop, topicId: string | null): Promise<{ manager: LogManager; log: DiskLog; fs: CountingFileSystem }> {
  const fs = new CountingFileSystem(nodeFileSystem);
  const manager = await restart(dataDir, how, fs);
  fs.reset();
  const log = await manager.openLog('t', 0, CONFIG, topicId === null ? undefined : { topicId, create: false });
  return { manager, log, fs };
}

/** The calls made in the partition directory (the directory itself included). */
function inPartition(fs: CountingFileSystem, dataDir: string): string[] {
  const dir = partDir(dataDir);
  return fs.on((path) => path === dir || path.startsWith(`${dir}/`));
}

function checkOneListingNoFailedCall(fs: CountingFileSystem, dataDir: string): void {
  const calls = inPartition(fs, dataDir);
  assert.deepEqual(
    calls.filter((c) => c.startsWith('readdir ')),
    [`readdir ${partDir(dataDir)}`],
    'one listing of the partition directory',
  );
  assert.deepEqual(
    calls.filter((c) => / E[A-Z]+$/.test(c)),
    [],
    'no call in the partition directory failed',
  );
}

// ---- leader-epoch-checkpoint ----

for (const how of STOPS) {
  test(`leader-epoch-checkpoint present after ${how === 'clean' ? 'a clean' : 'an unclean'} stop: its epochs are kept, read once, and a new epoch is written and read back`, async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await makeLog(dir, how);
      let { manager, log, fs } = await openCounted(dir, how, A);
      assert.deepEqual(log.leaderEpochs, [{ epoch: 3, startOffset: 0 }, { epoch: 5, startOffset: 4 }]);
      const epochFile = join(partDir(dir), LEADER_EPOCH_FILE);
      assert.deepEqual(fs.on((p) => p === epochFile), [`readFile ${epochFile}`]);
      checkOneListingNoFailedCall(fs, dir);
      assert.deepEqual(log.endOffsetForEpoch(3), { epoch: 3, endOffset: 4 });
      assert.deepEqual(await log.append(await batch('d', 2, 1030), 7, null), { baseOffset: 6, lastOffset: 7 });
      assert.deepEqual(log.leaderEpochs, [{ epoch: 3, startOffset: 0 }, { epoch: 5, startOffset: 4 }, { epoch: 7, startOffset: 6 }]);
      await stop(manager, how);

      ({ manager, log, fs } = await openCounted(dir, how, A));
      assert.deepEqual(log.leaderEpochs, [{ epoch: 3, startOffset: 0 }, { epoch: 5, startOffset: 4 }, { epoch: 7, startOffset: 6 }]);
      assert.deepEqual(fs.on((p) => p === epochFile), [`readFile ${epochFile}`]);
      assert.deepEqual(log.endOffsetForEpoch(5), { epoch: 5, endOffset: 6 });
      assert.equal(await readFile(epochFile, 'utf8'), '0\n3\n3 0\n5 4\n7 6\n');
      await manager.close();
    } finally {
      await cleanup();
    }
  });

  test(`leader-epoch-checkpoint absent after ${how === 'clean' ? 'a clean' : 'an unclean'} stop: no epochs, the file is not asked for, and a later epoch is written and read back`, async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await makeLog(dir, how);
      const epochFile = join(partDir(dir), LEADER_EPOCH_FILE);
      await rm(epochFile);
      let { manager, log, fs } = await openCounted(dir, how, A);
      assert.deepEqual(log.leaderEpochs, []);
      assert.deepEqual(fs.on((p) => p === epochFile), [], 'opening asked nothing of the absent epoch file');
      checkOneListingNoFailedCall(fs, dir);
      assert.equal(log.logEndOffset, 6, 'the log itself is kept');
      assert.deepEqual(await log.append(await batch('d', 2, 1030), 9, null), { baseOffset: 6, lastOffset: 7 });
      assert.deepEqual(log.leaderEpochs, [{ epoch: 9, startOffset: 6 }]);
      await stop(manager, how);

      ({ manager, log, fs } = await openCounted(dir, how, A));
      assert.deepEqual(log.leaderEpochs, [{ epoch: 9, startOffset: 6 }]);
      assert.deepEqual(fs.on((p) => p === epochFile), [`readFile ${epochFile}`], 'the file written since is read');
      assert.equal(await readFile(epochFile, 'utf8'), '0\n1\n9 6\n');
      await manager.close();
    } finally {
      await cleanup();
    }
  });
}

test('an epoch whose batches a torn tail took is dropped from leader-epoch-checkpoint at the unclean start', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await makeLog(dir, 'unclean');
    // The epoch-5 batch (offsets 4-5) loses its last byte.
    const path = logFile(partDir(dir), 0);
    const bytes = await readFile(path);
    await writeFile(path, bytes.subarray(0, bytes.length - 1));
    const { manager, log } = await openCounted(dir, 'unclean', A);
    assert.equal(log.logEndOffset, 4);
    assert.deepEqual(log.leaderEpochs, [{ epoch: 3, startOffset: 0 }]);
    assert.equal(await readFile(join(partDir(dir), LEADER_EPOCH_FILE), 'utf8'), '0\n1\n3 0\n');
    assert.deepEqual(await log.append(await batch('d', 1, 1030), 6, null), { baseOffset: 4, lastOffset: 4 });
    assert.deepEqual(log.endOffsetForEpoch(3), { epoch: 3, endOffset: 4 });
    await manager.close();
  } finally {
    await cleanup();
  }
});

// ---- partition.metadata ----

for (const how of STOPS) {
  test(`partition.metadata absent after ${how === 'clean' ? 'a clean' : 'an unclean'} stop: not read, the topic id is written, the log is kept`, async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await makeLog(dir, how, 2);
      const metadata = join(partDir(dir), PARTITION_METADATA_FILE);
      await rm(metadata);
      const { manager, log, fs } = await openCounted(dir, how, A);
      assert.deepEqual(
        fs.on((p) => p === metadata || p === `${metadata}.tmp`),
        [`open ${metadata}.tmp`, `rename ${metadata}.tmp`],
        'written (through its temporary name), never read',
      );
      checkOneListingNoFailedCall(fs, dir);
      assert.equal(await readFile(metadata, 'utf8'), `version: 0\ntopic_id: ${A}\n`);
      assert.deepEqual([log.logStartOffset, log.logEndOffset], [2, 6], 'the checkpointed log start and the data are kept');
      assert.deepEqual(await allShapes(log), [[2, 2], [4, 2]]);
      assert.deepEqual(log.leaderEpochs, [{ epoch: 3, startOffset: 2 }, { epoch: 5, startOffset: 4 }]);
      assert.deepEqual(await log.append(await batch('d', 1, 1030), 5, null), { baseOffset: 6, lastOffset: 6 });
      await manager.close();
    } finally {
      await cleanup();
    }
  });

  test(`partition.metadata of the same topic id after ${how === 'clean' ? 'a clean' : 'an unclean'} stop: read once, left as it is, the log is kept`, async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await makeLog(dir, how, 2);
      const metadata = join(partDir(dir), PARTITION_METADATA_FILE);
      const { manager, log, fs } = await openCounted(dir, how, A);
      assert.deepEqual(fs.on((p) => p === metadata || p === `${metadata}.tmp`), [`readFile ${metadata}`]);
      checkOneListingNoFailedCall(fs, dir);
      assert.deepEqual([log.logStartOffset, log.logEndOffset], [2, 6]);
      assert.deepEqual(await allShapes(log), [[2, 2], [4, 2]]);
      assert.deepEqual(await log.append(await batch('d', 1, 1030), 5, null), { baseOffset: 6, lastOffset: 6 });
      await manager.close();
      assert.equal(await readFile(metadata, 'utf8'), `version: 0\ntopic_id: ${A}\n`);
    } finally {
      await cleanup();
    }
  });

  test(`partition.metadata of another topic id after ${how === 'clean' ? 'a clean' : 'an unclean'} stop: the directory is set aside as stray and the log starts empty`, async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await makeLog(dir, how, 2);
      const before = await readFile(logFile(partDir(dir), 0));
      const setAside: string[] = [];
      const fs = new CountingFileSystem(nodeFileSystem);
      const manager = await LogManager.open(dir, { fs, onSetAside: (from, to, reason) => setAside.push(`${from} ${to.replace(/\.[0-9a-f]{32}-/, '.*-')} ${reason}`) });
      assert.equal(manager.wasCleanShutdown, how === 'clean');
      const log = await manager.openLog('t', 0, CONFIG, { topicId: B, create: false });
      assert.deepEqual(setAside, [`t-0 t-0.*-stray written for topic id ${A}, not ${B}`]);
      // Nothing of the other topic's log is taken: not its offsets, its epochs or its records.
      assert.deepEqual([log.logStartOffset, log.logEndOffset, log.leaderEpochs.length], [0, 0, 0]);
      assert.equal(await readFile(join(partDir(dir), PARTITION_METADATA_FILE), 'utf8'), `version: 0\ntopic_id: ${B}\n`);
      assert.deepEqual(await log.append(await batch('new', 2, 2000), 1, null), { baseOffset: 0, lastOffset: 1 });
      assert.deepEqual(shape(await log.read(0, 1 << 20, 2, true)), [[0, 2]]);
      await manager.close();

      const stray = (await readdir(dir)).filter((n) => STRAY_DIR.test(n));
      assert.equal(stray.length, 1, 'one stray directory');
      assert.equal(await readFile(join(dir, stray[0], PARTITION_METADATA_FILE), 'utf8'), `version: 0\ntopic_id: ${A}\n`);
      assert.ok((await readFile(logFile(join(dir, stray[0]), 0))).equals(before), 'the stray directory keeps the old records');
      const again = await restart(dir, 'clean');
      const reopened = await again.openLog('t', 0, CONFIG, { topicId: B, create: false });
      assert.deepEqual(await allShapes(reopened), [[0, 2]]);
      assert.deepEqual(reopened.leaderEpochs, [{ epoch: 1, startOffset: 0 }]);
      await again.close();
    } finally {
      await cleanup();
    }
  });
}

test('a partition of the topic table whose directory is gone opens empty, with its topic id written and no file read', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await makeLog(dir, 'clean');
    await rm(partDir(dir), { recursive: true });
    const { manager, log, fs } = await openCounted(dir, 'clean', A);
    const calls = inPartition(fs, dir);
    // The one failure is the listing that finds no directory.
    assert.deepEqual(
      calls.filter((c) => / E[A-Z]+$/.test(c)),
      [`readdir ${partDir(dir)} ENOENT`],
    );
    assert.deepEqual(calls.filter((c) => c.startsWith('readFile ')), []);
    assert.deepEqual([log.logStartOffset, log.logEndOffset, log.leaderEpochs.length], [0, 0, 0]);
    assert.equal(await readFile(join(partDir(dir), PARTITION_METADATA_FILE), 'utf8'), `version: 0\ntopic_id: ${A}\n`);
    assert.deepEqual(await log.append(await batch('new', 2, 2000), 1, null), { baseOffset: 0, lastOffset: 1 });
    await manager.close();
  } finally {
    await cleanup();
  }
});

test('a log opened without an owner lists its directory once and reads neither absent file', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await makeLog(dir, 'clean');
    await rm(join(partDir(dir), LEADER_EPOCH_FILE));
    await rm(join(partDir(dir), PARTITION_METADATA_FILE));
    const { manager, log, fs } = await openCounted(dir, 'clean', null);
    checkOneListingNoFailedCall(fs, dir);
    assert.deepEqual(inPartition(fs, dir).filter((c) => c.startsWith('readFile ')), []);
    assert.deepEqual(inPartition(fs, dir).filter((c) => c.includes(PARTITION_METADATA_FILE)), [], 'no owner: no topic id written');
    assert.deepEqual(await allShapes(log), [[0, 2], [2, 2], [4, 2]]);
    await manager.close();
  } finally {
    await cleanup();
  }
});
