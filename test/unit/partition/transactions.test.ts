/**
 * Transactions on one partition: transactional batches open a transaction, markers close it, the
 * last stable offset follows (appends, markers, truncation, restart, power cut), aborts land in
 * the aborted-transaction index (rebuilt from the log when a crash lost an entry), and markers of
 * fenced producers or coordinators are refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimFileSystem, SimulatedCrash } from '../../helpers/sim-fs.js';
import { LogManager } from '../../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../../src/storage/log.js';
import { Partition, READ_COMMITTED, READ_UNCOMMITTED, type PartitionContext } from '../../../src/partition/partition.js';
import { batchesIn, buildBatch } from '../../../src/protocol/records/batch-records.js';
import { ErrorCode, KafkaError } from '../../../src/protocol/error-codes.js';
import { ControlType, readMarker } from '../../../src/protocol/records/control-record.js';
import { decodeSnapshot, snapshotFileName } from '../../../src/partition/producer-snapshot.js';
import { MemoryLog } from '../../../src/storage/memory-log.js';

const CONFIG: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytes: 700 };
const A = 100n;
const B = 200n;

function context(now: { t: number }): PartitionContext {
  return { now: () => now.t, producerIdExpirationMs: () => 86_400_000, onBackgroundError: (what, err) => {
      // A snapshot the simulated power cut interrupted is expected; anything else is a failure.
      if (!(err instanceof SimulatedCrash)) assert.fail(`${what}: ${String(err)}`);
    },
  };
}

async function disk(seed: number): Promise<SimFileSystem> {
  const fs = new SimFileSystem({ seed });
  await fs.mkdir('/data');
  await fs.syncDir('/');
  return fs;
}

async function openPartition(fs: SimFileSystem, now = { t: 5_000 }): Promise<{ manager: LogManager; partition: Partition }> {
  const manager = await LogManager.open('/data', { fs });
  const partition = new Partition('t', 0, await manager.openLog('t', 0, CONFIG), context(now));
  await partition.restoreProducers();
  return { manager, partition };
}

/** Sequences per producer, so each test's batches follow on. */
function producer(pid: bigint, epoch = 0) {
  let seq = 0;
  return {
    batch(records: number, transactional = true): Promise<Buffer> {
      const b = buildBatch(
        Array.from({ length: records }, (_, i) => ({ key: null, value: Buffer.from(`${pid}-${seq + i}`.padEnd(30, '.')), timestamp: 1_000 })),
        { producerId: pid, producerEpoch: epoch, baseSequence: seq, transactional },
      );
      seq += records;
      return b;
    },
  };
}

const marker = (producerId: bigint, type: 0 | 1, producerEpoch = 0, coordinatorEpoch = 0) => ({ producerId, producerEpoch, coordinatorEpoch, type });

test('the LSO stops at the first open transaction and moves on as markers end them, in any order', async () => {
  const p = new Partition('t', 0, new MemoryLog());
  const a = producer(A);
  const b = producer(B);
  await p.append(await buildBatch([{ key: null, value: Buffer.from('plain'), timestamp: 1 }]), null); // offset 0
  assert.equal(p.lastStableOffset, 1);
  await p.append(await a.batch(2), null); // 1-2, A opens at 1
  await p.append(await b.batch(3), null); // 3-5, B opens at 3
  await p.append(await a.batch(1), null); // 6
  assert.equal(p.highWatermark, 7);
  assert.equal(p.lastStableOffset, 1);
  // B ends first: A still holds the LSO.
  assert.deepEqual(await p.appendTxnMarker(marker(B, ControlType.COMMIT)), { offset: 7 });
  assert.equal(p.lastStableOffset, 1);
  assert.deepEqual(await p.appendTxnMarker(marker(A, ControlType.ABORT)), { offset: 8 });
  assert.equal(p.lastStableOffset, 9);
  // A new transaction of A opens at its next batch.
  await p.append(await a.batch(1), null);
  assert.equal(p.lastStableOffset, 9);
  assert.equal(p.highWatermark, 10);
  // A marker for a producer with nothing open is written and ends nothing.
  assert.deepEqual(await p.appendTxnMarker(marker(B, ControlType.ABORT)), { offset: 10 });
  assert.equal(p.lastStableOffset, 9);
  // Only A's abort is indexed: B's marker ended no transaction. Its LSO is the marker's next offset (nothing else open).
  assert.deepEqual(await p.log.collectAbortedTxns(0, 11), [{ producerId: A, firstOffset: 1, lastOffset: 8, lastStableOffset: 9 }]);
});

