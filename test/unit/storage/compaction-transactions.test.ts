/**
 * Compaction of a log with transactions, as Kafka's LogCleaner: records of aborted transactions
 * go (and never shadow an older live value of their key), an ABORT marker stays while its data
 * is being removed and goes delete.retention.ms after none is left (its index entry with it), and
 * nothing from the first open transaction's segment on is cleaned.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Partition } from '../../../src/partition/partition.js';
import { buildBatch, batchesIn } from '../../../src/protocol/records/batch-records.js';
import { ControlType } from '../../../src/protocol/records/control-record.js';
import { clock, openLog, tempDir } from '../../helpers/storage.js';
import { everything, put } from '../../helpers/compaction.js';

const A = 31n;
const B = 32n;
const C = 33n;

test('aborted records go, committed stay; ABORT markers outlive their data by delete.retention.ms; open transactions stop the cleaner', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const c = clock(1_000_000);
    const log = await openLog(dir, { segmentBytes: 400, compact: true, deleteRetentionMs: 10_000, producerIdExpirationMs: 10 ** 9 }, { now: c.now });
    const p = new Partition('topic', 0, log, { now: c.now, producerIdExpirationMs: () => 10 ** 9, onBackgroundError: (w, e) => assert.fail(`${w}: ${String(e)}`) });
    const seqs = new Map<bigint, number>();
    const txn = async (pid: bigint, key: string, value: string) => {
      const seq = seqs.get(pid) ?? 0;
      seqs.set(pid, seq + 1);
      await p.append(await buildBatch([{ key: Buffer.from(key), value: Buffer.from(value), timestamp: c.time }], { producerId: pid, producerEpoch: 0, baseSequence: seq, transactional: true }), null);
    };
    const end = (pid: bigint, type: 0 | 1) => p.appendTxnMarker({ producerId: pid, producerEpoch: 0, coordinatorEpoch: 0, type });
    const pads = async (n: number) => {
      for (let i = 0; i < n; i++) await put(log, [['pad', `p${c.time}-${i}`.padEnd(80, '.')]], c.time);
    };
    await put(log, [['k', 'v1']], c.time); // 0
    await txn(A, 'k', 'aborted'); // 1
    await end(A, ControlType.ABORT); // 2
    await txn(B, 'j', 'b1'); // 3
    await end(B, ControlType.COMMIT); // 4
    await pads(6);
    await log.compact();
    const live = (await everything(log)).filter(([, k]) => k === 'k' || k === 'j');
    assert.deepEqual(live, [[0, 'k', 'v1'], [3, 'j', 'b1']], 'the aborted value is gone and did not replace v1');
    assert.deepEqual((await log.collectAbortedTxns(0, 100)).map((t) => [t.producerId, t.firstOffset, t.lastOffset]), [[A, 1, 2]], 'the kept ABORT marker keeps its entry');
    const markerAt = async (offset: number) => [...batchesIn(await log.read(offset, 1 << 20, log.logEndOffset, true))][0];
    assert.equal((await markerAt(2)).recordCount, 1);

    // Next pass: no data of A is left, so the marker gets a delete horizon and, past it, goes
    // (its header stays: it is A's last batch, which keeps A's epoch, as Kafka keeps it).
    c.time += 1;
    await pads(4);
    await log.compact();
    assert.ok((await markerAt(2)).hasDeleteHorizon);
    assert.deepEqual(await log.collectAbortedTxns(0, 100), [], 'a marker with nothing left to mark needs no entry');
    c.time += 11_000;
    await pads(4);
    await log.compact();
    const gone = await markerAt(2);
    assert.ok(gone.isControl && gone.recordCount === 0 && gone.producerId === A);

    // C opens a transaction: nothing from its segment on is cleaned, so j=b1 stays though j2 supersedes it.
    await txn(C, 'x', 'c1');
    const cFirst = p.log.logEndOffset - 1;
    await put(log, [['j', 'j2']], c.time);
    await pads(6);
    assert.equal(p.lastStableOffset, cFirst);
    await log.compact();
    assert.deepEqual((await everything(log)).filter(([, k]) => k === 'j').map(([, , v]) => v), ['b1', 'j2']);
    await end(C, ControlType.COMMIT);
    await pads(4);
    await log.compact();
    assert.deepEqual((await everything(log)).filter(([, k]) => k === 'j' || k === 'x').map(([, k, v]) => `${k}=${v}`), ['x=c1', 'j=j2']);
    await log.close();
  } finally {
    await cleanup();
  }
});

test('a log whose markers compaction emptied is restored: the producer state replays past them', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const c = clock(1_000_000);
    const config = { segmentBytes: 400, compact: true, deleteRetentionMs: 1_000, producerIdExpirationMs: 10 ** 9 };
    const ctx = { now: c.now, producerIdExpirationMs: () => 10 ** 9, onBackgroundError: (w: string, e: unknown) => assert.fail(`${w}: ${String(e)}`) };
    let log = await openLog(dir, config, { now: c.now });
    let p = new Partition('topic', 0, log, ctx);
    await p.append(await buildBatch([{ key: Buffer.from('k'), value: Buffer.from('x'), timestamp: c.time }], { producerId: A, producerEpoch: 0, baseSequence: 0, transactional: true }), null);
    await p.appendTxnMarker({ producerId: A, producerEpoch: 0, coordinatorEpoch: 0, type: ControlType.ABORT }); // 1
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 5; i++) await put(log, [['pad', `p${round}-${i}`.padEnd(80, '.')]], c.time);
      await log.compact();
      c.time += 2_000;
    }
    const [emptied] = [...batchesIn(await log.read(1, 1 << 20, log.logEndOffset, true))];
    assert.ok(emptied.isControl && emptied.recordCount === 0, 'the marker was emptied');
    // No snapshot: the restore replays the whole log, the emptied marker included.
    for (const name of await log.listSidecars()) await log.deleteSidecar(name);
    await log.close();
    // Unclean open: the producer state is rebuilt by replaying the log, empty marker included.
    log = await openLog(dir, config, { now: c.now, clean: false });
    p = new Partition('topic', 0, log, ctx);
    await p.restoreProducers();
    assert.equal(p.lastStableOffset, p.logEndOffset);
    await log.close();
  } finally {
    await cleanup();
  }
});
