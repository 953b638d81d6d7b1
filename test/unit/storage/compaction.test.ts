import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { buildBatch, buildControlBatch, batchesIn, readBatchRecords, CONTROL_ABORT, CONTROL_COMMIT } from '../../../src/protocol/records/batch-records.js';
import { CompressionType, RecordBatchView, TimestampType } from '../../../src/protocol/records/record-batch.js';
import { OFFSET_MAP_SLOT_BYTES } from '../../../src/storage/offset-map.js';
import type { DiskLog } from '../../../src/storage/log.js';
import { clock, openLog, tempDir } from '../../helpers/storage.js';
import { everything, put } from '../../helpers/compaction.js';

/** Every batch of the log as stored (copies), empty ones included. */
async function storedBatches(log: DiskLog): Promise<RecordBatchView[]> {
  const out: RecordBatchView[] = [];
  let next = log.logStartOffset;
  while (next < log.logEndOffset) {
    const bytes = await log.read(next, 1 << 20, log.logEndOffset, true);
    if (bytes.length === 0) break;
    for (const v of batchesIn(bytes)) {
      out.push(new RecordBatchView(Buffer.from(v.bytes())));
      next = Number(v.lastOffset) + 1;
    }
  }
  return out;
}

async function activeBaseOf(dir: string): Promise<number> {
  return Number((await readdir(join(dir, 'topic-0'))).filter((f) => f.endsWith('.log')).sort().at(-1)?.slice(0, 20));
}

const pad = (i: number): [string, string] => ['pad', `p${i}`.padEnd(90, '.')];

test('compaction keeps the last value per key with its offset, drops old tombstones, survives a reopen', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const c = clock(1_000_000);
    const config = { segmentBytes: 400, compact: true, deleteRetentionMs: 10_000 };
    let log = await openLog(dir, config, { now: c.now });
    for (let round = 0; round < 5; round++) await put(log, [['a', `a${round}`], ['b', `b${round}`], ['c', `c${round}`]], c.time);
    await put(log, [['b', null]], c.time); // tombstone for b
    await put(log, [['d', 'd0']], c.time);
    for (let i = 0; i < 3; i++) await put(log, [['pad', `p${i}`]], c.time);
    assert.ok(log.segmentCount >= 3);
    const before = await everything(log);
    const result = await log.compact();
    assert.ok(result && result.segments > 0 && result.bytesAfter < result.bytesBefore, JSON.stringify(result));
    const after = await everything(log);
    const activeBase = await activeBaseOf(dir);
    // Below the active segment: one record per key, the latest, at its original offset.
    const cleaned = after.filter(([o]) => o < activeBase);
    const lastOf = new Map<string, [number, string | null]>();
    for (const [o, k, v] of before.filter(([o]) => o < activeBase)) lastOf.set(k, [o, v]);
    const expected: [number, string, string | null][] = [...lastOf].map(([k, [o, v]]) => [o, k, v]);
    assert.deepEqual(cleaned, expected.sort((x, y) => x[0] - y[0]));
    assert.ok(cleaned.some(([, k, v]) => k === 'b' && v === null), 'a young tombstone stays');
    assert.deepEqual(after.filter(([o]) => o >= activeBase), before.filter(([o]) => o >= activeBase), 'the active segment is untouched');
    assert.equal(log.logEndOffset, 20, 'the end does not move');
    // Later: the tombstone is old enough to go, after more data rolled another segment.
    c.time += 20_000;
    for (let i = 0; i < 6; i++) await put(log, [['pad', `q${i}`]], c.time);
    await log.compact();
    assert.ok(!(await everything(log)).some(([, k]) => k === 'b'), 'the old tombstone and everything of b are gone');
    const final = await everything(log);
    await log.close();
    log = await openLog(dir, config, { clean: false, recoveryPoint: 0, now: c.now });
    assert.deepEqual(await everything(log), final, 'a reopen after an unclean stop serves the same records');
    assert.equal(log.logEndOffset, 26, 'recovery accepts the gaps compaction leaves');
    await log.close();
  } finally {
    await cleanup();
  }
});