test('read_committed reads stop at the LSO and name the aborted transactions overlapping them', async () => {
  const p = new Partition('t', 0, new MemoryLog());
  const a = producer(A);
  const b = producer(B);
  await p.append(await a.batch(2), null); // 0-1, A opens at 0
  await p.append(await b.batch(2), null); // 2-3, B opens at 2
  await p.appendTxnMarker(marker(A, ControlType.ABORT)); // 4
  assert.equal(p.lastStableOffset, 2);
  let read = await p.read(0, 1 << 20, READ_COMMITTED, true);
  assert.deepEqual([...batchesIn(read.records)].map((v) => Number(v.baseOffset)), [0]);
  assert.deepEqual(read.abortedTransactions, [{ producerId: A, firstOffset: 0, lastOffset: 4, lastStableOffset: 2 }]);
  assert.equal(read.lastStableOffset, 2);
  // read_uncommitted sees everything and gets no aborted list.
  const all = await p.read(0, 1 << 20, READ_UNCOMMITTED, true);
  assert.deepEqual([...batchesIn(all.records)].map((v) => Number(v.baseOffset)), [0, 2, 4]);
  assert.equal(all.abortedTransactions, undefined);
  await p.appendTxnMarker(marker(B, ControlType.COMMIT)); // 5
  read = await p.read(2, 1 << 20, READ_COMMITTED, true);
  assert.deepEqual([...batchesIn(read.records)].map((v) => Number(v.baseOffset)), [2, 4, 5]);
  assert.deepEqual(read.abortedTransactions?.map((t) => t.producerId), [A], 'A aborted at 4 overlaps a read from 2');
  read = await p.read(5, 1 << 20, READ_COMMITTED, true);
  assert.deepEqual(read.abortedTransactions, []);
  // The marker batch is the broker's: control, transactional, sequence -1, key and value as Kafka's.
  const [control] = [...batchesIn(read.records)];
  assert.ok(control.isControl && control.isTransactional);
  assert.equal(control.baseSequence, -1);
  assert.equal(control.producerId, B);
  assert.deepEqual(await readMarker(control), { type: ControlType.COMMIT, coordinatorEpoch: 0 });
});

test('markers of an older producer epoch or coordinator epoch are refused; a newer epoch restarts sequences', async () => {
  const p = new Partition('t', 0, new MemoryLog());
  await p.append(await producer(A, 3).batch(1), null);
  await assert.rejects(p.appendTxnMarker(marker(A, ControlType.ABORT, 2, 0)), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.INVALID_PRODUCER_EPOCH);
  await p.appendTxnMarker(marker(A, ControlType.ABORT, 3, 5));
  await assert.rejects(p.appendTxnMarker(marker(A, ControlType.COMMIT, 3, 4)), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.TRANSACTION_COORDINATOR_FENCED);
  // The coordinator bumped the epoch with its abort (InitProducerId fencing): sequence 0 of epoch 4 goes in, epoch 3 is fenced.
  await p.appendTxnMarker(marker(A, ControlType.ABORT, 4, 5));
  assert.equal((await p.append(await producer(A, 4).batch(1), null)).baseOffset, 3);
  await assert.rejects(p.append(await producer(A, 3).batch(1), null), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.INVALID_PRODUCER_EPOCH);
  // A non-transactional batch inside an open transaction is INVALID_TXN_STATE, as in Kafka.
  const a4 = producer(A, 4);
  await a4.batch(1);
  await assert.rejects(p.append(await a4.batch(1, false), null), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.INVALID_TXN_STATE);
  assert.equal(p.log.logEndOffset, 4);
});

