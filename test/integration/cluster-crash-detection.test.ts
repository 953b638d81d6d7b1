// A crashed broker (kill -9, its host alive) loses its leaderships without waiting for its session
// to lapse: its peers' links to it drop, its port refuses connections, and a peer ends its
// registration (peer-crash-detector.ts). The session timeout here is 60 s, longer than every wait
// bound in the test, so each step below can only happen through that detection: a new leader, the
// dead broker out of the cluster and the ISR, the restarted process registering at once (its old
// lease no longer blocks the node id), and a new controller when the dead one was the controller;
// and a dead follower that leads nothing leaves the ISR because its leader saw its fetch connection end.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { ProcessCluster } from '../helpers/process-cluster.js';
import { RawProducer, partitionSeenBy, type PartitionView } from '../helpers/raw-producer.js';
import { until } from '../helpers/cluster-waits.js';
import { kcat } from '../helpers/kcat.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';

const { Kafka, logLevel } = kafkajs;

const SESSION_TIMEOUT_MS = 60_000;
/** Every wait is bounded well below the session timeout, so a lapsed lease cannot pass for detection. */
const BOUND_MS = 20_000;
const CONFIG = {
  'broker.session.timeout.ms': String(SESSION_TIMEOUT_MS),
  'broker.heartbeat.interval.ms': '1000',
  // Nor may a lagging follower leave the ISR by itself within the bounds.
  'replica.lag.time.max.ms': String(SESSION_TIMEOUT_MS),
  'replica.fetch.wait.max.ms': '100',
  'replica.fetch.backoff.ms': '100',
  'controlled.shutdown.retry.backoff.ms': '100',
};
const TOPIC = 'crash-detected';

let cluster: ProcessCluster;
before(async () => {
  cluster = await ProcessCluster.start({ brokers: 3, config: CONFIG });
});
after(async () => {
  await cluster.close();
});

