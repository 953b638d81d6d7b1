// etcd killed (SIGKILL) and restarted under load: three brokers (child processes) keep serving the
// partitions they lead, so an idempotent acks=all producer (test/helpers/acked-load.ts) keeps being acknowledged while etcd is
// gone (the ISRs are whole and need no change). Every broker's session lapses meanwhile (its lease
// cannot be renewed for broker.session.timeout.ms); when etcd is back each registers again and the
// cluster settles by itself (every partition led, ISRs whole, all three brokers listed), metadata
// changes work again (a topic is created and led), nothing acknowledged is lost or duplicated, and
// the copies of each partition are identical byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { ProcessCluster } from '../helpers/process-cluster.js';
import { until, logBytes, untilCopiesAgree, bounded } from '../helpers/cluster-waits.js';
import { startAckedLoad, readBack, auditPartition, type AckedLoad } from '../helpers/acked-load.js';

const { Kafka, logLevel } = kafkajs;
const TOPIC = 'through-etcd-outage';
const PARTITIONS = 3;

const CONFIG = {
  'broker.session.timeout.ms': '1000',
  'broker.heartbeat.interval.ms': '200',
  'replica.fetch.wait.max.ms': '100',
  'replica.fetch.backoff.ms': '100',
  'controlled.shutdown.retry.backoff.ms': '100',
};

test('etcd killed and restarted under load: leaders keep acknowledging, the brokers register again and the cluster settles', { timeout: 180_000 }, async (t) => {
  const cluster = await ProcessCluster.start({ brokers: 3, config: CONFIG });
  // Also after a failure part-way: no broker or etcd outlives the test.
  t.after(() => cluster.close());
  const kafka = new Kafka({ brokers: cluster.bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 50, initialRetryTime: 50, maxRetryTime: 500 } });
  const admin = kafka.admin();
  let load: AckedLoad | null = null;
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
    const settled = async (topics: string[]) => {
      const { brokers } = await admin.describeCluster();
      if (brokers.length !== 3) return null;
      const metadata = await admin.fetchTopicMetadata({ topics });
      const all = metadata.topics.flatMap((t) => t.partitions);
      return all.every((p) => p.leader > 0 && p.isr.length === 3) ? all : null;
    };
    const before = await until('every partition led with its ISR whole', () => settled([TOPIC]), cluster);
    assert.deepEqual(before.map((p) => p.leader).sort(), [1, 2, 3], 'each broker leads one partition');

    load = await startAckedLoad(kafka, TOPIC, PARTITIONS);
    const acked = load;
    await until('records acknowledged before the outage', async () => (acked.total() > 30 ? true : null), cluster);

    await cluster.etcd.kill();
    const atKill = acked.acknowledged.map((a) => a.length);
    const marks = new Map(cluster.nodeIds.map((id) => [id, cluster.logMark(id)]));
    // Every broker notices its session lapse (etcd acknowledged no renewal within its TTL)...
    await until('every broker to lose its session', async () => (cluster.nodeIds.every((id) => cluster.logSince(id, marks.get(id) ?? 0).includes('lost the broker session')) ? true : null), cluster);
    // ...and the leaders keep acknowledging acks=all writes on every partition.
    await until('acknowledgements on every partition during the outage', async () => (acked.acknowledged.every((a, p) => a.length > atKill[p] + 20) ? true : null), cluster);

    await cluster.etcd.restart();
    await until('the cluster settled after etcd returned', () => settled([TOPIC]), cluster);
    // Metadata changes resume: a new topic is created and each of its partitions is led, with its ISR whole.
    await until('a topic created after the outage', async () => ((await admin.createTopics({ topics: [{ topic: 'after-outage', numPartitions: 3, replicationFactor: 3 }] })) || (await admin.listTopics()).includes('after-outage') ? true : null), cluster);
    await until('the new topic led and in sync', () => settled([TOPIC, 'after-outage']), cluster);
    const afterRestart = acked.total();
    await until('acknowledgements after etcd returned', async () => (acked.total() > afterRestart + 10 * PARTITIONS ? true : null), cluster);
    await acked.stop();
    assert.deepEqual(acked.failures, [], 'the producer gave up on no send');

    // Read everything back: each acknowledged record once, in its partition's order.
    for (let p = 0; p < PARTITIONS; p++) {
      const got = await until(`partition ${p} read back`, async () => {
        const values = await readBack(cluster.bootstrap, TOPIC, p);
        return values.length >= acked.acknowledged[p].length ? values : null;
      }, cluster);
      auditPartition(p, acked.acknowledged[p], got);
    }
    await untilCopiesAgree(cluster, TOPIC, [...Array(PARTITIONS).keys()]);
  } finally {
    if (load) await bounded(load.stop());
    await bounded(admin.disconnect());
    // A failure during the outage leaves etcd dead: bring it back (restart refuses a running one) so the brokers can stop cleanly.
    await cluster.etcd.restart().catch(() => undefined);
    for (const id of cluster.nodeIds) await cluster.stopBroker(id);
  }
  try {
    for (let p = 0; p < PARTITIONS; p++) {
      const copies = await Promise.all(cluster.nodeIds.map((id) => logBytes(join(cluster.dataDir(id), `${TOPIC}-${p}`))));
      for (const [i, c] of copies.entries()) assert.ok(c.equals(copies[0]), `partition ${p}: broker ${i + 1}'s copy differs from broker 1's (${c.length} vs ${copies[0].length} bytes)`);
    }
  } finally {
    await cluster.close();
  }
});
