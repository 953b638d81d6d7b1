// A three-broker cluster on a real etcd (startCluster): a topic with replication factor 3 is
// replicated to every broker, acks=all writes are acknowledged once the in-sync replicas hold
// them, a consumer group reads each record once, and the three copies agree byte for byte. With
// large records, followers' fetch answers come in pooled memory that is reused once appended
// (ReplicaFetcher): reused too early, a copy would hold a later answer's bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { startCluster } from '../../src/broker/cluster.js';
import { tempDir } from '../helpers/storage.js';
import { RawClient } from '../helpers/raw-client.js';
import { batchesIn, buildBatch, readBatchRecords } from '../../src/protocol/records/batch-records.js';
import type { FetchResponse, ProduceResponse } from '../../src/protocol/generated/index.js';

const { Kafka, logLevel } = kafkajs;

const CONFIG = {
  'offsets.topic.num.partitions': '3',
  'group.initial.rebalance.delay.ms': '0',
  'group.min.session.timeout.ms': '1000',
  'replica.fetch.wait.max.ms': '100',
};

const LARGE_ROUNDS = 12;
const LARGE_PER_ROUND = 40;
/** About 8 KiB each: a follower's answer carries at least one 320 KiB produce batch, above the read pool's 128 KiB. */
const largeValue = (p: number, i: number) => `${p}:${i}:` + String.fromCharCode(97 + ((i * 5 + p) % 26)).repeat(8000 + (i % 101));

/** Large acks=all writes to the three partitions of `topic` at once, round after round. */
async function produceLarge(kafka: InstanceType<typeof Kafka>, topic: string): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  for (let round = 0; round < LARGE_ROUNDS; round++) {
    await Promise.all(
      [0, 1, 2].map((p) => producer.send({ topic, acks: -1, messages: Array.from({ length: LARGE_PER_ROUND }, (_, k) => ({ partition: p, value: largeValue(p, round * LARGE_PER_ROUND + k) })) })),
    );
  }
  await producer.disconnect();
}

/** Each broker's copy of `topic`-`p` holds the large records, every one at its offset. */
async function checkLargeCopies(copies: Buffer[], p: number): Promise<void> {
  for (const [i, copy] of copies.entries()) {
    const values: (string | undefined)[] = [];
    for (const view of batchesIn(copy)) for (const r of await readBatchRecords(view)) values.push(r.value?.toString());
    assert.equal(values.length, LARGE_ROUNDS * LARGE_PER_ROUND, `broker ${i + 1}'s copy of partition ${p}: record count`);
    values.forEach((v, k) => v === largeValue(p, k) || assert.fail(`broker ${i + 1}'s copy of partition ${p}, offset ${k}: another record's bytes (${v?.slice(0, 20)}…)`));
  }
}

async function segmentBytes(dir: string): Promise<Buffer> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.log')).sort();
  return Buffer.concat(await Promise.all(names.map((n) => readFile(join(dir, n)))));
}