test('a tombstone stays delete.retention.ms after the pass that first cleaned it, however old its records (KIP-534 delete horizon)', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const c = clock(50_000_000);
    const log = await openLog(dir, { segmentBytes: 300, compact: true, deleteRetentionMs: 10_000 }, { now: c.now });
    const old = c.time - 1_000_000; // far older than delete.retention.ms
    await put(log, [['a', 'a0'], ['b', 'b0']], old);
    await put(log, [['b', null]], old);
    for (let i = 0; i < 4; i++) await put(log, [pad(i)], old);
    const firstClean = c.time;
    await log.compact();
    const tombstoneBatch = async () => {
      for (const v of await storedBatches(log)) for (const r of await readBatchRecords(v)) if (r.key?.toString() === 'b' && r.value === null) return { v, r };
      return null;
    };
    const kept = await tombstoneBatch();
    assert.ok(kept, 'the first pass keeps the tombstone, although its timestamp is long past delete.retention.ms');
    assert.ok(kept.v.hasDeleteHorizon, 'its batch now carries a delete horizon');
    assert.equal(Number(kept.v.baseTimestamp), firstClean + 10_000, 'the horizon is the clean time plus delete.retention.ms');
    assert.equal(Number(kept.r.timestamp), old, 'the record keeps its own timestamp');
    assert.ok(kept.v.isCrcValid());
    assert.ok(!(await everything(log)).some(([, k, v]) => k === 'b' && v !== null), 'the value the tombstone deletes is gone');
    c.time += 9_000;
    for (let i = 4; i < 7; i++) await put(log, [pad(i)], c.time);
    await log.compact();
    assert.ok(await tombstoneBatch(), 'before its horizon the tombstone stays');
    c.time += 2_000;
    for (let i = 7; i < 10; i++) await put(log, [pad(i)], c.time);
    await log.compact();
    assert.equal(await tombstoneBatch(), null, 'past its horizon the tombstone goes');
    await log.close();
  } finally {
    await cleanup();
  }
});

test('a full offset map cleans up to the offset it covers, and the next passes go on from there', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const c = clock();
    const log = await openLog(dir, { segmentBytes: 400, compact: true }, { now: c.now });
    const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);
    for (let round = 0; round < 3; round++) for (const k of keys) await put(log, [[k, `${k}-${round}`]], c.time);
    for (let i = 0; i < 3; i++) await put(log, [pad(i)], c.time);
    const before = await everything(log);
    const dedupeBufferBytes = 12 * OFFSET_MAP_SLOT_BYTES; // 10 keys at the 0.9 load factor
    const covered: number[] = [];
    for (let pass = 0; pass < 50; pass++) {
      const result = await log.compact({ dedupeBufferBytes });
      if (!result) break;
      assert.ok(result.offsetMapBytes <= dedupeBufferBytes, `the map took ${result.offsetMapBytes} bytes`);
      covered.push(result.cleanedUpTo);
    }
    assert.ok(covered.length >= 9, `90 keyed records, 10 per pass: ${covered.length} passes (${covered.join(', ')})`);
    assert.deepEqual(covered, [...covered].sort((a, b) => a - b), 'each pass starts where the last stopped');
    const activeBase = await activeBaseOf(dir);
    const after = await everything(log);
    const expected = new Map<string, number>();
    for (const [o, k] of before) if (o < activeBase) expected.set(k, o);
    assert.deepEqual(
      after.filter(([o]) => o < activeBase).map(([o, k]) => [k, o]),
      [...expected].sort((x, y) => x[1] - y[1]),
      'in the end one record per key, the latest',
    );
    await log.close();
  } finally {
    await cleanup();
  }
});

