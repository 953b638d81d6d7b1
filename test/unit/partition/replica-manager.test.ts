// The replica manager's side of topic changes, over real disk logs: partitions that exist are never
// rebuilt, a deletion refuses appends from its start, and a failed creation leaves nothing behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { ReplicaManager, type PartitionLogStore } from '../../../src/partition/replica-manager.js';
import { LogManager } from '../../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG } from '../../../src/storage/log.js';
import { ManualScheduler } from '../../../src/coordinator/scheduler.js';
import { KafkaError, ErrorCode } from '../../../src/protocol/error-codes.js';
import type { TopicRecord } from '../../../src/metadata/local-store.js';
import { batch, tempDir } from '../../helpers/storage.js';

const TOPIC: TopicRecord = { name: 'rm', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', partitions: 2, configs: {} };

function diskStore(manager: LogManager, failAt?: number): PartitionLogStore {
  return {
    open: async (topic, partition, create) => {
      if (partition === failAt) throw new Error(`injected failure opening ${topic.name}-${partition}`);
      return manager.openLog(topic.name, partition, DEFAULT_LOG_CONFIG, { topicId: topic.topicId, create });
    },
    syncCreated: () => manager.syncCreated(),
    remove: (topic, partitions) => manager.deleteLogs(topic.name, partitions),
    setAsideUnowned: async () => {},
    reconfigure: () => {},
  };
}

async function liveDirs(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => /^rm-\d+$/.test(n)).sort();
}

test('creating partitions keeps the ones that exist (their state stays) and adds the missing ones', async () => {
  const { dir, cleanup } = await tempDir();
  const manager = await LogManager.open(dir, { scheduler: new ManualScheduler() });
  try {
    const replicas = new ReplicaManager(diskStore(manager));
    await replicas.createPartitions(TOPIC, [0, 1]);
    const first = replicas.get('rm', 0);
    await first?.append(await batch('a', 2, 1000), null);
    await replicas.createPartitions(TOPIC, [0, 1, 2, 3]);
    assert.equal(replicas.get('rm', 0), first);
    assert.equal(replicas.get('rm', 0)?.highWatermark, 2);
    assert.deepEqual([2, 3].map((p) => replicas.get('rm', p)?.logEndOffset), [0, 0]);
    assert.deepEqual(await liveDirs(dir), ['rm-0', 'rm-1', 'rm-2', 'rm-3']);
  } finally {
    await manager.close();
    await cleanup();
  }
});

test('once a topic deletion starts, appends to its partitions are refused with NOT_LEADER_OR_FOLLOWER', async () => {
  const { dir, cleanup } = await tempDir();
  const manager = await LogManager.open(dir, { scheduler: new ManualScheduler() });
  try {
    const replicas = new ReplicaManager(diskStore(manager));
    await replicas.createPartitions(TOPIC, [0, 1]);
    const partition = replicas.get('rm', 1);
    assert.ok(partition);
    const late = await batch('late', 1, 1000);
    const deleting = replicas.deleteTopic(TOPIC);
    const outcome = await partition.append(late, null).then(
      () => 'appended',
      (err: unknown) => (err instanceof KafkaError ? err.code : String(err)),
    );
    await deleting;
    assert.equal(outcome, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    assert.equal(replicas.get('rm', 1), undefined);
    assert.deepEqual(await liveDirs(dir), []);
  } finally {
    await manager.close();
    await cleanup();
  }
});

test('an append already under way when its topic is deleted is refused with NOT_LEADER_OR_FOLLOWER, and no log goes offline', async () => {
  const { dir, cleanup } = await tempDir();
  const offline: string[] = [];
  const manager = await LogManager.open(dir, { scheduler: new ManualScheduler(), onOffline: (topic, partition) => offline.push(`${topic}-${partition}`) });
  try {
    const replicas = new ReplicaManager(diskStore(manager));
    await replicas.createPartitions(TOPIC, [0, 1]);
    const partition = replicas.get('rm', 0);
    assert.ok(partition);
    await partition.append(await batch('kept', 1, 1000), null);
    const late = await batch('late', 1, 1000);
    // Started first: it passes the partition's check and waits in its log's write queue.
    const appending = partition.append(late, null).then(
      () => 'appended',
      (err: unknown) => (err instanceof KafkaError ? err.code : String(err)),
    );
    await replicas.deleteTopic(TOPIC);
    assert.equal(await appending, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    assert.deepEqual(offline, []);
    assert.deepEqual(await liveDirs(dir), []);
  } finally {
    await manager.close();
    await cleanup();
  }
});

test('a creation that fails part way removes the partitions it opened and publishes none', async () => {
  const { dir, cleanup } = await tempDir();
  const manager = await LogManager.open(dir, { scheduler: new ManualScheduler() });
  try {
    const replicas = new ReplicaManager(diskStore(manager, 5));
    await assert.rejects(replicas.createPartitions({ ...TOPIC, partitions: 8 }, [0, 1, 2, 3, 4, 5, 6, 7]), /injected failure opening rm-5/);
    assert.deepEqual(Array.from({ length: 8 }, (_, p) => replicas.get('rm', p)), Array<undefined>(8).fill(undefined));
    assert.deepEqual(await liveDirs(dir), []);
  } finally {
    await manager.close();
    await cleanup();
  }
});
