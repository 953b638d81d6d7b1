/**
 * The aborted-transaction index (`.txnindex`): Kafka's entry layout byte for byte, a torn tail
 * after a crash, Kafka's collectAbortedTxns over several segments of a disk log (and the memory
 * twin), and the index going with its segment at truncation and retention.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ABORTED_TXN_SIZE, collectFrom, decodeAbortedTxns, encodeAbortedTxn, TransactionIndex, type AbortedTxn } from '../../../src/storage/txn-index.js';
import { SimFileSystem } from '../../helpers/sim-fs.js';
import { batch, clock, openLog, tempDir } from '../../helpers/storage.js';
import { MemoryLog } from '../../../src/storage/memory-log.js';
import type { PartitionLog } from '../../../src/storage/partition-log.js';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LogManager } from '../../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG } from '../../../src/storage/log.js';

/** Kafka's AbortedTxn, written field by field: version short 0, producer id, first, last, LSO (longs, big-endian). */
function kafkaEntry(producerId: bigint, first: bigint, last: bigint, lso: bigint): Buffer {
  const b = Buffer.alloc(34);
  b.writeInt16BE(0, 0);
  b.writeBigInt64BE(producerId, 2);
  b.writeBigInt64BE(first, 10);
  b.writeBigInt64BE(last, 18);
  b.writeBigInt64BE(lso, 26);
  return b;
}

test('entries are Kafka\'s 34-byte AbortedTxn; a torn tail or another version ends the list', () => {
  assert.equal(ABORTED_TXN_SIZE, 34);
  const t: AbortedTxn = { producerId: 0x0102030405060708n, firstOffset: 5, lastOffset: 9, lastStableOffset: 7 };
  assert.deepEqual(encodeAbortedTxn(t), kafkaEntry(0x0102030405060708n, 5n, 9n, 7n));
  const two = Buffer.concat([kafkaEntry(1n, 0n, 3n, 4n), kafkaEntry(2n, 2n, 8n, 9n)]);
  assert.deepEqual(decodeAbortedTxns(two), [
    { producerId: 1n, firstOffset: 0, lastOffset: 3, lastStableOffset: 4 },
    { producerId: 2n, firstOffset: 2, lastOffset: 8, lastStableOffset: 9 },
  ]);
  assert.equal(decodeAbortedTxns(two.subarray(0, 34 + 20)).length, 1);
  const future = Buffer.from(two);
  future.writeInt16BE(1, 34);
  assert.equal(decodeAbortedTxns(future).length, 1);
  // Zeros where a crash grew the file but lost its bytes: no marker writes first == last offset.
  assert.equal(decodeAbortedTxns(Buffer.concat([two.subarray(0, 34), Buffer.alloc(34)])).length, 1);
});

test('collectFrom keeps what overlaps [fetch, upper) and stops at an entry whose LSO reaches the bound', () => {
  const entries: AbortedTxn[] = [
    { producerId: 1n, firstOffset: 0, lastOffset: 4, lastStableOffset: 5 },
    { producerId: 2n, firstOffset: 3, lastOffset: 10, lastStableOffset: 11 },
    { producerId: 3n, firstOffset: 12, lastOffset: 20, lastStableOffset: 21 },
  ];
  assert.deepEqual(collectFrom(entries, 5, 12), { found: [entries[1]], complete: true });
  assert.deepEqual(collectFrom(entries, 0, 3), { found: [entries[0]], complete: true });
  assert.deepEqual(collectFrom(entries, 11, 30), { found: [entries[2]], complete: false });
});

test('appends are durable and a crash tears at most the entry being written; a later append overwrites the tear', async () => {
  let tears = 0;
  for (let seed = 1; seed <= 10; seed++) {
    const fs = new SimFileSystem({ seed });
    await fs.mkdir('/d');
    await fs.syncDir('/');
    const index = new TransactionIndex(fs, '/d/00000000000000000000.txnindex');
    await index.append({ producerId: 1n, firstOffset: 0, lastOffset: 3, lastStableOffset: 4 });
    fs.crashWhen = (call) => call === 'datasync';
    await assert.rejects(index.append({ producerId: 2n, firstOffset: 5, lastOffset: 8, lastStableOffset: 9 }));
    const after = fs.afterCrash(seed);
    const again = new TransactionIndex(after, '/d/00000000000000000000.txnindex');
    // The unacknowledged entry survives whole or not at all (a torn one is never read); recovery
    // drops it when its marker is gone too (recovery.ts).
    const survived = (await again.entries()).map((t) => t.producerId);
    assert.ok([1n, 2n].join() === survived.join() || survived.join() === '1', `seed ${seed}: ${survived.join()}`);
    tears += survived.length === 1 ? 1 : 0;
    await again.append({ producerId: 3n, firstOffset: 5, lastOffset: 9, lastStableOffset: 10 });
    assert.deepEqual(decodeAbortedTxns((await after.readFile('/d/00000000000000000000.txnindex')) as Buffer).map((t) => t.producerId), [...survived, 3n], `seed ${seed}`);
  }
  assert.ok(tears > 0, 'some seed lost or tore the unsynced entry');
});

