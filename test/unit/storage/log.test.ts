import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, rm, stat, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RecordBatchView } from '../../../src/protocol/records/record-batch.js';
import { batchesIn, readBatchRecords } from '../../../src/protocol/records/batch-records.js';
import { batch, clock, openLog, shape, tempDir } from '../../helpers/storage.js';

test('append assigns offsets, stamps the leader epoch, and reads return whole batches', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const log = await openLog(dir);
    assert.deepEqual(await log.append(await batch('a', 3, 1000), 5, null), { baseOffset: 0, lastOffset: 2 });
    assert.deepEqual(await log.append(Buffer.concat([await batch('b', 2, 2000), await batch('c', 4, 3000)]), 5, null), { baseOffset: 3, lastOffset: 8 });
    assert.equal(log.logEndOffset, 9);
    const all = await log.read(0, 1 << 20, 9, true);
    assert.deepEqual(shape(all), [[0, 3], [3, 2], [5, 4]]);
    assert.ok([...batchesIn(all)].every((v) => v.partitionLeaderEpoch === 5 && v.isCrcValid()));
    // A read from inside a batch starts at that batch; the limit offset is never crossed.
    assert.deepEqual(shape(await log.read(4, 1 << 20, 9, true)), [[3, 2], [5, 4]]);
    assert.deepEqual(shape(await log.read(0, 1 << 20, 5, true)), [[0, 3], [3, 2]]);
    assert.deepEqual(shape(await log.read(0, 1 << 20, 4, true)), [[0, 3]]);
    // maxBytes: whole batches only, but the first one even when it alone is larger.
    assert.deepEqual(shape(await log.read(0, 10, 9, true)), [[0, 3]]);
    assert.deepEqual(shape(await log.read(0, 10, 9, false)), []);
    assert.equal((await log.read(9, 1000, 9, true)).length, 0);
    const records = await readBatchRecords(new RecordBatchView(await log.read(6, 1 << 20, 9, true)));
    assert.deepEqual(records.map((r) => [r.offset, r.value?.toString().split(':')[0]]), [[5n, 'c'], [6n, 'c'], [7n, 'c'], [8n, 'c']]);
    await log.close();
  } finally {
    await cleanup();
  }
});

test('segments roll on segment.bytes and segment.ms; reads continue across them; the layout is Kafka\'s', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const c = clock();
    const log = await openLog(dir, { segmentBytes: 1000, segmentMs: 60_000, indexIntervalBytes: 200 }, { now: c.now });
    for (let i = 0; i < 20; i++) await log.append(await batch(`s${i}`, 2, c.time, 60), 0, null);
    assert.ok(log.segmentCount > 3, `${log.segmentCount} segments`);
    c.time += 61_000;
    const before = log.segmentCount;
    await log.append(await batch('late', 1, c.time), 0, null);
    assert.equal(log.segmentCount, before + 1, 'segment.ms rolled a new segment');
    // Read everything by following offsets across segment boundaries.
    const seen: number[] = [];
    let next = 0;
    while (next < log.logEndOffset) {
      const bytes = await log.read(next, 300, log.logEndOffset, true);
      for (const v of batchesIn(bytes)) {
        seen.push(Number(v.baseOffset));
        next = Number(v.lastOffset) + 1;
      }
    }
    assert.deepEqual(seen, [...Array.from({ length: 20 }, (_, i) => i * 2), 40]);
    await log.close();
    const files = (await readdir(join(dir, 'topic-0'))).sort();
    assert.ok(files.includes('00000000000000000000.log') && files.includes('00000000000000000000.index') && files.includes('00000000000000000000.timeindex'));
    assert.ok(files.includes('leader-epoch-checkpoint'));
    assert.ok(files.every((f) => /^\d{20}\.(log|index|timeindex)$/.test(f) || f === 'leader-epoch-checkpoint'), files.join());
    // Closed segments keep trimmed indexes: whole 8- and 12-byte entries, the first batch indexed.
    const idx = await stat(join(dir, 'topic-0', '00000000000000000000.index'));
    assert.equal(idx.size % 8, 0);
    assert.ok(idx.size < 1024);
    for (const f of files.filter((n) => n.endsWith('.index'))) {
      const bytes = await readFile(join(dir, 'topic-0', f));
      assert.ok(bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.alloc(8)), `${f} starts with the entry of its first batch`);
    }
  } finally {
    await cleanup();
  }
});

test('time lookup finds the first batch at or after a timestamp; max timestamp is tracked', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const log = await openLog(dir, { segmentBytes: 600, indexIntervalBytes: 100 });
    for (let i = 0; i < 10; i++) await log.append(await batch(`t${i}`, 2, 10_000 + i * 1000), 0, null);
    assert.deepEqual(await log.offsetForTimestamp(0), { offset: 0, timestamp: 10_001 });
    assert.deepEqual(await log.offsetForTimestamp(14_500), { offset: 10, timestamp: 15_001 });
    assert.deepEqual(await log.offsetForTimestamp(19_001), { offset: 18, timestamp: 19_001 });
    assert.equal(await log.offsetForTimestamp(19_002), null);
    assert.deepEqual(await log.maxTimestamp(), { offset: 18, timestamp: 19_001 });
    await log.close();
  } finally {
    await cleanup();
  }
});