test('truncation takes back markers and index entries: the transaction is open again', async () => {
  const fs = await disk(1);
  const { manager, partition: p } = await openPartition(fs);
  const a = producer(A);
  await p.append(await a.batch(2), null); // 0-1
  await p.appendTxnMarker(marker(A, ControlType.ABORT)); // 2
  assert.equal(p.lastStableOffset, 3);
  await p.truncateTo(2);
  assert.equal(p.logEndOffset, 2);
  assert.equal(p.lastStableOffset, 0);
  assert.deepEqual(await p.log.collectAbortedTxns(0, 10), []);
  assert.ok(!fs.list('/data/t-0').some((f) => f.endsWith('.txnindex')), 'an emptied index file is removed');
  await p.appendTxnMarker(marker(A, ControlType.COMMIT)); // 2 again, a commit this time
  assert.equal(p.lastStableOffset, 3);
  assert.deepEqual(await p.log.collectAbortedTxns(0, 10), []);
  await manager.close();
});

test('a restart keeps open transactions (snapshot current_txn_first_offset, then the log) and the index', async () => {
  const fs = await disk(2);
  let { manager, partition: p } = await openPartition(fs);
  const a = producer(A);
  const b = producer(B);
  // Enough to roll segments: each roll snapshots with A's transaction open.
  for (let i = 0; i < 6; i++) await p.append(await a.batch(3), null);
  await p.append(await b.batch(1), null);
  await p.appendTxnMarker(marker(B, ControlType.ABORT));
  const end = p.logEndOffset;
  assert.equal(p.lastStableOffset, 0);
  await p.saveProducers();
  await manager.close();
  const snap = decodeSnapshot((await fs.readFile(`/data/t-0/${snapshotFileName(end)}`)) as Buffer);
  assert.deepEqual(snap?.map((e) => [e.producerId, e.currentTxnFirstOffset]), [[A, 0], [B, -1]]);
  ({ manager, partition: p } = await openPartition(fs));
  assert.equal(p.lastStableOffset, 0, 'A is still open after a clean restart');
  assert.deepEqual((await p.log.collectAbortedTxns(0, end)).map((t) => [t.producerId, t.firstOffset, t.lastOffset]), [[B, 18, 19]]);
  await p.appendTxnMarker(marker(A, ControlType.COMMIT));
  assert.equal(p.lastStableOffset, p.logEndOffset);
  await manager.close();
});

test('after a power cut the LSO and the aborted-transaction index are rebuilt from the log, whatever was lost', async () => {
  for (let seed = 1; seed <= 12; seed++) {
    const fs = await disk(seed);
    const { partition: p } = await openPartition(fs);
    const a = producer(A);
    const b = producer(B);
    for (let i = 0; i < 4; i++) await p.append(await a.batch(3), null); // 0-11, rolls
    await p.append(await b.batch(2), null); // 12-13
    await p.appendTxnMarker(marker(A, ControlType.ABORT)); // 14
    await p.append(await a.batch(1), null); // 15, A's next transaction
    // The crash may drop the index entry's file name or bytes though the marker is durable: simulate the worst by removing it.
    const image = fs.afterCrash(seed + 3);
    if (seed % 2 === 0) for (const f of image.list('/data/t-0')) if (f.endsWith('.txnindex')) await image.unlink(f);
    const after = await openPartition(image);
    const q = after.partition;
    assert.ok(image.list('/data/t-0').some((f) => f.endsWith('.txnindex')), `seed ${seed}: the index entry is there again`);
    assert.equal(q.logEndOffset, 16, `seed ${seed}`);
    assert.equal(q.lastStableOffset, 12, `seed ${seed}: B at 12 is open, A's abort is done, A's next opens at 15`);
    assert.deepEqual(await q.log.collectAbortedTxns(0, 16), [{ producerId: A, firstOffset: 0, lastOffset: 14, lastStableOffset: 12 }], `seed ${seed}`);
    await q.appendTxnMarker(marker(B, ControlType.COMMIT));
    assert.equal(q.lastStableOffset, 15, `seed ${seed}`);
    await after.manager.close();
  }
});

