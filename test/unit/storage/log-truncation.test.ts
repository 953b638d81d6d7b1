// The disk log's follower side across reopen: truncation over several segments leaves no file of
// what it cut, the leader epoch checkpoint agrees with the log after truncation, retention and a
// reopen, and a stale epoch file (one a crash left ahead of the log) is trimmed at open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { buildBatch } from '../../../src/protocol/records/batch-records.js';
import { readLeaderEpochs, writeLeaderEpochs } from '../../../src/storage/checkpoints.js';
import { nodeFileSystem } from '../../../src/storage/file-system.js';
import { snapshotFileName } from '../../../src/partition/producer-snapshot.js';
import { clock, openLog, shape, tempDir } from '../../helpers/storage.js';

function leaderBatch(baseOffset: number, count: number, epoch: number, timestamp = 50_000): Promise<Buffer> {
  const records = Array.from({ length: count }, (_, i) => ({ key: Buffer.from(`k${baseOffset + i}`), value: Buffer.from(`record ${baseOffset + i}`.padEnd(60, '.')), timestamp }));
  return buildBatch(records, { baseOffset: BigInt(baseOffset), partitionLeaderEpoch: epoch });
}

/** Twenty 3-record batches, the epoch rising every five batches (1, 2, 3, 4). */
async function copiedLog(): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let i = 0; i < 20; i++) out.push(await leaderBatch(i * 3, 3, 1 + Math.floor(i / 5)));
  return out;
}

const partitionDir = (dir: string) => join(dir, 'topic-0');
const epochFile = async (dir: string) => (await readLeaderEpochs(nodeFileSystem, partitionDir(dir))).map((e) => [e.epoch, e.startOffset]);
const segmentFiles = async (dir: string) => (await readdir(partitionDir(dir))).filter((n) => n.endsWith('.log')).sort();

test('truncateTo across segments deletes the later ones, and the log, its epoch file and snapshots agree after a reopen', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const log = await openLog(dir, { segmentBytes: 600 });
    for (const b of await copiedLog()) await log.appendAsFollower(b);
    assert.ok(log.segmentCount >= 4, `${log.segmentCount} segments`);
    for (const offset of [15, 30, 45]) await log.writeSidecar(snapshotFileName(offset), Buffer.from('state'));
    assert.deepEqual(await epochFile(dir), [[1, 0], [2, 15], [3, 30], [4, 45]]);
    await log.truncateTo(31);
    assert.equal(log.logEndOffset, 30);
    assert.deepEqual(log.leaderEpochs.map((e) => [e.epoch, e.startOffset]), [[1, 0], [2, 15]]);
    assert.deepEqual(await epochFile(dir), [[1, 0], [2, 15]], 'the file is rewritten before truncateTo resolves');
    const survivors = await segmentFiles(dir);
    const bases = survivors.map((n) => Number(n.slice(0, 20)));
    // The segment holding the cut stays (emptied when the cut is its first batch); none after it does.
    assert.ok(bases.every((b) => b <= 31) && bases.length < 10, `segments left: ${survivors.join(', ')}`);
    assert.deepEqual(shape(await log.read(27, 1 << 20, 100, true)), [[27, 3]]);
    await log.appendAsFollower(await leaderBatch(30, 2, 7));
    await log.close();
    const reopened = await openLog(dir, { segmentBytes: 600 });
    assert.equal(reopened.logEndOffset, 32);
    assert.deepEqual(reopened.leaderEpochs.map((e) => [e.epoch, e.startOffset]), [[1, 0], [2, 15], [7, 30]]);
    assert.deepEqual((await reopened.listSidecars()).filter((n) => n.endsWith('.snapshot')).sort(), [snapshotFileName(15), snapshotFileName(30)]);
    assert.deepEqual(shape(await reopened.read(30, 1 << 20, 100, true)), [[30, 2]]);
    await reopened.close();
  } finally {
    await cleanup();
  }
});

test('an append while a truncation runs is refused, not written at the old end', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const log = await openLog(dir);
    for (const b of (await copiedLog()).slice(0, 4)) await log.appendAsFollower(b);
    const truncation = log.truncateTo(6);
    const during = await log.appendAsFollower(await leaderBatch(12, 1, 1)).catch((e: unknown) => e);
    await truncation;
    assert.ok(during instanceof Error && /being truncated/.test(during.message), String(during));
    assert.equal(log.logEndOffset, 6);
    assert.deepEqual(await log.appendAsFollower(await leaderBatch(6, 1, 2)), { baseOffset: 6, lastOffset: 6 });
    await log.close();
  } finally {
    await cleanup();
  }
});

test('retention moves the first epoch up to the new log start, in the file too', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const c = clock(1_000_000);
    const log = await openLog(dir, { segmentBytes: 600, retentionMs: -1, retentionBytes: 1300 }, { now: c.now });
    for (const b of await copiedLog()) await log.appendAsFollower(b);
    await log.applyRetention();
    const start = log.logStartOffset;
    assert.ok(start > 15 && start < 45, `log start ${start}`);
    const expected = start < 30 ? [[2, start], [3, 30], [4, 45]] : [[3, start], [4, 45]];
    assert.deepEqual(log.leaderEpochs.map((e) => [e.epoch, e.startOffset]), expected);
    assert.deepEqual(await epochFile(dir), expected);
    await log.close();
  } finally {
    await cleanup();
  }
});

test('an epoch file ahead of the log (a crash between its write and the data) is trimmed at open and rewritten', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const log = await openLog(dir);
    for (const b of (await copiedLog()).slice(0, 6)) await log.appendAsFollower(b);
    await log.close();
    await writeLeaderEpochs(nodeFileSystem, partitionDir(dir), [
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 15 },
      { epoch: 5, startOffset: 18 },
    ]);
    const reopened = await openLog(dir, {}, { logStart: 4 });
    assert.equal(reopened.logEndOffset, 18);
    assert.deepEqual(reopened.leaderEpochs.map((e) => [e.epoch, e.startOffset]), [[1, 4], [2, 15]]);
    assert.deepEqual(await epochFile(dir), [[1, 4], [2, 15]]);
    // Appends at the latest epoch write no file; an entry left past the end would now claim them.
    await reopened.appendAsFollower(await leaderBatch(18, 3, 2));
    await reopened.close();
    const again = await openLog(dir, {}, { logStart: 4 });
    assert.deepEqual(again.endOffsetForEpoch(2), { epoch: 2, endOffset: 21 });
    await again.close();
  } finally {
    await cleanup();
  }
});