test('truncate removes whole batches from the end, across segments', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const log = await openLog(dir, { segmentBytes: 500 });
    for (let i = 0; i < 10; i++) await log.append(await batch(`r${i}`, 3, 1000), 0, null);
    const segments = log.segmentCount;
    await log.truncateTo(13);
    assert.equal(log.logEndOffset, 12, 'offset 13 is inside the batch 12-14, which goes whole');
    assert.ok(log.segmentCount < segments);
    assert.deepEqual(shape(await log.read(9, 1 << 20, 100, true)).at(-1), [9, 3]);
    assert.deepEqual(await log.append(await batch('after', 1, 1000), 0, null), { baseOffset: 12, lastOffset: 12 });
    await log.close();
  } finally {
    await cleanup();
  }
});

test('delete-records advances the log start; retention by time and size deletes whole old segments', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const c = clock(1_000_000);
    const log = await openLog(dir, { segmentBytes: 400, retentionMs: 10_000, retentionBytes: -1 }, { now: c.now });
    for (let i = 0; i < 12; i++) await log.append(await batch(`d${i}`, 2, c.time + i * 1000), 0, null);
    await log.deleteRecordsBefore(5);
    assert.equal(log.logStartOffset, 5);
    assert.deepEqual(shape(await log.read(0, 1 << 20, 100, true))[0], [4, 2], 'reads start at the batch holding the log start');
    c.time += 15_000;
    const segmentsBefore = log.segmentCount;
    const deleted = await log.applyRetention();
    assert.ok(deleted > 0 && log.segmentCount === segmentsBefore - deleted);
    assert.ok(log.segmentCount >= 1);
    assert.ok(log.logStartOffset > 5);
    c.time += 1_000_000;
    await log.applyRetention();
    assert.equal(log.segmentCount, 1, 'the active segment is never deleted');
    log.config = { ...log.config, retentionMs: -1, retentionBytes: 500 };
    for (let i = 0; i < 12; i++) await log.append(await batch(`e${i}`, 2, c.time), 0, null);
    await log.applyRetention();
    assert.ok(log.sizeInBytes < 500 + 400, `size ${log.sizeInBytes} after size-based retention`);
    await log.close();
  } finally {
    await cleanup();
  }
});

test('deleted or corrupted .index and .timeindex files are rebuilt', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    let log = await openLog(dir, { segmentBytes: 2000, indexIntervalBytes: 100 });
    for (let i = 0; i < 30; i++) await log.append(await batch(`i${i}`, 2, 50_000 + i * 10), 0, null);
    const expected = await log.read(31, 200, 1000, true);
    const expectedTime = await log.offsetForTimestamp(50_155);
    await log.close();
    const partDir = join(dir, 'topic-0');
    const indexes = (await readdir(partDir)).filter((f) => f.endsWith('.index') || f.endsWith('.timeindex'));
    const original = await readFile(join(partDir, '00000000000000000000.index'));
    assert.ok(original.length > 8);
    for (const [i, f] of indexes.entries()) {
      if (i % 2 === 0) await rm(join(partDir, f));
      else await writeFile(join(partDir, f), Buffer.alloc(64, 0x5a));
    }
    log = await openLog(dir, { segmentBytes: 2000, indexIntervalBytes: 100 });
    assert.deepEqual(await log.read(31, 200, 1000, true), expected);
    assert.deepEqual(await log.offsetForTimestamp(50_155), expectedTime);
    await log.close();
    assert.deepEqual(await readFile(join(partDir, '00000000000000000000.index')), original, 'the rebuilt index equals the original');
  } finally {
    await cleanup();
  }
});

test('recovery cuts the log exactly at a corrupt tail batch', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    let log = await openLog(dir);
    for (let i = 0; i < 10; i++) await log.append(await batch(`c${i}`, 2, 1000), 0, null);
    const keep = await log.read(0, 1 << 20, 16, true);
    await log.close();
    const file = join(dir, 'topic-0', '00000000000000000000.log');
    const bytes = await readFile(file);
    const at = keep.length + 70; // inside the ninth batch (offsets 16-17)
    bytes[at] ^= 0xff;
    await writeFile(file, bytes);
    log = await openLog(dir, {}, { clean: false, recoveryPoint: 0 });
    assert.equal(log.logEndOffset, 16, 'records from the damaged batch on are gone');
    assert.equal((await stat(file)).size, keep.length, 'the file is cut at the damaged batch\'s first byte');
    assert.deepEqual(await log.read(0, 1 << 20, 100, true), keep);
    // A torn write (half a batch at the end) is cut too.
    await log.append(await batch('torn', 5, 1000), 0, null);
    await log.close();
    const withTorn = await readFile(file);
    await writeFile(file, withTorn.subarray(0, withTorn.length - 9));
    log = await openLog(dir, {}, { clean: false, recoveryPoint: 0 });
    assert.equal(log.logEndOffset, 16);
    await log.close();
  } finally {
    await cleanup();
  }
});
