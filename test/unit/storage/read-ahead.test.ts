// A sequential reader's next slice is read while its previous answer is sent: the next fetch then
// makes no file read, gets the same bytes a fresh read would, and never gets bytes a truncation cut
// (even when the cut happens while the read ahead is in flight); the budget bounds what is held.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimFileSystem } from '../../helpers/sim-fs.js';
import { readsDuring, simLog } from '../../helpers/sim-log.js';
import { LogManager } from '../../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../../src/storage/log.js';
import { batchesIn } from '../../../src/protocol/records/batch-records.js';
import { put } from '../../helpers/compaction.js';
import { ReadAheadBudget, SegmentReadAhead } from '../../../src/storage/read-ahead.js';

const CONFIG: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytes: 1_000_000, indexIntervalBytes: 4096, retentionMs: -1 };

const setup = (seed: number) => simLog(seed, CONFIG);

const offsets = (bytes: Buffer) => [...batchesIn(bytes)].map((v) => Number(v.baseOffset));
const lastOffsetOf = (bytes: Buffer) => Math.max(...[...batchesIn(bytes)].map((v) => Number(v.lastOffset)));

test('reading a log from its start slice by slice: every slice after the first comes from memory, the same bytes', async () => {
  const { fs, c, manager, log } = await setup(9201);
  // More than the 64 batches the head-of-log cache holds, so the early ones need the index or the read-ahead.
  for (let i = 0; i < 200; i++) await put(log, [[`k${i}`, `value ${i}`.padEnd(300, '.')]], c.time);
  const slices: Buffer[] = [];
  const readsPerSlice: number[] = [];
  for (let offset = 0; offset < log.logEndOffset; ) {
    const { result, reads } = await readsDuring(fs, () => log.read(offset, 4000, log.logEndOffset, true));
    slices.push(Buffer.from(result));
    readsPerSlice.push(reads);
    offset = lastOffsetOf(result) + 1;
  }
  assert.deepEqual(slices.flatMap(offsets), Array.from({ length: 200 }, (_, i) => i), 'every batch once, in order');
  // Without read-ahead each slice older than the head-of-log cache costs a header read and a data
  // read. With it: the first slice's header and data reads, then one read ahead per later slice
  // (a read ahead may reach the file system just after the call that started it returned).
  const total = readsPerSlice.reduce((a, b) => a + b, 0);
  assert.ok(slices.length >= 15, `${slices.length} slices`);
  assert.ok(total <= slices.length + 1, `${total} file reads for ${slices.length} slices: ${readsPerSlice.join(',')}`);
  // The same bytes as a broker started afresh reads from the file.
  await manager.close();
  const again = await LogManager.open('/data', { fs, now: c.now, cleaner: { enabled: false } });
  const reopened = await again.openLog('t', 0, CONFIG);
  for (let i = 0, offset = 0; i < slices.length; i++) {
    const fresh = await reopened.read(offset, 4000, reopened.logEndOffset, true);
    assert.ok(fresh.equals(slices[i]), `slice ${i} differs from a fresh read`);
    offset = lastOffsetOf(fresh) + 1;
  }
  await again.close();
});

test('a truncation after the next slice was read ahead: the next read returns the batches appended after the cut', async () => {
  const { c, manager, log } = await setup(9202);
  for (let i = 0; i < 150; i++) await put(log, [[`k${i}`, `first ${i}`.padEnd(300, '.')]], c.time);
  // This read starts the read ahead of the slice after it; cut the log inside that slice.
  const first = await log.read(0, 4000, log.logEndOffset, true);
  const next = lastOffsetOf(first) + 1;
  await log.truncateTo(next + 2);
  for (let i = next + 2; i < next + 8; i++) await put(log, [[`k${i}`, `second ${i}`.padEnd(300, '!')]], c.time);
  const got = await log.read(next, 4000, log.logEndOffset, true);
  const text = got.toString('latin1');
  assert.deepEqual(offsets(got).slice(0, 4), [next, next + 1, next + 2, next + 3]);
  assert.ok(text.includes(`second ${next + 2}`), 'the batch appended after the cut');
  assert.ok(!text.includes(`first ${next + 2}`), 'never a batch the cut removed');
  await manager.close();
});

