// Admin APIs on a three-broker cluster on a real etcd. CreateTopics and CreatePartitions with
// explicit replica assignments: kafkajs's replicaAssignment lands as named (replicas in order,
// every replica in the ISR, the first one leading), and the assignments Kafka refuses get Kafka's
// codes and messages. DescribeLogDirs: each broker lists the partitions it holds, copies agree in size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { startCluster } from '../../src/broker/cluster.js';
import { RawClient } from '../helpers/raw-client.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { askBroker, waitUntil } from '../helpers/cluster-admin.js';

const { Kafka, logLevel } = kafkajs;

interface CreateTopicsBody {
  topics: { name: string; errorCode: number; errorMessage: string | null; numPartitions: number; replicationFactor: number }[];
}
interface CreatePartitionsBody {
  results: { name: string; errorCode: number; errorMessage: string | null }[];
}

let correlation = 1;
async function ask<T>(client: RawClient, apiKey: number, version: number, body: unknown): Promise<T> {
  const id = correlation++;
  client.sendRequest(apiKey, version, id, body);
  const answer = await client.response(apiKey, version, 30_000);
  assert.ok(answer, `no answer to api ${apiKey}`);
  assert.equal(answer.correlationId, id);
  return answer.body as T;
}

function createWith(name: string, assignments: { partitionIndex: number; brokerIds: number[] }[], numPartitions = -1, replicationFactor = -1) {
  return { topics: [{ name, numPartitions, replicationFactor, assignments, configs: [] }], timeoutMs: 30_000, validateOnly: false };
}

