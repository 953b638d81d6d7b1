// A follower's truncation through its Partition: the high watermark falls to the new end and the
// idempotent producers' state is rebuilt from what is left, also on a disk log reopened after a
// clean shutdown, whose snapshot at the old end the truncation removed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Partition } from '../../../src/partition/partition.js';
import { MemoryLog } from '../../../src/storage/memory-log.js';
import type { PartitionLog } from '../../../src/storage/partition-log.js';
import { buildBatch } from '../../../src/protocol/records/batch-records.js';
import { ErrorCode, KafkaError } from '../../../src/protocol/error-codes.js';
import { snapshotFileName } from '../../../src/partition/producer-snapshot.js';
import { openLog, tempDir } from '../../helpers/storage.js';

const PID = 77n;

function idempotent(seq: number): Promise<Buffer> {
  return buildBatch([0, 1].map((i) => ({ key: null, value: Buffer.from(`seq ${seq + i}`), timestamp: Date.now() })), { producerId: PID, producerEpoch: 0, baseSequence: seq });
}

/** A partition whose log holds three batches of one producer (sequences 0, 2, 4 at offsets 0, 2, 4). */
async function withProducerLog(kind: 'memory' | 'disk', dir: string): Promise<{ partition: Partition; log: PartitionLog }> {
  if (kind === 'memory') {
    const log = new MemoryLog();
    const partition = new Partition('t', 0, log);
    await partition.restoreProducers();
    for (const seq of [0, 2, 4]) await partition.append(await idempotent(seq), null);
    return { partition, log };
  }
  const first = await openLog(dir);
  const writer = new Partition('t', 0, first);
  await writer.restoreProducers();
  for (const seq of [0, 2, 4]) await writer.append(await idempotent(seq), null);
  await writer.saveProducers();
  await first.close();
  // Reopened clean: the snapshot at the end (6) is what restores the producers.
  const log = await openLog(dir, {}, { clean: true, recoveryPoint: 6 });
  const partition = new Partition('t', 0, log);
  await partition.restoreProducers();
  return { partition, log };
}

for (const kind of ['memory', 'disk'] as const) {
  test(`${kind} log: Partition.truncateTo lowers the high watermark and rebuilds the producers from the log that is left`, async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const { partition, log } = await withProducerLog(kind, dir);
      assert.equal(partition.highWatermark, 6);
      if (kind === 'disk') assert.ok((await log.listSidecars()).includes(snapshotFileName(6)));
      await partition.truncateTo(4);
      assert.equal(partition.logEndOffset, 4);
      assert.equal(partition.highWatermark, 4);
      assert.ok(!(await log.listSidecars()).includes(snapshotFileName(6)), 'the snapshot past the cut is gone');
      // The batch at 2 survived: its retry is still a duplicate. The one at 4 is gone: sequence 4 is next.
      assert.deepEqual(await partition.append(await idempotent(2), null), { baseOffset: 2, duplicate: true });
      const skipped = await partition.append(await idempotent(6), null).catch((e: unknown) => e);
      assert.ok(skipped instanceof KafkaError && skipped.code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, String(skipped));
      assert.deepEqual(await partition.append(await idempotent(4), null), { baseOffset: 4, duplicate: false });
      await partition.truncateFullyAndStartAt(50);
      assert.equal(partition.logStartOffset, 50);
      assert.equal(partition.highWatermark, 50);
      // Nothing of the producer is left: its next batch starts it afresh.
      assert.deepEqual(await partition.append(await idempotent(6), null), { baseOffset: 50, duplicate: false });
      await log.close();
    } finally {
      await cleanup();
    }
  });
}
