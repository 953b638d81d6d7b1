// Partition reassignment (KIP-455) on a three-broker cluster on a real etcd: AlterPartitionReassignments
// moves a partition off its leader to a new broker (the new replica copies the records, joins the
// ISR, leadership moves, the removed broker deletes its copy); ListPartitionReassignments shows one
// under way, a cancel reverts it, and one whose new replica was down completes once it returns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import kafkajs from 'kafkajs';
import { startCluster, type RunningCluster } from '../../src/broker/cluster.js';
import { openMetadataStore } from '../../src/broker/metadata.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { askBroker, controllerOf, partitionsOf, waitUntil } from '../helpers/cluster-admin.js';

const { Kafka, logLevel } = kafkajs;

const CONFIG = { 'replica.fetch.wait.max.ms': '100', 'auto.leader.rebalance.enable': 'false', 'controlled.shutdown.retry.backoff.ms': '100' };

interface AlterBody {
  errorCode: number;
  errorMessage: string | null;
  responses: { name: string; partitions: { partitionIndex: number; errorCode: number; errorMessage: string | null }[] }[];
}
interface ListBody {
  errorCode: number;
  topics: { name: string; partitions: { partitionIndex: number; replicas: number[]; addingReplicas: number[]; removingReplicas: number[] }[] }[];
}
interface LogDirsBody {
  results: { topics: { name: string; partitions: { partitionIndex: number; partitionSize: bigint }[] }[] }[];
}

const bootstrapOf = (cluster: RunningCluster, id: number) => (cluster.brokers.get(id) as { bootstrap: string }).bootstrap;

function alter(bootstrap: string, topics: { name: string; partitions: { partitionIndex: number; replicas: number[] | null }[] }[]): Promise<AlterBody> {
  return askBroker<AlterBody>(bootstrap, 45, 0, { timeoutMs: 20_000, topics });
}

function list(bootstrap: string, topics: { name: string; partitionIndexes: number[] }[] | null = null): Promise<ListBody> {
  return askBroker<ListBody>(bootstrap, 46, 0, { timeoutMs: 20_000, topics });
}

const flat = (b: AlterBody) => b.responses.flatMap((t) => t.partitions.map((p) => [t.name, p.partitionIndex, p.errorCode, p.errorMessage]));