test('rebuilt batches keep LogAppendTime, compression, producer fields, leader epoch and last offset; markers are kept as Kafka keeps them', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const c = clock(2_000_000_000);
    const log = await openLog(dir, { segmentBytes: 600, compact: true, deleteRetentionMs: 10_000, producerIdExpirationMs: 60_000 }, { now: c.now });
    const appendTime = c.time - 5;
    const rec = (k: string, v: string) => ({ key: Buffer.from(k), value: Buffer.from(v), timestamp: c.time - 1000 });
    const idempotent = await buildBatch([rec('a', 'a1'), rec('b', 'b1'), rec('c', 'c1')], { compression: CompressionType.Gzip, producerId: 7n, producerEpoch: 2, baseSequence: 40 });
    await log.append(idempotent, 5, appendTime); // offsets 0-2, LogAppendTime
    await put(log, [['a', 'a2']], c.time); // 3: supersedes a
    await log.append(await buildBatch([rec('t', 't1')], { producerId: 9n, producerEpoch: 0, baseSequence: 0, transactional: true }), 5, null); // 4
    const commitWithData = await buildControlBatch(CONTROL_COMMIT, 0, 9n, 0, c.time);
    await log.append(Buffer.from(commitWithData), 5, null); // 5
    await log.append(await buildControlBatch(CONTROL_COMMIT, 0, 11n, 0, c.time), 5, null); // 6: a transaction with no data
    const abort = await buildControlBatch(CONTROL_ABORT, 0, 12n, 0, c.time);
    await log.append(Buffer.from(abort), 5, null); // 7
    for (let i = 0; i < 8; i++) await put(log, [pad(i)], c.time);
    const originals = new Map((await storedBatches(log)).map((v) => [Number(v.baseOffset), Buffer.from(v.bytes())]));
    const firstClean = c.time;
    await log.compact();
    let byBase = new Map((await storedBatches(log)).map((v) => [Number(v.baseOffset), v]));
    const rebuilt = byBase.get(0) as RecordBatchView;
    assert.ok(rebuilt.isCrcValid());
    assert.equal(rebuilt.recordCount, 2);
    assert.equal(rebuilt.lastOffsetDelta, 2, 'the last offset (and so the last sequence) is kept');
    assert.equal(rebuilt.timestampType, TimestampType.LogAppendTime);
    assert.equal(Number(rebuilt.maxTimestamp), appendTime, 'the log append time stays the batch timestamp');
    assert.equal(rebuilt.compression, CompressionType.Gzip);
    assert.deepEqual([rebuilt.producerId, rebuilt.producerEpoch, rebuilt.baseSequence, rebuilt.partitionLeaderEpoch], [7n, 2, 40, 5]);
    assert.deepEqual((await readBatchRecords(rebuilt)).map((r) => [Number(r.offset), r.key?.toString(), r.value?.toString(), Number(r.timestamp)]), [
      [1, 'b', 'b1', appendTime],
      [2, 'c', 'c1', appendTime],
    ]);
    assert.ok(byBase.get(4)?.bytes().equals(originals.get(4) as Buffer), 'a transactional batch whose records stay is kept as it was');
    assert.ok(byBase.get(5)?.bytes().equals(originals.get(5) as Buffer), 'the COMMIT marker of a transaction with records left is kept as it was');
    // Kafka's CleanedTransactionMetadata: an ABORT marker none of whose transaction's batches is left may go too, after delete.retention.ms.
    assert.ok(byBase.get(7)?.isControl && byBase.get(7)?.hasDeleteHorizon, 'an ABORT marker with no data left gets a delete horizon');
    const emptyTxnMarker = byBase.get(6) as RecordBatchView;
    assert.ok(emptyTxnMarker.isControl && emptyTxnMarker.hasDeleteHorizon, 'the marker of an empty transaction gets a delete horizon');
    assert.equal(Number(emptyTxnMarker.baseTimestamp), firstClean + 10_000);
    // Past the horizon the marker's record goes; its producer is still active, so its header stays.
    c.time += 11_000;
    for (let i = 8; i < 12; i++) await put(log, [pad(i)], c.time);
    await log.compact();
    byBase = new Map((await storedBatches(log)).map((v) => [Number(v.baseOffset), v]));
    const emptied = byBase.get(6) as RecordBatchView;
    assert.ok(emptied && emptied.isControl && emptied.recordCount === 0 && emptied.producerId === 11n, 'an active producer keeps its last batch, empty');
    assert.ok(byBase.get(5)?.bytes().equals(originals.get(5) as Buffer), 'the marker of a transaction with records left stays');
    // Once the producer would have expired, its empty batch goes too.
    c.time += 60_000;
    for (let i = 12; i < 16; i++) await put(log, [pad(i)], c.time);
    await log.compact();
    byBase = new Map((await storedBatches(log)).map((v) => [Number(v.baseOffset), v]));
    assert.equal(byBase.get(6), undefined, 'an expired producer keeps nothing');
    await log.close();
  } finally {
    await cleanup();
  }
});

