// Transactional offset commits on the real partition layer: the coordinator's transactional batch
// (producer id and epoch, no sequence) is accepted by Partition.append on __consumer_offsets and
// opens the producer's transaction there (the LSO stops at it), the marker Partition.appendTxnMarker
// writes ends it (an abort lands in the aborted-transaction index), and the replay of the same
// partition, through ConsumerOffsetsTopic, reads the batches and markers back. A clean restart on
// a simulated disk keeps the transaction open across two snapshots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualScheduler } from '../../../src/coordinator/scheduler.js';
import { GroupCoordinator, type CoordinatorConfig, type TxnOffsetCommit } from '../../../src/coordinator/group/coordinator.js';
import { ConsumerOffsetsTopic, type OffsetsPartition } from '../../../src/coordinator/group/offsets-topic.js';
import { Partition, READ_COMMITTED } from '../../../src/partition/partition.js';
import { MemoryLog } from '../../../src/storage/memory-log.js';
import { LogManager } from '../../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG } from '../../../src/storage/log.js';
import { batchesIn } from '../../../src/protocol/records/batch-records.js';
import { ControlType } from '../../../src/protocol/records/control-record.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';
import { SimFileSystem } from '../../helpers/sim-fs.js';

const CONFIG: CoordinatorConfig = { minSessionTimeoutMs: 1000, maxSessionTimeoutMs: 60_000, initialRebalanceDelayMs: 0, maxSize: 100, offsetMetadataMaxBytes: 64, offsetsRetentionMs: 600_000 };
const PID = 4242n;

/** The broker's adapter (src/broker/groups.ts) without the wait for replicas: a lone leader. */
function offsetsPartition(p: Partition): OffsetsPartition {
  return {
    get logStartOffset() {
      return p.logStartOffset;
    },
    get highWatermark() {
      return p.acknowledgedEnd;
    },
    append: async (batch) => (await p.append(batch, null)).baseOffset,
    read: async (offset, maxBytes) => (await p.readForReplica(offset, maxBytes, true)).records,
  };
}

async function coordinatorOn(p: Partition): Promise<GroupCoordinator> {
  const c = new GroupCoordinator(new ManualScheduler(), CONFIG, new ConsumerOffsetsTopic([offsetsPartition(p)], () => 1_000));
  await c.load();
  return c;
}

const txn = (producerEpoch: number, entries: [number, bigint][]): TxnOffsetCommit => ({
  groupId: 'g',
  transactionalId: 'tx',
  producerId: PID,
  producerEpoch,
  memberId: '',
  groupInstanceId: null,
  generationId: -1,
  entries: entries.map(([partition, committedOffset]) => ({ topic: 't', partition, committedOffset, committedLeaderEpoch: 0, metadata: null })),
});

/** What the broker does at WriteTxnMarkers: the marker, then the coordinator hears of it. */
async function endTxn(p: Partition, c: GroupCoordinator, committed: boolean, producerEpoch = 0): Promise<number> {
  const { offset } = await p.appendTxnMarker({ producerId: PID, producerEpoch, coordinatorEpoch: 0, type: committed ? ControlType.COMMIT : ControlType.ABORT });
  c.completeTransaction(0, PID, committed, offset);
  return offset;
}