test('a follower copying batches and markers keeps the same open transactions and aborted index as its leader', async () => {
  const leader = new Partition('t', 0, new MemoryLog());
  const a = producer(A);
  const b = producer(B);
  await leader.append(await a.batch(2), null); // 0-1
  await leader.append(await b.batch(1), null); // 2
  await leader.appendTxnMarker(marker(A, ControlType.ABORT)); // 3
  await leader.append(await a.batch(1), null); // 4, A again
  const fs = await disk(9);
  const { manager, partition: follower } = await openPartition(fs);
  follower.applyState({ leader: 2, leaderEpoch: 1, isr: [1, 2], replicas: [1, 2], partitionEpoch: 1 }, 1, 1);
  await follower.appendReplicated((await leader.readForReplica(0, 1 << 20, true)).records, leader.highWatermark);
  assert.equal(follower.logEndOffset, 5);
  assert.deepEqual(await follower.log.collectAbortedTxns(0, 5), await leader.log.collectAbortedTxns(0, 5));
  // The follower's LSO matches the leader's: B (2) is open, A's second transaction (4) too.
  assert.equal(follower.lastStableOffset, leader.lastStableOffset);
  assert.equal(follower.lastStableOffset, 2);
  await follower.saveProducers(); // as the broker's shutdown does
  await manager.close();
  // Its state survives a restart as the leader's would.
  const again = await openPartition(fs);
  assert.equal(again.partition.lastStableOffset, 2);
  assert.equal((await again.partition.log.collectAbortedTxns(0, 5)).length, 1);
  await again.manager.close();
});

test('a power cut at any file call of an ABORT marker leaves either no marker and the transaction open, or both marker and index entry', async () => {
  let cutBefore = 0;
  let cutAfter = 0;
  for (let n = 1; ; n++) {
    const fs = await disk(100 + n);
    const { partition: p } = await openPartition(fs);
    const a = producer(A);
    await p.append(await a.batch(2), null); // 0-1
    await p.append(await producer(B).batch(1), null); // 2, B stays open
    fs.crashAt(n);
    const acked = await p.appendTxnMarker(marker(A, ControlType.ABORT)).then(
      () => true,
      () => false,
    );
    if (!fs.crashed) {
      // The whole marker append took fewer than n calls: every cut point was tried.
      assert.ok(acked);
      break;
    }
    const image = fs.afterCrash(n);
    const { manager, partition: q } = await openPartition(image);
    const entries = await q.log.collectAbortedTxns(0, 10);
    if (q.logEndOffset === 3) {
      cutBefore++;
      assert.ok(!acked, `cut ${n}: an acknowledged marker is never lost`);
      assert.deepEqual(entries, [], `cut ${n}`);
      assert.equal(q.lastStableOffset, 0, `cut ${n}: A is open again`);
    } else {
      cutAfter++;
      assert.equal(q.logEndOffset, 4, `cut ${n}`);
      assert.deepEqual(entries, [{ producerId: A, firstOffset: 0, lastOffset: 3, lastStableOffset: 2 }], `cut ${n}: the marker's entry is there (written or rebuilt)`);
      assert.equal(q.lastStableOffset, 2, `cut ${n}: only B holds the LSO`);
    }
    await manager.close();
  }
  assert.ok(cutBefore > 0 && cutAfter > 0, `both outcomes seen (${cutBefore} before, ${cutAfter} after)`);
});

test('a producer known only by its markers keeps fencing across a restart (a snapshot entry without a sequence)', async () => {
  const fs = await disk(7);
  let { manager, partition: p } = await openPartition(fs);
  await p.appendTxnMarker(marker(A, ControlType.ABORT, 4, 9));
  await p.saveProducers();
  await manager.close();
  ({ manager, partition: p } = await openPartition(fs));
  await assert.rejects(p.appendTxnMarker(marker(A, ControlType.ABORT, 4, 8)), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.TRANSACTION_COORDINATOR_FENCED);
  await assert.rejects(p.appendTxnMarker(marker(A, ControlType.ABORT, 3, 9)), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.INVALID_PRODUCER_EPOCH);
  // Its epoch-4 producer starts at sequence 0.
  assert.equal((await p.append(await producer(A, 4).batch(1), null)).baseOffset, 1);
  await manager.close();
});
