// One suite, both implementations of the partition log interface: the disk log and its memory twin
// must answer every call the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OffsetMismatchError, type PartitionLog } from '../../../src/storage/partition-log.js';
import { MemoryLog } from '../../../src/storage/memory-log.js';
import { buildBatch } from '../../../src/protocol/records/batch-records.js';
import { snapshotFileName } from '../../../src/partition/producer-snapshot.js';
import { batch, openLog, shape, tempDir } from '../../helpers/storage.js';

/** A batch as a leader stored it: its offsets, leader epoch and timestamps are set. */
function leaderBatch(baseOffset: number, count: number, epoch: number): Promise<Buffer> {
  const records = Array.from({ length: count }, (_, i) => ({ key: Buffer.from(`k${baseOffset + i}`), value: Buffer.from(`leader record ${baseOffset + i}`), timestamp: 50_000 + baseOffset + i }));
  return buildBatch(records, { baseOffset: BigInt(baseOffset), partitionLeaderEpoch: epoch });
}

const epochsOf = (log: PartitionLog) => log.leaderEpochs.map((e) => [e.epoch, e.startOffset]);

const IMPLEMENTATIONS: [string, () => Promise<{ log: PartitionLog; cleanup: () => Promise<void> }>][] = [
  [
    'disk',
    async () => {
      const { dir, cleanup } = await tempDir();
      const log = await openLog(dir, { segmentBytes: 700 });
      return { log, cleanup: async () => (await log.close(), await cleanup()) };
    },
  ],
  ['memory', async () => ({ log: new MemoryLog(), cleanup: async () => undefined })],
];

for (const [name, make] of IMPLEMENTATIONS) {
  test(`${name} log: the PartitionLog contract`, async () => {
    const { log, cleanup } = await make();
    const madeAt = Date.now();
    try {
      assert.equal(log.logEndOffset, 0);
      const appended = [];
      for (let i = 0; i < 8; i++) appended.push(await log.append(await batch(`b${i}`, 3, 10_000 + i * 100), 2, null));
      assert.deepEqual(appended.map((a) => a.baseOffset), [0, 3, 6, 9, 12, 15, 18, 21]);
      assert.equal(log.logEndOffset, 24);
      assert.deepEqual(shape(await log.read(4, 1 << 20, 12, true)), [[3, 3], [6, 3], [9, 3]], 'from the batch holding 4, up to the limit 12');
      assert.deepEqual(shape(await log.read(0, 1, 24, true)), [[0, 3]], 'at least one batch');
      assert.deepEqual(shape(await log.read(0, 1, 24, false)), []);
      assert.deepEqual(shape(await log.read(24, 1 << 20, 24, true)), []);
      assert.deepEqual(await log.offsetForTimestamp(10_250), { offset: 9, timestamp: 10_302 });
      assert.equal(await log.offsetForTimestamp(20_000), null);
      assert.deepEqual(await log.maxTimestamp(), { offset: 21, timestamp: 10_702 });
      await log.deleteRecordsBefore(7);
      assert.equal(log.logStartOffset, 7);
      assert.deepEqual(await log.offsetForTimestamp(0), { offset: 7, timestamp: 10_202 }, 'nothing before the log start is found');
      // ListOffsets v0's view: segments oldest first, the first holding the log start, sizes summing to the log's, written during this test.
      const times = await log.segmentTimes();
      assert.ok(times.length >= 1 && times[0].baseOffset <= 7 && times.every((t, i) => i === 0 || t.baseOffset > times[i - 1].baseOffset), JSON.stringify(times));
      assert.equal(times.reduce((n, t) => n + t.sizeInBytes, 0), log.sizeInBytes);
      assert.ok(times.every((t) => t.lastModifiedMs >= madeAt - 1000 && t.lastModifiedMs <= Date.now()), JSON.stringify(times));
      const withTime = await log.append(await batch('t', 1, 1), 2, 99_999);
      const [view] = shape(await log.read(withTime.baseOffset, 1 << 20, 25, true));
      assert.deepEqual(view, [24, 1]);
    } finally {
      await cleanup();
    }
  });
}

