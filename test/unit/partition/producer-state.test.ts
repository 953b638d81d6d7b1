/**
 * Idempotent producer state across restarts and failures: rebuilt from a snapshot plus the log
 * after it (also after a power cut, on the simulated file system), never advanced by a failed
 * append, forgotten after producer.id.expiration.ms, and Kafka's snapshot file format.
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { SimFileSystem, SimulatedCrash } from '../../helpers/sim-fs.js';
import { LogManager } from '../../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../../src/storage/log.js';
import { Partition, type PartitionContext } from '../../../src/partition/partition.js';
import { buildBatch } from '../../../src/protocol/records/batch-records.js';
import { ErrorCode, KafkaError } from '../../../src/protocol/error-codes.js';
import { decodeSnapshot, encodeSnapshot, snapshotFileName } from '../../../src/partition/producer-snapshot.js';

const PID = 4242n;
const CONFIG: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytes: 600 };

/** Background failures other than the simulated power cut itself; every test ends with none. */
const backgroundErrors: string[] = [];

function context(now: { t: number }, expirationMs = 86_400_000): PartitionContext {
  return {
    now: () => now.t,
    producerIdExpirationMs: () => expirationMs,
    onBackgroundError: (what, err) => {
      if (!(err instanceof SimulatedCrash)) backgroundErrors.push(`${what}: ${String(err)}`);
    },
  };
}

afterEach(() => assert.deepEqual(backgroundErrors.splice(0), []));

function idempotent(seq: number, epoch = 0, records = 2, timestamp = 1_000): Promise<Buffer> {
  return buildBatch(
    Array.from({ length: records }, (_, i) => ({ key: null, value: Buffer.from(`s${seq}-${i}`.padEnd(40, '.')), timestamp })),
    { producerId: PID, producerEpoch: epoch, baseSequence: seq },
  );
}

async function disk(seed: number): Promise<SimFileSystem> {
  const fs = new SimFileSystem({ seed });
  await fs.mkdir('/data');
  await fs.syncDir('/');
  return fs;
}

async function openPartition(fs: SimFileSystem, now: { t: number }, expirationMs?: number): Promise<{ manager: LogManager; partition: Partition }> {
  const manager = await LogManager.open('/data', { fs });
  const partition = new Partition('t', 0, await manager.openLog('t', 0, CONFIG), context(now, expirationMs));
  await partition.restoreProducers();
  return { manager, partition };
}

const seqOf = (i: number) => i * 2;

test('after a power cut the producer state is rebuilt from the last snapshot and the log after it', async () => {
  for (let seed = 1; seed <= 20; seed++) {
    const now = { t: 5_000 };
    const fs = await disk(seed);
    const { partition } = await openPartition(fs, now);
    const offsets: number[] = [];
    // Enough batches to roll several segments (each roll writes a snapshot), then a tail after it.
    for (let i = 0; i < 25; i++) offsets.push((await partition.append(await idempotent(seqOf(i)), null)).baseOffset);
    assert.ok(partition.log.logEndOffset === 50);
    const after = await openPartition(fs.afterCrash(seed + 7), now);
    const p = after.partition;
    assert.equal(p.logEndOffset, 50, `seed ${seed}: acknowledged data survives`);
    // The last batch retried: recognised, answered with its offset, stored once.
    assert.deepEqual(await p.append(await idempotent(seqOf(24)), null), { baseOffset: offsets[24], duplicate: true }, `seed ${seed}`);
    // A gap is refused; the next sequence is appended.
    await assert.rejects(p.append(await idempotent(seqOf(27)), null), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert.deepEqual(await p.append(await idempotent(seqOf(25)), null), { baseOffset: 50, duplicate: false });
    await after.manager.close();
  }
});

test('a clean shutdown snapshot at the log end is used without scanning; a clean log without one has no producers', async () => {
  const now = { t: 5_000 };
  const fs = await disk(3);
  let { manager, partition } = await openPartition(fs, now);
  for (let i = 0; i < 3; i++) await partition.append(await idempotent(seqOf(i)), null);
  await partition.saveProducers();
  await manager.close();
  ({ manager, partition } = await openPartition(fs, now));
  assert.deepEqual(await partition.append(await idempotent(seqOf(2)), null), { baseOffset: 4, duplicate: true });
  await manager.close();
  const names = fs.list('/data/t-0').map((p) => p.split('/').pop());
  assert.ok(names.includes(snapshotFileName(6)), `a snapshot at the log end: ${names.join(' ')}`);
});

test('a failed append does not advance the sequence: the retry is appended, not taken for a duplicate', async () => {
  const now = { t: 5_000 };
  const fs = await disk(4);
  const { manager, partition } = await openPartition(fs, now);
  assert.equal((await partition.append(await idempotent(0), null)).baseOffset, 0);
  fs.failWhen = (call) => (call === 'writev' ? 'EIO' : null);
  await assert.rejects(partition.append(await idempotent(2), null), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.KAFKA_STORAGE_ERROR);
  // The log is offline now; what matters is that the producer state did not take sequence 2.
  fs.failWhen = null;
  await assert.rejects(partition.append(await idempotent(2), null), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.KAFKA_STORAGE_ERROR);
  await manager.close();
  const after = await openPartition(fs, now);
  assert.deepEqual(await after.partition.append(await idempotent(2), null), { baseOffset: 2, duplicate: false });
  await after.manager.close();
});

test('producers idle for producer.id.expiration.ms are forgotten, in memory and when a snapshot is loaded', async () => {
  const now = { t: 5_000 };
  const fs = await disk(5);
  const { manager, partition } = await openPartition(fs, now, 60_000);
  await partition.append(await idempotent(0, 0, 2, 1_000), null);
  now.t = 30_000;
  assert.equal(partition.expireProducers(), 0);
  await partition.saveProducers();
  now.t = 61_000;
  assert.equal(partition.expireProducers(), 1);
  // Unknown again: any sequence is accepted, as for a producer never seen.
  assert.deepEqual(await partition.append(await idempotent(40), null), { baseOffset: 2, duplicate: false });
  await manager.close();
});

test('snapshot files use Kafka\'s layout and a torn or altered one is refused', () => {
  const entries = [{ producerId: 7n, epoch: 3, lastSequence: 41, lastOffset: 1000, offsetDelta: 4, timestamp: 1_700_000_000_000, coordinatorEpoch: -1, currentTxnFirstOffset: -1 }];
  const bytes = encodeSnapshot(entries);
  assert.equal(bytes.length, 10 + 46);
  assert.equal(bytes.readInt16BE(0), 1);
  assert.equal(bytes.readInt32BE(6), 1);
  assert.equal(bytes.readBigInt64BE(10), 7n);
  assert.deepEqual(decodeSnapshot(bytes), entries);
  const flipped = Buffer.from(bytes);
  flipped[30] ^= 1;
  assert.equal(decodeSnapshot(flipped), null);
  assert.equal(decodeSnapshot(bytes.subarray(0, 40)), null);
  assert.equal(snapshotFileName(50), '00000000000000000050.snapshot');
});