test('a three-broker cluster replicates RF=3 topics to every broker and serves acks=all writes and a consumer group', async () => {
  const { dir, cleanup } = await tempDir('tributary-cluster-test-');
  const cluster = await startCluster({ brokers: 3, config: CONFIG, dataDir: dir });
  try {
    const kafka = new Kafka({ brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
    const admin = kafka.admin();
    await admin.connect();
    const described = await admin.describeCluster();
    assert.deepEqual(described.brokers.map((b) => b.nodeId).sort(), [1, 2, 3]);
    assert.ok([1, 2, 3].includes(described.controller ?? -1), `controller ${described.controller}`);
    assert.equal(await admin.createTopics({ topics: [{ topic: 'replicated', numPartitions: 3, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] }), true);
    const metadata = await admin.fetchTopicMetadata({ topics: ['replicated'] });
    const partitions = metadata.topics[0].partitions.sort((a, b) => a.partitionId - b.partitionId);
    assert.equal(partitions.length, 3);
    for (const p of partitions) {
      assert.deepEqual([...p.replicas].sort(), [1, 2, 3], `replicas of partition ${p.partitionId}`);
      assert.deepEqual([...p.isr].sort(), [1, 2, 3], `ISR of partition ${p.partitionId}`);
      assert.equal(p.leader, p.replicas[0]);
    }
    // Leaders spread: each broker leads one partition.
    assert.deepEqual(partitions.map((p) => p.leader).sort(), [1, 2, 3]);

    // KIP-951: a broker that does not lead a partition says who does, with that broker's endpoint.
    const leaderOf0 = partitions[0].leader;
    const other = [1, 2, 3].find((id) => id !== leaderOf0) as number;
    const raw = await RawClient.open(cluster.brokers.get(other)?.bootstrap ?? '');
    try {
      const records = await buildBatch([{ key: null, value: Buffer.from('misdirected'), timestamp: Date.now() }]);
      raw.sendRequest(0, 10, 1, { acks: -1, timeoutMs: 5000, topicData: [{ name: 'replicated', partitionData: [{ index: 0, records }] }] });
      const produced = (await raw.response(0, 10))?.body as ProduceResponse;
      const answer = produced.responses[0].partitionResponses[0];
      assert.equal(answer.errorCode, 6, 'NOT_LEADER_OR_FOLLOWER');
      assert.equal(answer.currentLeader.leaderId, leaderOf0);
      assert.deepEqual(produced.nodeEndpoints.map((n) => [n.nodeId, n.port]), [[leaderOf0, cluster.brokers.get(leaderOf0)?.port]]);
      raw.sendRequest(1, 12, 2, { replicaId: -1, maxWaitMs: 0, minBytes: 0, topics: [{ topic: 'replicated', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1024 }] }] });
      const fetched = (await raw.response(1, 12))?.body as FetchResponse;
      assert.equal(fetched.responses[0].partitions[0].errorCode, 6);
      assert.equal(fetched.responses[0].partitions[0].currentLeader.leaderId, leaderOf0);
    } finally {
      raw.close();
    }

    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const sent: string[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const messages = Array.from({ length: 30 }, (_, i) => ({ partition: i % 3, key: `k${i}`, value: `b${batch}-m${i}` }));
      const acks = await producer.send({ topic: 'replicated', acks: -1, messages });
      assert.equal(acks.length, 3);
      for (const a of acks) assert.equal(a.errorCode, 0);
      sent.push(...messages.map((m) => `${m.partition}:${m.value}`));
    }
    await producer.disconnect();

    const seen: string[] = [];
    const consumer = kafka.consumer({ groupId: 'cluster-readers', maxWaitTimeInMs: 100, sessionTimeout: 6000 });
    await consumer.connect();
    await consumer.subscribe({ topics: ['replicated'], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ partition, message }) => void seen.push(`${partition}:${message.value?.toString()}`) });
    const deadline = Date.now() + 30_000;
    while (seen.length < sent.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await consumer.disconnect();
    assert.equal(seen.length, sent.length, 'every record once');
    assert.deepEqual([...seen].sort(), [...sent].sort());
    for (const p of [0, 1, 2]) {
      assert.deepEqual(seen.filter((s) => s.startsWith(`${p}:`)), sent.filter((s) => s.startsWith(`${p}:`)), `partition ${p} in order`);
    }
    const offsets = await admin.fetchOffsets({ groupId: 'cluster-readers', topics: ['replicated'] });
    assert.deepEqual(offsets[0].partitions.map((p) => p.offset).sort(), ['100', '100', '100']);

    // Large records: every broker follows two leaders while it serves two followers, all in pooled memory.
    assert.equal(await admin.createTopics({ topics: [{ topic: 'large', numPartitions: 3, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '3' }] }] }), true);
    await produceLarge(kafka, 'large');
    await admin.disconnect();
  } finally {
    await cluster.stop();
  }
  try {
    // Stopped cleanly: every copy of each partition holds the same bytes.
    for (const p of [0, 1, 2]) {
      const copies = await Promise.all([1, 2, 3].map((id) => segmentBytes(join(dir, `broker-${id}`, `replicated-${p}`))));
      assert.ok(copies[0].length > 0);
      assert.ok(copies[1].equals(copies[0]) && copies[2].equals(copies[0]), `the copies of partition ${p} differ`);
      const large = await Promise.all([1, 2, 3].map((id) => segmentBytes(join(dir, `broker-${id}`, `large-${p}`))));
      await checkLargeCopies(large, p);
      assert.ok(large[1].equals(large[0]) && large[2].equals(large[0]), `the copies of large-${p} differ`);
    }
  } finally {
    await cleanup();
  }
});