async function controllerAndBrokers(seenBy: number): Promise<{ controller: number; brokers: number[] }> {
  const kafka = new Kafka({ brokers: [cluster.address(seenBy)], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const described = await admin.describeCluster();
    return { controller: described.controller ?? -1, brokers: described.brokers.map((b) => b.nodeId).sort() };
  } finally {
    await admin.disconnect();
  }
}

function partitionWhen(seenBy: number, partition: number, what: string, accept: (p: PartitionView) => boolean): Promise<PartitionView> {
  return until(what, async () => {
    const p = await partitionSeenBy(cluster.address(seenBy), TOPIC, partition);
    return p && accept(p) ? p : null;
  }, cluster, BOUND_MS);
}

async function produceAcknowledged(nodeId: number, partition: number, value: string): Promise<void> {
  const producer = await RawProducer.open(cluster.address(nodeId));
  try {
    const answer = await producer.produce(TOPIC, partition, value, -1, 5000);
    assert.equal(answer.errorCode, ErrorCode.NONE, `${value} to broker ${nodeId}`);
  } finally {
    producer.close();
  }
}

/** Kills the leader of `partition`, checks the failover the detection brings, restarts it and waits for a full ISR. */
async function killAndRecover(partition: number, round: string): Promise<void> {
  const before = await partitionWhen(1, partition, 'a full ISR', (p) => p.leader > 0 && p.isr.length === 3);
  const victim = before.leader;
  const witness = cluster.nodeIds.find((id) => id !== victim) ?? -1;
  await cluster.kill(victim);
  const after = await partitionWhen(witness, partition, `a new leader of partition ${partition} without broker ${victim}`, (p) => p.leader > 0 && p.leader !== victim && !p.isr.includes(victim));
  assert.ok(after.leaderEpoch > before.leaderEpoch, 'the election raised the leader epoch');
  const seen = await until(`broker ${victim} gone from the cluster`, async () => {
    const c = await controllerAndBrokers(witness);
    return !c.brokers.includes(victim) && c.controller > 0 && c.controller !== victim ? c : null;
  }, cluster, BOUND_MS);
  assert.deepEqual(seen.brokers, cluster.nodeIds.filter((id) => id !== victim));
  await produceAcknowledged(after.leader, partition, `${round}-while-down`);

  // The restarted process registers at once: the old registration's lease was revoked.
  await cluster.startBroker(victim);
  await partitionWhen(witness, partition, `broker ${victim} back in the ISR`, (p) => p.isr.length === 3);
}

test('a killed leader, then a killed controller, lose their roles without waiting out the session timeout', { timeout: 180_000 }, async () => {
  const kafka = new Kafka({ brokers: cluster.bootstrap, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
  } finally {
    await admin.disconnect();
  }
  const leaders = await Promise.all([0, 1, 2].map((p) => partitionWhen(1, p, `partition ${p} with a full ISR`, (v) => v.leader > 0 && v.isr.length === 3)));
  for (const [p, view] of leaders.entries()) await produceAcknowledged(view.leader, p, `before-${p}`);

  const { controller } = await controllerAndBrokers(1);
  const ledByOther = leaders.findIndex((v) => v.leader !== controller);
  await killAndRecover(ledByOther, 'leader');

  // Now the controller: it led a partition before and may have taken the first victim's too.
  const now = await controllerAndBrokers(1);
  const views = await Promise.all([0, 1, 2].map((p) => partitionWhen(1, p, `partition ${p} seen`, (v) => v.leader > 0)));
  const ledByController = views.findIndex((v) => v.leader === now.controller);
  assert.ok(ledByController >= 0, `the controller ${now.controller} leads one of ${views.map((v) => v.leader).join(',')}`);
  await killAndRecover(ledByController, 'controller');

  const { stdout } = await kcat(['-C', '-b', cluster.bootstrap.join(','), '-t', TOPIC, '-o', 'beginning', '-e', '-q', '-f', '%p %s\\n']);
  const read = stdout.split('\n').filter((l) => l !== '').sort();
  const expected = [`${ledByOther} leader-while-down`, `${ledByController} controller-while-down`, '0 before-0', '1 before-1', '2 before-2'].sort();
  assert.deepEqual(read, expected);
});

test('a killed follower that leads nothing leaves the ISR through its leader noticing, and acks=all writes go on', { timeout: 120_000 }, async () => {
  const topic = 'follower-crash';
  const kafka = new Kafka({ brokers: cluster.bootstrap, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  // A broker that leads no partition of the first test's topic: only leaders see its fetches.
  const leading = new Set<number>();
  for (let p = 0; p < 3; p++) leading.add((await partitionWhen(1, p, `partition ${p} led`, (v) => v.leader > 0)).leader);
  const follower = cluster.nodeIds.find((id) => !leading.has(id)) ?? cluster.nodeIds[2];
  const leader = cluster.nodeIds.find((id) => id !== follower) ?? -1;
  const third = cluster.nodeIds.find((id) => id !== follower && id !== leader) ?? -1;
  try {
    await admin.createTopics({ topics: [{ topic, replicaAssignment: [{ partition: 0, replicas: [leader, third, follower] }], configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
  } finally {
    await admin.disconnect();
  }
  const seen = (what: string, accept: (p: PartitionView) => boolean) => until(what, async () => {
    const p = await partitionSeenBy(cluster.address(leader), topic, 0);
    return p && accept(p) ? p : null;
  }, cluster, BOUND_MS);
  await seen('a full ISR', (p) => p.leader === leader && p.isr.length === 3);
  const producer = await RawProducer.open(cluster.address(leader));
  try {
    assert.equal((await producer.produce(topic, 0, 'before', -1, 5000)).errorCode, ErrorCode.NONE);
    await cluster.kill(follower);
    const shrunk = await seen(`broker ${follower} out of the ISR`, (p) => !p.isr.includes(follower));
    assert.deepEqual(shrunk.isr, [leader, third].sort());
    assert.equal(shrunk.leader, leader);
    assert.equal((await producer.produce(topic, 0, 'after', -1, 5000)).errorCode, ErrorCode.NONE);
  } finally {
    producer.close();
  }
  await cluster.startBroker(follower);
  await seen(`broker ${follower} back in the ISR`, (p) => p.isr.length === 3);
  const { stdout } = await kcat(['-C', '-b', cluster.bootstrap.join(','), '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%s\\n']);
  assert.deepEqual(stdout.split('\n').filter((l) => l !== ''), ['before', 'after']);
});
