/**
 * Compaction beside the partition's other work, on the simulated file system: a pass paused at an
 * exact file call (holdWhen) shows what goes on meanwhile, by order and counts, never by timing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimFileSystem } from '../../helpers/sim-fs.js';
import { LogManager } from '../../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../../src/storage/log.js';
import { batchesIn } from '../../../src/protocol/records/batch-records.js';
import { clock } from '../../helpers/storage.js';
import { everything, holdCall, put, table, turns } from '../../helpers/compaction.js';

const CONFIG: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytes: 1000, indexIntervalBytes: 200, segmentIndexBytes: 4096, retentionMs: -1, compact: true };
const SEGMENT_0 = '/data/t-0/00000000000000000000.log';

async function disk(seed: number): Promise<SimFileSystem> {
  const fs = new SimFileSystem({ seed });
  await fs.mkdir('/data');
  await fs.syncDir('/');
  return fs;
}

/** A log of `rounds` × 20 keys, one record per batch, many segments. */
async function filledLog(fs: SimFileSystem, rounds: number) {
  const c = clock();
  const manager = await LogManager.open('/data', { fs, now: c.now, cleaner: { enabled: false } });
  const log = await manager.openLog('t', 0, CONFIG);
  for (let round = 0; round < rounds; round++) for (let k = 0; k < 20; k++) await put(log, [[`k${k}`, `v${round}-${k}`.padEnd(40, '.')]], c.time);
  return { manager, log, c };
}

/**
 * The log opened again, as after a restart: its segments hold no batches appended by this process,
 * so a read finds its position through the index and a header read (recent-batches.ts answers only
 * for appended batches); segment 0's indexes are loaded by one read first, so the reads counted
 * next are the read's own.
 */
async function reopened(fs: SimFileSystem, manager: LogManager, now: () => number) {
  await manager.close();
  const again = await LogManager.open('/data', { fs, now, cleaner: { enabled: false } });
  const log = await again.openLog('t', 0, CONFIG);
  await log.read(0, 1, log.logEndOffset, true);
  return { manager: again, log };
}

test('appends, reads and their acknowledgements go on while a large compaction is in progress', async () => {
  const seed = 7001;
  const fs = await disk(seed);
  const { manager, log, c } = await filledLog(fs, 10);
  assert.ok(log.segmentCount >= 10, `${log.segmentCount} segments`);
  const before = table(await everything(log));
  // The cleaner pauses at its first write of cleaned data: it has read the log and built its map.
  const hold = holdCall(fs, (call, path) => (call === 'write' || call === 'writev') && path.endsWith('.cleaned'));
  const events: string[] = [];
  const pass = log.compact().then((r) => {
    events.push('compaction done');
    return r;
  });
  await hold.reached;
  const end = log.logEndOffset;
  const appends = Array.from({ length: 5 }, (_, i) =>
    put(log, [[`new${i}`, 'fresh']], c.time).then((r) => {
      events.push(`append ${i} acknowledged`);
      return r;
    }),
  );
  const read = log.read(0, 1 << 20, end, true).then((bytes) => {
    events.push('read done');
    return bytes;
  });
  // Bounded in steps of work: appends behind a held write queue would still be waiting after these.
  await Promise.race([Promise.all([...appends, read]), turns(5000)]);
  hold.release();
  const result = await pass;
  assert.ok(result && result.segments >= 5, `seed ${seed}: ${JSON.stringify(result)}`);
  const others = [...Array.from({ length: 5 }, (_, i) => `append ${i} acknowledged`), 'read done'];
  assert.deepEqual([...events].sort(), [...others, 'compaction done'].sort(), `seed ${seed}`);
  assert.equal(events.at(-1), 'compaction done', `seed ${seed}: everything else finished while the cleaner was paused (${events.join(', ')})`);
  assert.deepEqual((await Promise.all(appends)).map((a) => a.baseOffset), [end, end + 1, end + 2, end + 3, end + 4]);
  assert.ok([...batchesIn(await read)].length > 0);
  const after = table(await everything(log));
  for (const [k, v] of before) assert.equal(after.get(k), v, `seed ${seed}: ${k}`);
  for (let i = 0; i < 5; i++) assert.equal(after.get(`new${i}`), 'fresh');
  await manager.close();
});

test('a read holding the old segment file when the swap happens returns the old, well-aligned bytes; a read after it the new', async () => {
  const seed = 7002;
  const fs = await disk(seed);
  const filled = await filledLog(fs, 4);
  const { manager, log } = await reopened(fs, filled.manager, filled.c.now);
  const end = log.logEndOffset;
  const original = await log.read(0, 1 << 20, end, true);
  // The second read of segment 0 by this read is its data read (the first one finds the batch header).
  const hold = holdCall(fs, (call, path) => call === 'read' && path === SEGMENT_0, 2);
  const inFlight = log.read(0, 1 << 20, end, true);
  await hold.reached;
  fs.holdWhen = null;
  const result = await log.compact();
  assert.ok(result && result.segments > 0, `seed ${seed}`);
  hold.release();
  const old = await inFlight;
  assert.ok(old.equals(original), `seed ${seed}: the read in flight returns the bytes of the file it held`);
  for (const v of batchesIn(old)) assert.ok(v.isCrcValid(), `seed ${seed}: batch at ${v.baseOffset}`);
  const fresh = await log.read(0, 1 << 20, end, true);
  assert.ok(!fresh.equals(original), `seed ${seed}: a read after the swap sees the cleaned segment`);
  assert.ok(fresh.length < original.length);
  for (const v of batchesIn(fresh)) assert.ok(v.isCrcValid(), `seed ${seed}: cleaned batch at ${v.baseOffset}`);
  await manager.close();
});