for (const [name, make] of IMPLEMENTATIONS) {
  test(`${name} log: appendAsFollower keeps the leader's bytes, offsets and epochs, and refuses batches that do not follow`, async () => {
    const { log, cleanup } = await make();
    try {
      const copied = Buffer.concat([await leaderBatch(0, 3, 1), await leaderBatch(3, 2, 1), await leaderBatch(5, 3, 3)]);
      const lent = Buffer.from(copied);
      assert.deepEqual(await log.appendAsFollower(lent), { baseOffset: 0, lastOffset: 7 });
      // The replica fetcher reuses the answer's memory once the append settled: the log kept none of it.
      lent.fill(0xee);
      assert.equal(log.logEndOffset, 8);
      assert.ok((await log.read(0, 1 << 20, 8, true)).equals(copied), 'byte for byte as the leader sent them');
      assert.deepEqual(epochsOf(log), [[1, 0], [3, 5]]);
      const behind = await log.appendAsFollower(await leaderBatch(7, 2, 3)).catch((e: unknown) => e);
      assert.ok(behind instanceof OffsetMismatchError, 'a batch beginning below the log end');
      assert.equal(behind.logEndOffset, 8);
      assert.equal(behind.batchBaseOffset, 7);
      const overlapping = Buffer.concat([await leaderBatch(8, 2, 3), await leaderBatch(9, 2, 3)]);
      assert.ok((await log.appendAsFollower(overlapping).catch((e: unknown) => e)) instanceof OffsetMismatchError, 'offsets that do not grow within a call');
      assert.equal(log.logEndOffset, 8, 'nothing of a refused call was appended');
      assert.deepEqual(shape(await log.read(0, 1 << 20, 100, true)), [[0, 3], [3, 2], [5, 3]]);
      // A compacted leader log has gaps between batches: the follower keeps them.
      assert.deepEqual(await log.appendAsFollower(await leaderBatch(12, 2, 4)), { baseOffset: 12, lastOffset: 13 });
      assert.equal(log.logEndOffset, 14);
      assert.deepEqual(epochsOf(log), [[1, 0], [3, 5], [4, 12]]);
      assert.deepEqual(log.endOffsetForEpoch(1), { epoch: 1, endOffset: 5 });
      assert.deepEqual(log.endOffsetForEpoch(2), { epoch: 1, endOffset: 5 }, 'an epoch this log never saw: the one below it');
      assert.deepEqual(log.endOffsetForEpoch(3), { epoch: 3, endOffset: 12 });
      assert.deepEqual(log.endOffsetForEpoch(4), { epoch: 4, endOffset: 14 }, 'the latest epoch ends at the log end');
      assert.deepEqual(log.endOffsetForEpoch(0), { epoch: 0, endOffset: 0 }, 'below the first epoch: where the first begins');
      assert.deepEqual(log.endOffsetForEpoch(5), { epoch: -1, endOffset: -1 });
      // A leader's append after the follower's continues the offsets and notes its epoch.
      assert.deepEqual(await log.append(await batch('lead', 2, 1), 6, null), { baseOffset: 14, lastOffset: 15 });
      assert.deepEqual(epochsOf(log), [[1, 0], [3, 5], [4, 12], [6, 14]]);
    } finally {
      await cleanup();
    }
  });

  test(`${name} log: truncateTo cuts whole batches, the epochs and the producer snapshots past the cut`, async () => {
    const { log, cleanup } = await make();
    try {
      await log.appendAsFollower(Buffer.concat([await leaderBatch(0, 3, 1), await leaderBatch(3, 2, 1), await leaderBatch(5, 3, 3), await leaderBatch(8, 2, 4)]));
      for (const offset of [3, 5, 8, 10]) await log.writeSidecar(snapshotFileName(offset), Buffer.from(`state at ${offset}`));
      await log.writeSidecar('other-state', Buffer.from('kept'));
      await log.truncateTo(100);
      assert.equal(log.logEndOffset, 10, 'a target past the end changes nothing');
      await log.truncateTo(6);
      assert.equal(log.logEndOffset, 5, 'the batch holding 6 went whole');
      assert.deepEqual(shape(await log.read(0, 1 << 20, 100, true)), [[0, 3], [3, 2]]);
      assert.deepEqual(epochsOf(log), [[1, 0]]);
      assert.deepEqual((await log.listSidecars()).sort(), [snapshotFileName(3), snapshotFileName(5), 'other-state']);
      assert.deepEqual(log.endOffsetForEpoch(1), { epoch: 1, endOffset: 5 });
      assert.deepEqual(log.endOffsetForEpoch(3), { epoch: -1, endOffset: -1 });
      // The follower then copies the new leader's records from its epoch boundary.
      assert.deepEqual(await log.appendAsFollower(await leaderBatch(5, 4, 5)), { baseOffset: 5, lastOffset: 8 });
      assert.deepEqual(epochsOf(log), [[1, 0], [5, 5]]);
      assert.deepEqual(shape(await log.read(5, 1 << 20, 100, true)), [[5, 4]]);
      await log.truncateTo(3);
      assert.equal(log.logEndOffset, 3);
      assert.deepEqual((await log.listSidecars()).sort(), [snapshotFileName(3), 'other-state']);
    } finally {
      await cleanup();
    }
  });

  test(`${name} log: truncateTo in a gap ends the log at the target; below the log start it restarts there`, async () => {
    const { log, cleanup } = await make();
    try {
      await log.appendAsFollower(Buffer.concat([await leaderBatch(0, 2, 1), await leaderBatch(10, 2, 2)]));
      await log.truncateTo(6);
      assert.equal(log.logEndOffset, 6, 'nothing lies between 2 and 10: the end is the target');
      assert.deepEqual(epochsOf(log), [[1, 0]]);
      assert.deepEqual(await log.appendAsFollower(await leaderBatch(6, 2, 3)), { baseOffset: 6, lastOffset: 7 });
      await log.deleteRecordsBefore(7);
      await log.truncateTo(4);
      assert.equal(log.logStartOffset, 4);
      assert.equal(log.logEndOffset, 4);
      assert.deepEqual(shape(await log.read(4, 1 << 20, 100, true)), []);
      assert.deepEqual(epochsOf(log), []);
    } finally {
      await cleanup();
    }
  });

  test(`${name} log: truncateFullyAndStartAt empties the log, its epochs and snapshots, and restarts it at the offset`, async () => {
    const { log, cleanup } = await make();
    try {
      for (let i = 0; i < 6; i++) await log.append(await batch(`b${i}`, 3, 10_000 + i), 2, null);
      await log.writeSidecar(snapshotFileName(9), Buffer.from('state'));
      await log.writeSidecar('other-state', Buffer.from('kept'));
      await log.truncateFullyAndStartAt(500);
      assert.equal(log.logStartOffset, 500);
      assert.equal(log.logEndOffset, 500);
      assert.deepEqual(epochsOf(log), []);
      assert.deepEqual(await log.listSidecars(), ['other-state']);
      assert.deepEqual(shape(await log.read(500, 1 << 20, 1000, true)), []);
      assert.deepEqual(await log.maxTimestamp(), null);
      assert.ok((await log.appendAsFollower(await leaderBatch(499, 1, 7)).catch((e: unknown) => e)) instanceof OffsetMismatchError);
      assert.deepEqual(await log.appendAsFollower(await leaderBatch(500, 2, 7)), { baseOffset: 500, lastOffset: 501 });
      assert.deepEqual(epochsOf(log), [[7, 500]]);
      assert.deepEqual(shape(await log.read(500, 1 << 20, 1000, true)), [[500, 2]]);
    } finally {
      await cleanup();
    }
  });

  test(`${name} log: a log start moved by DeleteRecords truncates the epochs from the start`, async () => {
    const { log, cleanup } = await make();
    try {
      await log.appendAsFollower(Buffer.concat([await leaderBatch(0, 3, 1), await leaderBatch(3, 2, 2), await leaderBatch(5, 3, 3)]));
      await log.deleteRecordsBefore(4);
      assert.deepEqual(epochsOf(log), [[2, 4], [3, 5]]);
      await log.deleteRecordsBefore(5);
      assert.deepEqual(epochsOf(log), [[3, 5]]);
      assert.deepEqual(log.endOffsetForEpoch(1), { epoch: 1, endOffset: 5 }, 'an epoch before the first known: where the first begins');
    } finally {
      await cleanup();
    }
  });
}
