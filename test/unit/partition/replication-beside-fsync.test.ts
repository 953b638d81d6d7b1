// A leader lets its followers copy what it has written while its own fsync is still running, so
// replication and the leader's fsync overlap instead of following each other; the high watermark
// still waits for both. The simulated file system holds the leader's fdatasync to show the states
// in between, by order, never by timing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Partition, type PartitionContext } from '../../../src/partition/partition.js';
import { LogManager } from '../../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG } from '../../../src/storage/log-config.js';
import { SimFileSystem } from '../../helpers/sim-fs.js';
import { holdCall } from '../../helpers/compaction.js';
import { batch } from '../../helpers/storage.js';
import { batchesIn } from '../../../src/protocol/records/batch-records.js';

const ME = 1;

test('followers copy batches the leader has written but not yet fsynced; the high watermark waits for the fsync', async () => {
  const fs = new SimFileSystem({ seed: 4242 });
  await fs.mkdir('/data');
  await fs.syncDir('/');
  const manager = await LogManager.open('/data', { fs, cleaner: { enabled: false } });
  const log = await manager.openLog('t', 0, { ...DEFAULT_LOG_CONFIG, flushMessages: 1 });
  const context: PartitionContext = {
    now: () => 10_000,
    producerIdExpirationMs: () => 86_400_000,
    onBackgroundError: (what, err) => assert.fail(`${what}: ${String(err)}`),
    proposeState: async (_p, expected) => ({ ok: true, version: expected + 1 }),
  };
  const partition = new Partition('t', 0, log, context);
  partition.applyState({ replicas: [1, 2], isr: [1, 2], leader: ME, leaderEpoch: 1, partitionEpoch: 1 }, 10, ME);

  const fsync = holdCall(fs, (call, path) => call === 'datasync' && path.endsWith('.log'));
  const appended = partition.append(await batch('a', 3, 1000), null);
  await fsync.reached;
  assert.equal(partition.acknowledgedEnd, 0, 'not fsynced: not acknowledged');
  assert.equal(partition.replicaEnd, 3, 'written: a follower may copy it');
  const copied = await partition.readForReplica(0, 1 << 20, true);
  assert.deepEqual([...batchesIn(copied.records)].map((b) => [Number(b.baseOffset), b.lastOffsetDelta + 1]), [[0, 3]]);
  const consumed = await partition.read(0, 1 << 20, 0, true);
  assert.equal(consumed.records.length, 0, 'consumers see nothing above the high watermark');

  partition.recordFollowerFetch(2, 3);
  assert.equal(partition.highWatermark, 0, 'the follower holds it, but the leader has not fsynced it');

  fsync.release();
  assert.equal((await appended).baseOffset, 0);
  assert.equal(partition.acknowledgedEnd, 3);
  assert.equal(partition.highWatermark, 3, 'fsynced here and copied there: committed');
  await manager.close();
});