test('a read that found its position in the old segment before the swap, and reads after it, gets whole batches of the new one', async () => {
  const seed = 7003;
  const fs = await disk(seed);
  const c = clock();
  let manager = await LogManager.open('/data', { fs, now: c.now, cleaner: { enabled: false } });
  let log = await manager.openLog('t', 0, CONFIG);
  // Segment 0 loses only its first batch: the batches after it move by a size that is no multiple
  // of theirs, so an old position in the new file lands inside a batch.
  await put(log, [['dup', 'first'.padEnd(37, '.')]], c.time);
  for (let i = 0; i < 30; i++) await put(log, [[`u${i}`, `unique ${i}`.padEnd(50, '.')]], c.time);
  await put(log, [['dup', 'second']], c.time);
  for (let i = 30; i < 40; i++) await put(log, [[`u${i}`, `unique ${i}`.padEnd(50, '.')]], c.time);
  ({ manager, log } = await reopened(fs, manager, c.now));
  const end = log.logEndOffset;
  const from = 3; // inside segment 0, not its first batch
  // Paused inside the position lookup: the old index has answered, the data is not read yet.
  const hold = holdCall(fs, (call, path) => call === 'read' && path === SEGMENT_0);
  const inFlight = log.read(from, 1 << 20, end, true);
  await hold.reached;
  fs.holdWhen = null;
  assert.ok(await log.compact(), `seed ${seed}`);
  hold.release();
  const got = await inFlight;
  const views = [...batchesIn(got)];
  assert.ok(views.length > 0, `seed ${seed}: the read returns batches`);
  let total = 0;
  for (const v of views) {
    assert.ok(v.isCrcValid(), `seed ${seed}: batch at ${v.baseOffset} is whole (not bytes of another file at an old position)`);
    total += v.sizeInBytes;
  }
  assert.equal(total, got.length, `seed ${seed}: the read is a run of whole batches`);
  assert.ok(got.equals(await log.read(from, 1 << 20, end, true)), `seed ${seed}: it is what a read after the swap returns`);
  await manager.close();
});

test("the broker's cleaner stops with the log manager: a pass in progress is abandoned and waited for, nothing is lost", async () => {
  const seed = 7004;
  const fs = await disk(seed);
  const c = clock();
  const cleaned: number[] = [];
  const errors: unknown[] = [];
  const manager = await LogManager.open('/data', { fs, now: c.now, cleaner: { backoffMs: 1_000_000 }, cleanerEvents: { onCleaned: (_, r) => cleaned.push(r.segments), onError: (_, err) => errors.push(err) } });
  const log = await manager.openLog('t', 0, CONFIG);
  for (let round = 0; round < 6; round++) for (let k = 0; k < 20; k++) await put(log, [[`k${k}`, `v${round}-${k}`.padEnd(40, '.')]], c.time);
  const before = await everything(log);
  const hold = holdCall(fs, (call, path) => (call === 'write' || call === 'writev') && path.endsWith('.cleaned'));
  manager.startCleaner();
  await hold.reached;
  const events: string[] = [];
  const closing = manager.close().then(() => events.push('closed'));
  await turns(200);
  events.push('cleaner released');
  hold.release();
  await closing;
  assert.deepEqual(events, ['cleaner released', 'closed'], `seed ${seed}: close waits for the pass in progress`);
  assert.deepEqual(cleaned, [], 'the pass was abandoned, not completed');
  assert.deepEqual(errors, []);
  assert.deepEqual(
    fs.list('/data').filter((p) => p.includes('.cleaned') || p.includes('.swap')),
    [],
    'the abandoned cleaned file is removed',
  );
  const again = await LogManager.open('/data', { fs, now: c.now, cleaner: { enabled: false } });
  assert.ok(again.wasCleanShutdown, 'the stop was clean');
  const reopened = await again.openLog('t', 0, CONFIG);
  assert.equal(reopened.cleanerCheckpoint, 0, 'the pass did not complete: the next one starts over');
  // Groups swapped before the stop stay cleaned; nothing else changed.
  const after = await everything(reopened);
  const beforeByOffset = new Map(before.map((r) => [r[0], r]));
  for (const r of after) assert.deepEqual(beforeByOffset.get(r[0]), r);
  assert.deepEqual(table(after), table(before));
  await again.close();
});