test("a batch that loses every record stays as an empty batch while it may be its producer's last", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const c = clock(3_000_000_000);
    const expiration = 60_000;
    const log = await openLog(dir, { segmentBytes: 500, compact: true, producerIdExpirationMs: expiration }, { now: c.now });
    const one = (k: string, v: string, ts: number) => [{ key: Buffer.from(k), value: Buffer.from(v), timestamp: ts }];
    await log.append(await buildBatch(one('x', 'x1', c.time), { producerId: 21n, producerEpoch: 3, baseSequence: 17 }), 0, null); // 0
    await log.append(await buildBatch(one('y', 'y1', c.time - 2 * expiration), { producerId: 22n, producerEpoch: 0, baseSequence: 0 }), 0, null); // 1
    await put(log, [['x', 'x2'], ['y', 'y2']], c.time); // 2-3
    for (let i = 0; i < 6; i++) await put(log, [pad(i)], c.time);
    await log.compact();
    const batches = await storedBatches(log);
    const kept = batches.find((v) => Number(v.baseOffset) === 0);
    assert.ok(kept, "producer 21's last batch is kept");
    assert.deepEqual([kept.recordCount, kept.producerId, kept.producerEpoch, kept.baseSequence, kept.lastOffsetDelta], [0, 21n, 3, 17, 0]);
    assert.ok(kept.isCrcValid());
    assert.equal(batches.find((v) => Number(v.baseOffset) === 1), undefined, 'an expired producer keeps nothing');
    assert.deepEqual((await everything(log)).slice(0, 2), [
      [2, 'x', 'x2'],
      [3, 'y', 'y2'],
    ]);
    await log.close();
  } finally {
    await cleanup();
  }
});

test('a read that would return only batches without records goes on to the next records (kafkajs 2.x waits for ever on such an answer)', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const c = clock(4_000_000_000);
    const log = await openLog(dir, { segmentBytes: 300, compact: true }, { now: c.now });
    // Segment 0 holds one batch of an idempotent producer, which the cleaner empties but keeps.
    await log.append(await buildBatch([{ key: Buffer.from('x'), value: Buffer.from('x1'.padEnd(200, '.')), timestamp: c.time }], { producerId: 31n, producerEpoch: 0, baseSequence: 0 }), 0, null);
    await put(log, [['x', 'x2']], c.time);
    for (let i = 0; i < 6; i++) await put(log, [pad(i)], c.time);
    await log.compact();
    const bytes = await log.read(0, 1 << 20, log.logEndOffset, true);
    const views = [...batchesIn(bytes)];
    assert.equal(views[0].recordCount, 0, 'the read starts with the empty batch');
    assert.ok(views.some((v) => v.recordCount > 0), 'and goes on to records');
    assert.deepEqual((await readBatchRecords(views.find((v) => v.recordCount > 0) as RecordBatchView)).map((r) => r.value?.toString()), ['x2']);
    await log.close();
  } finally {
    await cleanup();
  }
});