test('the transactional batch is accepted on __consumer_offsets, holds its LSO until the marker, and replays with it', async () => {
  const p = new Partition('__consumer_offsets', 0, new MemoryLog());
  const c = await coordinatorOn(p);
  assert.deepEqual(await c.commitOffsets('g', '', null, -1, [{ topic: 't', partition: 0, offset: 1n, leaderEpoch: 0, metadata: null }], -1), [0]);
  assert.deepEqual(await c.commitTransactionalOffsets(txn(0, [[0, 10n], [1, 11n]])), [0, 0]);
  // A second commit of the same transaction: no sequence, so neither a "duplicate" nor out of order.
  assert.deepEqual(await c.commitTransactionalOffsets(txn(0, [[0, 12n], [1, 11n]])), [0, 0]);
  const [, first, second] = [...batchesIn((await p.readForReplica(0, 1 << 20, true)).records)];
  assert.deepEqual([first.isTransactional, first.producerId, first.producerEpoch, first.baseSequence], [true, PID, 0, -1]);
  assert.equal(second.baseOffset, 3n);
  assert.equal(p.lastStableOffset, 1, 'the open transaction holds the LSO at its first batch');
  assert.equal(c.offsets.get('g', 't', 0)?.offset, 1n);

  const commitAt = await endTxn(p, c, true);
  assert.equal(commitAt, 5);
  assert.equal(p.lastStableOffset, 6);
  assert.deepEqual([c.offsets.get('g', 't', 0)?.offset, c.offsets.get('g', 't', 1)?.offset], [12n, 11n]);

  // The next transaction of the producer aborts: the index learns it, the offsets stay.
  assert.deepEqual(await c.commitTransactionalOffsets(txn(0, [[0, 99n]])), [0]);
  await endTxn(p, c, false);
  assert.equal(c.offsets.get('g', 't', 0)?.offset, 12n);
  const read = await p.read(0, 1 << 20, READ_COMMITTED, true);
  assert.deepEqual(read.abortedTransactions?.map((t) => [t.producerId, t.firstOffset]), [[PID, 6]]);

  // And a third is still open when the coordinator restarts on the same log.
  assert.deepEqual(await c.commitTransactionalOffsets(txn(0, [[1, 30n]])), [0]);
  await c.close();
  const again = await coordinatorOn(p);
  assert.deepEqual([again.offsets.get('g', 't', 0)?.offset, again.offsets.get('g', 't', 1)?.offset], [12n, 11n]);
  assert.equal(again.hasPendingOffsets('g', 't', 1), true);
  await endTxn(p, again, true);
  assert.equal(again.offsets.get('g', 't', 1)?.offset, 30n);
  assert.equal(p.lastStableOffset, p.highWatermark);
  await again.close();
});

test('a commit with an older producer epoch than a marker of the producer is refused by the partition: INVALID_PRODUCER_EPOCH', async () => {
  const p = new Partition('__consumer_offsets', 0, new MemoryLog());
  const c = await coordinatorOn(p);
  assert.deepEqual(await c.commitTransactionalOffsets(txn(0, [[0, 5n]])), [0]);
  // The transaction coordinator fenced epoch 0 and aborted its transaction with epoch 1.
  await endTxn(p, c, false, 1);
  assert.deepEqual(await c.commitTransactionalOffsets(txn(0, [[0, 6n], [1, 6n]])), [ErrorCode.INVALID_PRODUCER_EPOCH, ErrorCode.INVALID_PRODUCER_EPOCH]);
  assert.equal(c.hasPendingOffsets('g', 't', 0), false);
  assert.deepEqual(await c.commitTransactionalOffsets(txn(1, [[0, 7n]])), [0], 'the new epoch commits');
  await endTxn(p, c, true, 1);
  assert.equal(c.offsets.get('g', 't', 0)?.offset, 7n);
  await c.close();
});

test('an open transactional commit survives two clean restarts of the partition: it still holds the LSO and its marker still ends it', async () => {
  const fs = new SimFileSystem({ seed: 11 });
  await fs.mkdir('/data');
  await fs.syncDir('/');
  const open = async () => {
    const manager = await LogManager.open('/data', { fs });
    const partition = new Partition('__consumer_offsets', 0, await manager.openLog('__consumer_offsets', 0, DEFAULT_LOG_CONFIG));
    await partition.restoreProducers();
    return { manager, partition };
  };
  let { manager, partition } = await open();
  let c = await coordinatorOn(partition);
  await c.commitOffsets('g', '', null, -1, [{ topic: 't', partition: 0, offset: 1n, leaderEpoch: 0, metadata: null }], -1);
  assert.deepEqual(await c.commitTransactionalOffsets(txn(0, [[0, 10n]])), [0]);
  for (let restart = 1; restart <= 2; restart++) {
    await c.close();
    await partition.saveProducers();
    await manager.close();
    ({ manager, partition } = await open());
    assert.equal(partition.lastStableOffset, 1, `after restart ${restart} the transaction is still open`);
    c = await coordinatorOn(partition);
    assert.equal(c.hasPendingOffsets('g', 't', 0), true);
  }
  await endTxn(partition, c, true);
  assert.equal(c.offsets.get('g', 't', 0)?.offset, 10n);
  assert.equal(partition.lastStableOffset, partition.highWatermark);
  await c.close();
  await manager.close();
});