async function collectAcrossSegments(log: PartitionLog): Promise<void> {
  // Five batches of 5 records; entries for "markers" at 4, 9, 14, 19, 24 (in each batch's last offset).
  for (let i = 0; i < 5; i++) await log.append(await batch(`b${i}`, 5, 1_000, 60), 0, null);
  const entries: AbortedTxn[] = [
    { producerId: 1n, firstOffset: 0, lastOffset: 4, lastStableOffset: 5 },
    { producerId: 2n, firstOffset: 2, lastOffset: 9, lastStableOffset: 10 },
    { producerId: 3n, firstOffset: 6, lastOffset: 19, lastStableOffset: 20 },
    { producerId: 4n, firstOffset: 21, lastOffset: 24, lastStableOffset: 25 },
  ];
  for (const t of entries) await log.appendAbortedTxn(t);
  await log.appendAbortedTxn(entries[3]); // a replay of the same marker adds nothing
  // Recovery replays every marker since the last snapshot: older ones already indexed add nothing either.
  await log.appendAbortedTxn(entries[2]);
  await log.appendAbortedTxn(entries[0]);
  assert.deepEqual(await log.collectAbortedTxns(0, 25), entries);
  assert.deepEqual(await log.collectAbortedTxns(10, 15), [entries[2]], 'producer 3 began at 6 and ended at 19, in a later segment');
  assert.deepEqual(await log.collectAbortedTxns(20, 21), []);
  await assert.rejects(log.appendAbortedTxn({ producerId: 5n, firstOffset: 0, lastOffset: 23, lastStableOffset: 25 }), RangeError);
  await log.truncateTo(15);
  assert.deepEqual(await log.collectAbortedTxns(0, 25), entries.slice(0, 2));
}

test('collectAbortedTxns over several segments, and truncation taking entries (disk log)', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const log = await openLog(dir, { segmentBytes: 500 });
    await collectAcrossSegments(log);
    assert.ok(log.segmentCount >= 3);
    const names = await readdir(join(dir, 'topic-0'));
    assert.deepEqual(names.filter((n) => n.endsWith('.txnindex')).length, 2, names.join(' '));
    await log.close();
    // Reopened: read from the files.
    const again = await openLog(dir, { segmentBytes: 500 });
    assert.deepEqual((await again.collectAbortedTxns(0, 15)).map((t) => t.producerId), [1n, 2n]);
    await again.close();
  } finally {
    await cleanup();
  }
});

test('collectAbortedTxns and truncation (memory log)', async () => {
  await collectAcrossSegments(new MemoryLog());
});

test('retention deletes a segment with its index file', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const c = clock();
    const log = await openLog(dir, { segmentBytes: 500, retentionMs: 1000 }, { now: c.now });
    for (let i = 0; i < 4; i++) await log.append(await batch(`b${i}`, 5, c.time, 60), 0, null);
    await log.appendAbortedTxn({ producerId: 1n, firstOffset: 0, lastOffset: 4, lastStableOffset: 5 });
    c.time += 10_000;
    assert.ok((await log.applyRetention()) > 0);
    assert.deepEqual((await readdir(join(dir, 'topic-0'))).filter((n) => n.endsWith('.txnindex')), []);
    assert.deepEqual(await log.collectAbortedTxns(0, 100), []);
    await log.close();
  } finally {
    await cleanup();
  }
});

test('segments without an index file are known empty from the listing: a read_committed fetch reads no file for them', async () => {
  const fs = new SimFileSystem({ seed: 5 });
  await fs.mkdir('/data');
  await fs.syncDir('/');
  let manager = await LogManager.open('/data', { fs });
  let log = await manager.openLog('t', 0, { ...DEFAULT_LOG_CONFIG, segmentBytes: 500 });
  for (let i = 0; i < 6; i++) await log.append(await batch(`b${i}`, 5, 1_000, 60), 0, null);
  await log.appendAbortedTxn({ producerId: 1n, firstOffset: 20, lastOffset: 24, lastStableOffset: 25 });
  await manager.close();
  manager = await LogManager.open('/data', { fs });
  log = await manager.openLog('t', 0, { ...DEFAULT_LOG_CONFIG, segmentBytes: 500 });
  const reads: string[] = [];
  fs.failWhen = (call, path) => {
    if (call === 'readFile' && path.endsWith('.txnindex')) reads.push(path.split('/').pop() ?? path);
    return null;
  };
  assert.deepEqual((await log.collectAbortedTxns(0, 30)).map((t) => t.producerId), [1n]);
  assert.deepEqual(reads, ['00000000000000000020.txnindex'], 'only the one file there is read');
  await manager.close();
});
