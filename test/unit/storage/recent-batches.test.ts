// Reads at the head of the log find their batch among the recently appended ones (no index lookup,
// no header read: one file read for the data), and stay right across truncation, a roll and a
// restart (which starts without recent batches and uses the index again).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readsDuring, simLog } from '../../helpers/sim-log.js';
import { LogManager } from '../../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../../src/storage/log.js';
import { batchesIn } from '../../../src/protocol/records/batch-records.js';
import { put } from '../../helpers/compaction.js';
import { RecentBatches } from '../../../src/storage/recent-batches.js';
import type { BatchInfo } from '../../../src/storage/segment.js';

const CONFIG: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytes: 100_000, indexIntervalBytes: 4096, retentionMs: -1 };

const setup = (seed: number) => simLog(seed, CONFIG);

const values = (bytes: Buffer) => [...batchesIn(bytes)].map((v) => Number(v.baseOffset));

test('a read at the head of the log reads its data once, without a header read', async () => {
  const { fs, c, manager, log } = await setup(9101);
  for (let i = 0; i < 100; i++) await put(log, [[`k${i}`, `value ${i}`.padEnd(200, '.')]], c.time);
  const head = await readsDuring(fs, () => log.read(95, 1 << 20, log.logEndOffset, true));
  assert.deepEqual(values(head.result), [95, 96, 97, 98, 99]);
  assert.equal(head.reads, 1);
  // Older than what is held: the index and a header read, as before.
  const old = await readsDuring(fs, () => log.read(3, 300, log.logEndOffset, true));
  assert.deepEqual(values(old.result), [3]);
  assert.ok(old.reads >= 2, `reads ${old.reads}`);
  await manager.close();
});

test('after a truncation and new appends, head reads return the new batches, never the cut ones', async () => {
  const { c, manager, log } = await setup(9102);
  for (let i = 0; i < 20; i++) await put(log, [[`k${i}`, `first ${i}`]], c.time);
  await log.truncateTo(10);
  for (let i = 10; i < 15; i++) await put(log, [[`k${i}`, `second ${i}`.padEnd(60, '!')]], c.time);
  const got = await log.read(12, 1 << 20, log.logEndOffset, true);
  const records = [...batchesIn(got)].map((v) => Number(v.baseOffset));
  assert.deepEqual(records, [12, 13, 14]);
  assert.ok(got.toString('latin1').includes('second 12'), 'the batch appended after the cut');
  assert.ok(!got.toString('latin1').includes('first 12'));
  assert.equal((await log.read(15, 1 << 20, log.logEndOffset, true)).length, 0, 'nothing past the end');
  await manager.close();
});

test('a restart starts without recent batches and reads through the index, the same bytes', async () => {
  const { fs, c, manager, log } = await setup(9103);
  for (let i = 0; i < 50; i++) await put(log, [[`k${i}`, `v${i}`]], c.time);
  const before = await log.read(40, 1 << 20, log.logEndOffset, true);
  await manager.close();
  const again = await LogManager.open('/data', { fs, now: c.now, cleaner: { enabled: false } });
  const reopened = await again.openLog('t', 0, CONFIG);
  assert.ok((await reopened.read(40, 1 << 20, reopened.logEndOffset, true)).equals(before));
  await again.close();
});

test('RecentBatches answers only for offsets it holds, and forgets what a cut removes', () => {
  const batch = (base: number, last: number, position: number): BatchInfo => ({ position, size: 100, baseOffset: base, lastOffset: last, maxTimestamp: 0, leaderEpoch: 0, producerId: -1n, producerEpoch: -1, baseSequence: -1, attributes: 0 });
  const r = new RecentBatches();
  assert.equal(r.find(0), undefined);
  r.note(batch(10, 14, 0));
  r.note(batch(15, 15, 100));
  assert.equal(r.find(9), undefined, 'older than held: ask the index');
  assert.equal(r.find(12)?.baseOffset, 10);
  assert.equal(r.find(15)?.baseOffset, 15);
  assert.equal(r.find(16), null, 'past the last batch');
  r.truncateToPosition(100);
  assert.equal(r.find(15), null);
  for (let i = 0; i < 70; i++) r.note(batch(16 + i, 16 + i, 100 + i * 100));
  assert.equal(r.find(12), undefined, 'the oldest fell out: held ones stay contiguous');
  assert.equal(r.find(85)?.baseOffset, 85);
});