test('a truncation that lands while the read ahead itself is paused in the file system', async () => {
  const { fs, c, manager, log } = await setup(9203);
  for (let i = 0; i < 150; i++) await put(log, [[`k${i}`, `first ${i}`.padEnd(300, '.')]], c.time);
  const first = await log.read(0, 4000, log.logEndOffset, true);
  const next = lastOffsetOf(first) + 1;
  // Read slice `next` to start the read ahead of the slice after it, pausing that read in flight.
  let release: () => void = () => undefined;
  let reads = 0;
  fs.holdWhen = (call) => {
    if (call !== 'read') return null;
    reads++;
    return reads === 1 ? null : new Promise<void>((r) => (release = r));
  };
  const second = await log.read(next, 4000, log.logEndOffset, true);
  fs.holdWhen = null;
  const third = lastOffsetOf(second) + 1;
  const truncated = log.truncateTo(third + 1);
  release();
  await truncated;
  for (let i = third + 1; i < third + 5; i++) await put(log, [[`k${i}`, `second ${i}`.padEnd(300, '!')]], c.time);
  const got = await log.read(third, 4000, log.logEndOffset, true);
  assert.deepEqual(offsets(got), [third, third + 1, third + 2, third + 3, third + 4]);
  assert.ok(got.toString('latin1').includes(`second ${third + 1}`));
  assert.ok(!got.toString('latin1').includes(`first ${third + 1}`));
  await manager.close();
});

test('the budget keeps what is held under its size, dropping the oldest slice first', async () => {
  const fs = new SimFileSystem({ seed: 9204 });
  await fs.mkdir('/d');
  const file = await fs.open('/d/f', 'replace');
  await file.write(Buffer.alloc(1000, 7), 0, 1000, 0);
  const withFile = <T>(fn: (fh: typeof file) => Promise<T>) => fn(file);
  const budget = new ReadAheadBudget(250);
  const a = new SegmentReadAhead(budget);
  const b = new SegmentReadAhead(budget);
  const c = new SegmentReadAhead(budget);
  a.start(0, 100, withFile);
  b.start(100, 100, withFile);
  await Promise.all([a.settled(), b.settled()]);
  assert.equal(budget.bytesHeld, 200);
  c.start(200, 100, withFile);
  await c.settled();
  assert.equal(budget.bytesHeld, 200, 'a made room');
  assert.equal(a.heldPosition, null, 'the oldest slice was dropped');
  assert.equal(b.heldPosition, 100);
  assert.equal(c.take(200, 100)?.length, 100);
  assert.equal(c.take(200, 100), null, 'a slice is taken once');
  assert.equal(budget.bytesHeld, 100);
  assert.equal(b.take(100, 101), null, 'a slice shorter than wanted is not used');
  assert.equal(budget.bytesHeld, 0, 'and it is dropped');
  new SegmentReadAhead(budget).start(0, 251, withFile);
  assert.equal(budget.bytesHeld, 0, 'a slice larger than the whole budget is not read');
});

test('a slice that is too short is dropped when asked for, and a reader elsewhere replaces a slice nobody took', async () => {
  const fs = new SimFileSystem({ seed: 9205 });
  await fs.mkdir('/d');
  const file = await fs.open('/d/f', 'replace');
  await file.write(Buffer.alloc(1000, 7), 0, 1000, 0);
  const withFile = <T>(fn: (fh: typeof file) => Promise<T>) => fn(file);
  const budget = new ReadAheadBudget(1000);
  const ahead = new SegmentReadAhead(budget);
  ahead.start(0, 100, withFile);
  await ahead.settled();
  assert.equal(ahead.take(0, 150), null, 'shorter than wanted: a fresh read serves it');
  assert.equal(ahead.heldPosition, null, 'and the short slice is gone');
  assert.equal(budget.bytesHeld, 0);
  ahead.start(200, 100, withFile);
  await ahead.settled();
  ahead.start(500, 100, withFile);
  await ahead.settled();
  assert.equal(ahead.heldPosition, 500, 'the newer reader’s slice');
  assert.equal(budget.bytesHeld, 100);
});
