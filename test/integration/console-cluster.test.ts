// The console's view of a three-broker cluster (startCluster, real etcd): every broker with its
// listener and the one controller; partitions this broker holds no copy of show no offsets; once a
// broker stops it is shown down and the partitions it held under-replicated, health degraded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { startCluster } from '../../src/broker/cluster.js';

const { Kafka, logLevel } = kafkajs;

interface Cluster {
  controllerId: number;
  brokers: { nodeId: number; alive: boolean; controller: boolean; listeners: { port: number }[] }[];
  health: { healthy: boolean; underReplicatedPartitions: number; offlinePartitions: number };
}

async function until<T>(what: string, attempt: () => Promise<T | undefined>, boundMs = 15_000): Promise<T> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const got = await attempt().catch(() => undefined);
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('a cluster in the console: brokers, the controller, local offsets only, a stopped broker shown down', async () => {
  const cluster = await startCluster({
    brokers: 3,
    config: { 'tributary.admin.listener': '127.0.0.1:0', 'offsets.topic.num.partitions': '1', 'replica.fetch.wait.max.ms': '100', 'replica.lag.time.max.ms': '1000' },
  });
  try {
    const kafka = new Kafka({ brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'spread', numPartitions: 3, replicationFactor: 2 }] });
    await admin.disconnect();
    const one = cluster.brokers.get(1);
    assert.ok(one?.adminAddress);
    const base = `http://127.0.0.1:${one.adminAddress.port}`;
    const json = async <T>(path: string) => (await (await fetch(base + path)).json()) as T;

    const view = await until('three brokers in the view', async () => {
      const c = await json<Cluster>('/v1/cluster');
      return c.brokers.length === 3 ? c : undefined;
    });
    assert.deepEqual(view.brokers.map((b) => [b.nodeId, b.alive, b.listeners[0]?.port]), [1, 2, 3].map((id) => [id, true, cluster.brokers.get(id)?.port]));
    assert.deepEqual(view.brokers.filter((b) => b.controller).map((b) => b.nodeId), [view.controllerId]);

    const topic = await json<{ partitionDetails: { partition: number; replicas: number[]; highWatermark: number | null }[] }>('/v1/topics/spread');
    assert.equal(topic.partitionDetails.length, 3);
    for (const p of topic.partitionDetails) assert.equal(p.highWatermark === null, !p.replicas.includes(1), `partition ${p.partition} (replicas ${p.replicas.join(',')})`);

    const victim = topic.partitionDetails.flatMap((p) => p.replicas).find((r) => r !== 1 && r !== view.controllerId) ?? topic.partitionDetails.flatMap((p) => p.replicas).find((r) => r !== 1);
    assert.ok(victim !== undefined);
    await cluster.brokers.get(victim)?.stop();
    const degraded = await until('the stopped broker shown down', async () => {
      const c = await json<Cluster>('/v1/cluster');
      return c.brokers.some((b) => b.nodeId === victim && !b.alive) && c.health.underReplicatedPartitions + c.health.offlinePartitions > 0 ? c : undefined;
    });
    assert.equal(degraded.health.healthy, false);
    assert.equal(degraded.brokers.filter((b) => b.alive).length, 2);
  } finally {
    await cluster.stop();
  }
});
