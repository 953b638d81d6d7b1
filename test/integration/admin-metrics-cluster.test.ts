// The replication metrics of a three-broker cluster (startCluster, real etcd): followers' fetches
// count as FetchFollower and ReplicationBytesOut on the leader, exactly one broker reports itself
// the active controller, and stopping a follower makes the leader report its partition
// under-replicated; /ready follows the broker's link to etcd.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { startCluster } from '../../src/broker/cluster.js';
import type { RunningBroker } from '../../src/broker/broker.js';
import { httpGet, scrape, scrapeUntil } from '../helpers/prometheus.js';
import { startEtcd } from '../helpers/etcd.js';

const { Kafka, logLevel } = kafkajs;
const TOPIC = 'replicated-metrics';

function adminOf(b: RunningBroker | undefined): { host: string; port: number } {
  assert.ok(b?.adminAddress, 'every broker has an admin server');
  return b.adminAddress;
}

test('a cluster reports follower fetches, one active controller, and an under-replicated partition once a follower stops', async () => {
  const cluster = await startCluster({
    brokers: 3,
    config: { 'tributary.admin.listener': '127.0.0.1:0', 'offsets.topic.num.partitions': '1', 'replica.fetch.wait.max.ms': '100', 'replica.lag.time.max.ms': '2000' },
  });
  try {
    const kafka = new Kafka({ brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1, replicationFactor: 3 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: 20 }, (_, i) => ({ value: `r${i}` })) });
    await producer.disconnect();
    const [partition] = (await admin.fetchTopicMetadata({ topics: [TOPIC] })).topics[0].partitions;
    const controller = (await admin.describeCluster()).controller;
    await admin.disconnect();
    const leader = cluster.brokers.get(partition.leader);

    const onLeader = await scrapeUntil(adminOf(leader), (m) => (m.value('kafka_server_brokertopicmetrics_replicationbytesout_total') ?? 0) > 0, 'replication bytes out on the leader');
    const followerFetches = onLeader.samples('kafka_network_requestmetrics_requests_total').filter((s) => s.labels.request === 'FetchFollower');
    assert.ok(followerFetches.reduce((n, s) => n + s.value, 0) > 0, 'the followers fetch from the leader');
    assert.equal(onLeader.value('kafka_cluster_partition_replicascount', { topic: TOPIC, partition: '0' }), 3);
    const followerIds = partition.replicas.filter((id) => id !== partition.leader);
    for (const id of followerIds) {
      const onFollower = await scrapeUntil(adminOf(cluster.brokers.get(id)), (m) => (m.value('kafka_server_brokertopicmetrics_replicationbytesin_total') ?? 0) > 0, `replication bytes in on follower ${id}`);
      assert.equal(onFollower.value('kafka_server_brokertopicmetrics_messagesin_total', { topic: TOPIC }), undefined, 'copies are not client produce');
    }
    let activeControllers = 0;
    for (const b of cluster.brokers.values()) activeControllers += (await scrape(adminOf(b))).value('kafka_controller_kafkacontroller_activecontrollercount') ?? 0;
    assert.equal(activeControllers, 1, 'exactly one broker is the active controller');

    // Stop a follower that is not the controller, so the controller stays put.
    const follower = partition.replicas.find((id) => id !== partition.leader && id !== controller) ?? partition.replicas.find((id) => id !== partition.leader);
    assert.ok(follower !== undefined);
    await cluster.stopBroker(follower);
    const after = await scrapeUntil(adminOf(leader), (m) => m.value('kafka_cluster_partition_underreplicated', { topic: TOPIC, partition: '0' }) === 1, 'the partition under-replicated', 30_000);
    assert.ok((after.value('kafka_server_replicamanager_underreplicatedpartitions') ?? 0) >= 1);
    assert.equal(after.value('kafka_cluster_partition_insyncreplicascount', { topic: TOPIC, partition: '0' }), 2);
    assert.equal(after.value('kafka_server_replicamanager_underminisrpartitioncount'), 0, 'min.insync.replicas is 1');
  } finally {
    await cluster.stop();
  }
});

test('/ready is 503 while a cluster broker cannot reach etcd, and 200 again once it can', async () => {
  const etcd = await startEtcd();
  const cluster = await startCluster({ brokers: 1, etcd: etcd.endpoint, config: { 'tributary.admin.listener': '127.0.0.1:0', 'offsets.topic.num.partitions': '1', 'broker.session.timeout.ms': '1000', 'broker.heartbeat.interval.ms': '200' } });
  try {
    const address = adminOf(cluster.brokers.get(1));
    assert.equal((await httpGet(address, '/ready')).status, 200);
    await etcd.kill();
    const down = await poll('/ready to say 503', async () => {
      const r = await httpGet(address, '/ready');
      return r.status === 503 ? r : undefined;
    });
    assert.match(JSON.parse(down.body).reason, /metadata store/);
    assert.equal((await httpGet(address, '/health')).status, 200, 'alive all the same');
    await etcd.restart();
    await poll('/ready to say 200 again', async () => ((await httpGet(address, '/ready')).status === 200 ? true : undefined), 30_000);
  } finally {
    await cluster.stop();
    await etcd.stop();
  }
});

async function poll<T>(what: string, attempt: () => Promise<T | undefined>, boundMs = 20_000): Promise<T> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const got = await attempt().catch(() => undefined);
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
