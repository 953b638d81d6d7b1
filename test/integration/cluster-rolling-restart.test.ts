// A rolling restart under load: three brokers (child processes), an idempotent kafkajs producer
// (one record per send per partition, see test/helpers/acked-load.ts) writing acks=all to an RF=3 topic with min.insync.replicas=2; each broker in turn gets SIGTERM
// (controlled shutdown moves its leaderships to other in-sync replicas before it stops), is started
// again, and the test waits for the ISRs to be whole before the next. Afterwards every acknowledged
// record is there once, in order; every error kafkajs reported on the way is a retriable one (or
// a connection to a stopping broker closing); the copies are identical byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { ProcessCluster } from '../helpers/process-cluster.js';
import { until, logBytes, untilCopiesAgree, bounded } from '../helpers/cluster-waits.js';
import { collectClientErrors } from '../helpers/kafkajs-errors.js';
import { startAckedLoad, readBack, auditPartition, type AckedLoad } from '../helpers/acked-load.js';

const { Kafka } = kafkajs;
const TOPIC = 'rolling';
const PARTITIONS = 3;
/** What a producer may see while leadership moves (kafkajs' names for Kafka's retriable errors). */
const RETRIABLE = new Set(['NOT_LEADER_FOR_PARTITION', 'LEADER_NOT_AVAILABLE', 'REQUEST_TIMED_OUT', 'NOT_ENOUGH_REPLICAS']);

const CONFIG = {
  'broker.session.timeout.ms': '1000',
  'broker.heartbeat.interval.ms': '200',
  'replica.fetch.wait.max.ms': '100',
  'replica.fetch.backoff.ms': '100',
  'controlled.shutdown.retry.backoff.ms': '100',
};

test('a rolling restart of all three brokers under acks=all load loses nothing and shows the producer only retriable errors', { timeout: 180_000 }, async (t) => {
  const cluster = await ProcessCluster.start({ brokers: 3, config: CONFIG });
  // Also after a failure part-way: no broker or etcd outlives the test.
  t.after(() => cluster.close());
  const errors = collectClientErrors();
  const kafka = new Kafka({ brokers: cluster.bootstrap, logCreator: errors.logCreator, retry: { retries: 50, initialRetryTime: 50, maxRetryTime: 500 } });
  const admin = kafka.admin();
  let load: AckedLoad | null = null;
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
    const partitions = async () => (await admin.fetchTopicMetadata({ topics: [TOPIC] })).topics[0].partitions;
    const whole = async () => {
      const ps = await partitions();
      return ps.length === PARTITIONS && ps.every((p) => p.leader > 0 && p.isr.length === 3) ? ps : null;
    };
    await until('every partition led with its ISR whole', whole, cluster);

    load = await startAckedLoad(kafka, TOPIC, PARTITIONS);
    const acked = load;
    await until('records acknowledged before the restarts', async () => (acked.total() > 10 * PARTITIONS ? true : null), cluster);

    for (const id of cluster.nodeIds) {
      await until(`whole ISRs before restarting broker ${id}`, whole, cluster);
      const mark = cluster.logMark(id);
      const before = acked.total();
      await cluster.stopBroker(id);
      assert.match(cluster.logSince(id, mark), /controlled shutdown: leadership moved to other brokers/, `broker ${id} moved its leaderships before stopping`);
      const moved = await until(`leaders other than broker ${id}`, async () => {
        const ps = await partitions();
        return ps.every((p) => p.leader > 0 && p.leader !== id) ? ps : null;
      }, cluster);
      assert.ok(moved.every((p) => !p.isr.includes(id)), `broker ${id} left the ISRs`);
      await until(`acknowledgements while broker ${id} is down`, async () => (acked.total() > before + 10 * PARTITIONS ? true : null), cluster);
      await cluster.startBroker(id);
    }
    await until('whole ISRs after the rolling restart', whole, cluster);
    const after = acked.total();
    await until('acknowledgements after the rolling restart', async () => (acked.total() > after + 10 * PARTITIONS ? true : null), cluster);
    await acked.stop();
    assert.deepEqual(acked.failures, [], 'the producer gave up on no send');
    const seen = [...errors.types].map(([type, n]) => `${type} x${n}`).join(', ');
    assert.deepEqual([...errors.types.keys()].filter((t) => !RETRIABLE.has(t)), [], `non-retriable errors reported by kafkajs (all: ${seen})`);
    assert.deepEqual(errors.unknown, [], 'kafkajs reported errors that are neither Kafka errors nor connection failures');

    // Read everything back: each acknowledged record once, in its partition's order.
    for (let p = 0; p < PARTITIONS; p++) {
      const got = await until(`partition ${p} read back`, async () => {
        const values = await readBack(cluster.bootstrap, TOPIC, p);
        return values.length >= acked.acknowledged[p].length ? values : null;
      }, cluster);
      auditPartition(p, acked.acknowledged[p], got);
    }
    await untilCopiesAgree(cluster, TOPIC, [...Array(PARTITIONS).keys()]);
    console.log(`rolling restart: ${acked.total()} records acknowledged; kafkajs reported ${seen || 'no Kafka errors'} and ${errors.connectionFailures()} connection failures`);
  } finally {
    if (load) await bounded(load.stop());
    await bounded(admin.disconnect());
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