test('explicit replica assignments in CreateTopics and CreatePartitions on a three-broker cluster', async (t) => {
  // The last broker to stop leads partitions nobody else can take: its controlled shutdown retries, not 3 x 5 s here.
  const cluster = await startCluster({ brokers: 3, config: { 'replica.fetch.wait.max.ms': '100', 'controlled.shutdown.retry.backoff.ms': '100' } });
  const kafka = new Kafka({ brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
  const admin = kafka.admin();
  await admin.connect();
  const raw = await RawClient.open(cluster.bootstrap.split(',')[1]);
  try {
    await t.test('kafkajs createTopics with replicaAssignment records the replica lists as named', async () => {
      const replicaAssignment = [
        { partition: 0, replicas: [3, 1] },
        { partition: 1, replicas: [2, 3] },
        { partition: 2, replicas: [1, 2] },
      ];
      assert.equal(await admin.createTopics({ topics: [{ topic: 'placed', replicaAssignment }] }), true);
      const metadata = await admin.fetchTopicMetadata({ topics: ['placed'] });
      const partitions = [...metadata.topics[0].partitions].sort((a, b) => a.partitionId - b.partitionId);
      assert.deepEqual(
        partitions.map((p) => ({ id: p.partitionId, replicas: p.replicas, isr: p.isr, leader: p.leader })),
        [
          { id: 0, replicas: [3, 1], isr: [3, 1], leader: 3 },
          { id: 1, replicas: [2, 3], isr: [2, 3], leader: 2 },
          { id: 2, replicas: [1, 2], isr: [1, 2], leader: 1 },
        ],
      );
      // The replicas hold the partition and serve it: a write acknowledged by both replicas.
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      const acks = await producer.send({ topic: 'placed', acks: -1, messages: [0, 1, 2].map((p) => ({ partition: p, value: `v${p}` })) });
      await producer.disconnect();
      assert.deepEqual(acks.map((a) => a.errorCode), [0, 0, 0]);
    });

    await t.test('CreateTopics reports the replication factor of an explicit assignment', async () => {
      const body = await ask<CreateTopicsBody>(raw, 19, 7, createWith('placed-rf', [{ partitionIndex: 0, brokerIds: [1, 2, 3] }, { partitionIndex: 1, brokerIds: [2, 3, 1] }]));
      assert.deepEqual(body.topics.map((x) => [x.errorCode, x.numPartitions, x.replicationFactor]), [[0, 2, 3]]);
    });

    await t.test('CreateTopics refuses assignments Kafka refuses, with its codes and messages', async () => {
      const cases: [string, ReturnType<typeof createWith>, number, string][] = [
        ['both', createWith('bad-both', [{ partitionIndex: 0, brokerIds: [1] }], 1, -1), ErrorCode.INVALID_REQUEST, 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.'],
        ['unknown broker', createWith('bad-unknown', [{ partitionIndex: 0, brokerIds: [1, 7] }]), ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes broker 7, but no such broker is registered.'],
        ['duplicate broker', createWith('bad-dup', [{ partitionIndex: 0, brokerIds: [2, 2] }]), ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes the broker 2 more than once.'],
        ['empty list', createWith('bad-empty', [{ partitionIndex: 0, brokerIds: [] }]), ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes an empty replica list.'],
        [
          'inconsistent',
          createWith('bad-rf', [{ partitionIndex: 0, brokerIds: [1, 2] }, { partitionIndex: 1, brokerIds: [3] }]),
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          'The manual partition assignment includes a partition with 1 replica(s), but this is not consistent with previous partitions, which have 2 replica(s).',
        ],
        ['gap', createWith('bad-gap', [{ partitionIndex: 0, brokerIds: [1] }, { partitionIndex: 2, brokerIds: [2] }]), ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'partitions should be a consecutive 0-based integer sequence'],
        ['twice', createWith('bad-twice', [{ partitionIndex: 0, brokerIds: [1] }, { partitionIndex: 0, brokerIds: [2] }]), ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Found multiple manual partition assignments for partition 0'],
      ];
      for (const [what, request, code, message] of cases) {
        const body = await ask<CreateTopicsBody>(raw, 19, 7, request);
        assert.deepEqual(body.topics.map((x) => [x.errorCode, x.errorMessage]), [[code, message]], what);
      }
      const names = (await admin.listTopics()).filter((n) => n.startsWith('bad-'));
      assert.deepEqual(names, [], 'no refused topic was created');
    });

    await t.test('CreatePartitions with assignments places the new partitions; Kafka\'s refusals otherwise', async () => {
      await admin.createPartitions({ topicPartitions: [{ topic: 'placed', count: 5, assignments: [[2, 1], [3, 2]] }] });
      const metadata = await admin.fetchTopicMetadata({ topics: ['placed'] });
      const added = metadata.topics[0].partitions.filter((p) => p.partitionId >= 3).sort((a, b) => a.partitionId - b.partitionId);
      assert.deepEqual(added.map((p) => [p.partitionId, p.replicas, p.isr, p.leader]), [
        [3, [2, 1], [2, 1], 2],
        [4, [3, 2], [3, 2], 3],
      ]);
      const refuse = async (count: number, assignments: number[][]) => {
        const body = await ask<CreatePartitionsBody>(raw, 37, 3, { topics: [{ name: 'placed', count, assignments: assignments.map((brokerIds) => ({ brokerIds })) }], timeoutMs: 30_000, validateOnly: false });
        return body.results.map((r) => [r.errorCode, r.errorMessage]);
      };
      assert.deepEqual(await refuse(7, [[1, 2]]), [[ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Increasing the number of partitions by 2 but 1 assignments provided.']]);
      assert.deepEqual(await refuse(6, [[1, 1]]), [[ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Duplicate brokers not allowed in replica assignment: 1, 1 for partition id 5.']]);
      assert.deepEqual(await refuse(6, [[1, 9]]), [[ErrorCode.BROKER_NOT_AVAILABLE, 'Some brokers specified for partition id 5 are not available. Specified brokers: 1, 9, available brokers: 1, 2, 3.']]);
      assert.deepEqual(await refuse(6, [[1, 2, 3]]), [
        [ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Inconsistent replication factor between partitions, partition 0 has 2 while partitions [5] have replication factors [3], respectively.'],
      ]);
      const after = await admin.fetchTopicMetadata({ topics: ['placed'] });
      assert.equal(after.topics[0].partitions.length, 5, 'refused requests add nothing');
    });

    await t.test('DescribeLogDirs lists the partitions each broker holds, with their sizes and no lag once in sync', async () => {
      interface LogDirsBody {
        errorCode: number;
        results: { errorCode: number; logDir: string; totalBytes: bigint; usableBytes: bigint; topics: { name: string; partitions: { partitionIndex: number; partitionSize: bigint; offsetLag: bigint; isFutureKey: boolean }[] }[] }[];
      }
      const describe = (id: number, version: number, topics: { topic: string; partitions: number[] }[] | null) =>
        askBroker<LogDirsBody>((cluster.brokers.get(id) as { bootstrap: string }).bootstrap, 35, version, { topics });
      // Every replica of partitions 0-2 (one record each) has copied it: equal sizes on both copies.
      const placed = new Map([[0, [3, 1]], [1, [2, 3]], [2, [1, 2]], [3, [2, 1]], [4, [3, 2]]]);
      const sizesOf = async (id: number) => {
        const body = await describe(id, 4, [{ topic: 'placed', partitions: [0, 1, 2, 3, 4, 9] }]);
        return body.results[0].topics.flatMap((x) => x.partitions.map((p) => [p.partitionIndex, p.partitionSize, p.offsetLag, p.isFutureKey] as const));
      };
      await waitUntil('the followers copied the records', async () => {
        const all = await Promise.all([1, 2, 3].map(sizesOf));
        const size = (id: number, p: number) => all[id - 1].find(([i]) => i === p)?.[1];
        return [0, 1, 2].every((p) => { const [a, b] = placed.get(p) as number[]; return size(a, p) === size(b, p); });
      });
      for (const id of [1, 2, 3]) {
        const body = await describe(id, 4, [{ topic: 'placed', partitions: [0, 1, 2, 3, 4, 9] }, { topic: 'no-such-topic', partitions: [0] }]);
        assert.equal(body.errorCode, 0);
        assert.equal(body.results.length, 1);
        const [dir] = body.results;
        assert.equal(dir.errorCode, 0);
        assert.equal(dir.logDir, (cluster.brokers.get(id) as { dataDir: string }).dataDir);
        assert.ok(dir.totalBytes > 0n && dir.usableBytes > 0n && dir.usableBytes <= dir.totalBytes, `volume of broker ${id}`);
        assert.deepEqual(dir.topics.map((x) => x.name), ['placed'], 'only topics it holds');
        const held = [...placed].filter(([, r]) => r.includes(id)).map(([p]) => p);
        const rows = dir.topics[0].partitions;
        assert.deepEqual(rows.map((p) => p.partitionIndex), held, `broker ${id} holds exactly its replicas`);
        for (const p of rows) {
          assert.equal(p.offsetLag, 0n);
          assert.equal(p.isFutureKey, false);
          // Partitions 0-2 hold one record batch; the added ones 3 and 4 are empty.
          if (p.partitionIndex <= 2) assert.ok(p.partitionSize > 60n, `size of placed-${p.partitionIndex} on broker ${id}: ${p.partitionSize}`);
          else assert.equal(p.partitionSize, 0n);
        }
      }
      // Every topic (null): the same partitions; v0 has no volume figures.
      const all = await describe(1, 0, null);
      assert.deepEqual(all.results[0].topics.find((x) => x.name === 'placed')?.partitions.map((p) => p.partitionIndex), [0, 2, 3]);
    });
  } finally {
    raw.close();
    await admin.disconnect();
    await cluster.stop();
  }
});