async function sizeOn(cluster: RunningCluster, id: number, topic: string): Promise<bigint | null> {
  const body = await askBroker<LogDirsBody>(bootstrapOf(cluster, id), 35, 1, { topics: [{ topic, partitions: [0] }] });
  return body.results[0].topics.find((t) => t.name === topic)?.partitions[0]?.partitionSize ?? null;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

test('AlterPartitionReassignments and ListPartitionReassignments on a three-broker cluster', async (t) => {
  const cluster = await startCluster({ brokers: 3, config: CONFIG });
  const kafka = new Kafka({ brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
  try {
    const created = await askBroker<{ topics: { errorCode: number }[] }>(bootstrapOf(cluster, 1), 19, 7, {
      topics: [{ name: 'moving', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }], configs: [] }],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    assert.deepEqual(created.topics.map((x) => x.errorCode), [0]);
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    for (let i = 0; i < 10; i++) await producer.send({ topic: 'moving', acks: -1, messages: Array.from({ length: 5 }, (_, j) => ({ partition: 0, value: `m${i * 5 + j}` })) });
    await producer.disconnect();
    const controller = await controllerOf(bootstrapOf(cluster, 1));
    const other = [1, 2, 3].find((id) => id !== controller) as number;

    await t.test('a reassignment off the leader: the new replica copies the log, leads, and the old one deletes its copy', async () => {
      const refused = await alter(bootstrapOf(cluster, other), [{ name: 'moving', partitions: [{ partitionIndex: 0, replicas: [3, 2] }] }]);
      assert.deepEqual([refused.errorCode, refused.responses], [ErrorCode.NOT_CONTROLLER, []]);
      const listRefused = await list(bootstrapOf(cluster, other));
      assert.equal(listRefused.errorCode, ErrorCode.NOT_CONTROLLER);

      const answer = await alter(bootstrapOf(cluster, controller), [
        { name: 'moving', partitions: [{ partitionIndex: 0, replicas: [3, 2] }, { partitionIndex: 5, replicas: [1] }] },
        { name: 'nowhere', partitions: [{ partitionIndex: 0, replicas: [1] }] },
      ]);
      assert.equal(answer.errorCode, 0);
      assert.deepEqual(flat(answer), [
        ['moving', 0, 0, null],
        ['moving', 5, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.'],
        ['nowhere', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "Topic 'nowhere' does not exist."],
      ]);
      for (const id of [1, 2, 3]) {
        await waitUntil(`broker ${id} shows the reassignment complete`, async () => {
          const [p] = await partitionsOf(bootstrapOf(cluster, id), 'moving');
          return p.replicas.join() === '3,2' && [...p.isr].sort().join() === '2,3' && p.leader === 3;
        });
      }
      assert.deepEqual((await list(bootstrapOf(cluster, controller))).topics, [], 'nothing under way once complete');
      await waitUntil('broker 1 deleted its copy', async () => !(await exists(join((cluster.brokers.get(1) as { dataDir: string }).dataDir, 'moving-0'))));
      assert.equal(await sizeOn(cluster, 1, 'moving'), null);
      const [s2, s3] = [await sizeOn(cluster, 2, 'moving'), await sizeOn(cluster, 3, 'moving')];
      assert.ok(s2 !== null && s2 > 0n && s3 === s2, `copies on 2 and 3: ${s2} and ${s3} bytes`);
      // The new leader serves every record.
      const seen: string[] = [];
      const consumer = kafka.consumer({ groupId: 'after-move', maxWaitTimeInMs: 100 });
      await consumer.connect();
      await consumer.subscribe({ topics: ['moving'], fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value?.toString() ?? '') });
      await waitUntil('50 records consumed', async () => seen.length >= 50);
      await consumer.disconnect();
      assert.deepEqual(seen, Array.from({ length: 50 }, (_, i) => `m${i}`));
    });

    await t.test('one under way is listed; a cancel reverts it; one whose new replica was down completes when it returns', async () => {
      await cluster.stopBroker(1);
      const now = await controllerOf(bootstrapOf(cluster, 2));
      // AlterPartitionReassignments refuses brokers that are not registered, so the test writes the
      // state of a reassignment started while broker 1 was up (adding 1, removing 2) to the store.
      const store = await openMetadataStore((cluster.brokers.get(2) as { config: Parameters<typeof openMetadataStore>[0] }).config, pino({ level: 'silent' }));
      const stuck = async () => {
        const topic = await store.topic('moving');
        assert.ok(topic);
        const [current] = await store.partitionStates(topic.topicId);
        const s = current.state;
        const written = await store.updatePartitionState(topic.topicId, 0, current.version, { ...s, replicas: [1, 3, 2], addingReplicas: [1], removingReplicas: [2], partitionEpoch: s.partitionEpoch + 1 });
        assert.equal(written.ok, true);
      };
      try {
        await stuck();
        await waitUntil('the controller broker sees it', async () => (await list(bootstrapOf(cluster, now))).topics.length === 1);
        assert.deepEqual((await list(bootstrapOf(cluster, now), [{ name: 'moving', partitionIndexes: [0, 3] }, { name: 'nowhere', partitionIndexes: [0] }])).topics, [
          { name: 'moving', partitions: [{ partitionIndex: 0, replicas: [1, 3, 2], addingReplicas: [1], removingReplicas: [2] }] },
        ]);
        const cancelled = await alter(bootstrapOf(cluster, now), [{ name: 'moving', partitions: [{ partitionIndex: 0, replicas: null }] }]);
        assert.deepEqual(flat(cancelled), [['moving', 0, 0, null]]);
        assert.deepEqual((await list(bootstrapOf(cluster, now))).topics, []);
        const [reverted] = await partitionsOf(bootstrapOf(cluster, now), 'moving');
        assert.deepEqual([reverted.replicas, reverted.leader], [[3, 2], 3]);
        const again = await alter(bootstrapOf(cluster, now), [{ name: 'moving', partitions: [{ partitionIndex: 0, replicas: null }] }]);
        assert.deepEqual(flat(again), [['moving', 0, ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, 'No partition reassignment is in progress.']]);

        await stuck();
        await waitUntil('the controller broker sees it again', async () => (await list(bootstrapOf(cluster, now))).topics.length === 1);
      } finally {
        await store.close();
      }
      await cluster.startBroker(1);
      for (const id of [1, 2, 3]) {
        await waitUntil(`broker ${id} shows replicas 1,3 in sync`, async () => {
          const [p] = await partitionsOf(bootstrapOf(cluster, id), 'moving');
          return p.replicas.join() === '1,3' && [...p.isr].sort().join() === '1,3' && p.leader === 3;
        });
      }
      await waitUntil('broker 2 deleted its copy', async () => !(await exists(join((cluster.brokers.get(2) as { dataDir: string }).dataDir, 'moving-0'))));
      assert.equal(await sizeOn(cluster, 1, 'moving'), await sizeOn(cluster, 3, 'moving'));
      assert.deepEqual((await list(bootstrapOf(cluster, await controllerOf(bootstrapOf(cluster, 1))))).topics, []);
    });
  } finally {
    await cluster.stop();
  }
});
