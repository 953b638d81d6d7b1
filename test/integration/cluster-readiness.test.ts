// When a cluster counts as started. A broker learns the others' registrations through its etcd
// watch, a moment after they are made; `RunningBroker.waitForBrokers` resolves once its view lists
// the brokers asked for and a controller, and `startCluster` uses it, so a topic created right
// after start may ask for a replication factor of the cluster's size. Here: the wait does not
// resolve before the broker it waits for exists, resolves once it registers, rejects when its
// signal aborts or its broker stops (fails when the wait ignores the ids); and every broker of a
// just-started cluster lists all brokers (the promise startCluster makes; without its wait that
// race is usually won, so this one cannot catch the wait's removal every time).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { startBroker } from '../../src/broker/broker.js';
import { startCluster } from '../../src/broker/cluster.js';
import { startEtcd } from '../helpers/etcd.js';
import { tempDir } from '../helpers/storage.js';

const { Kafka, logLevel } = kafkajs;

/** The node ids and controller the broker at `address` reports, asked of it alone. */
async function clusterSeenBy(address: string): Promise<{ brokers: number[]; controller: number | null }> {
  const admin = new Kafka({ brokers: [address], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
  await admin.connect();
  try {
    const described = await admin.describeCluster();
    return { brokers: described.brokers.map((b) => b.nodeId).sort((a, b) => a - b), controller: described.controller };
  } finally {
    await admin.disconnect();
  }
}

test('waitForBrokers resolves only once the broker waited for has registered, and rejects on abort or stop', async () => {
  const etcd = await startEtcd();
  const { dir: root, cleanup } = await tempDir('tributary-readiness-');
  const config = { 'tributary.metadata.etcd.endpoints': etcd.endpoint, 'tributary.metadata.etcd.prefix': '/tributary/readiness' };
  const brokers: Awaited<ReturnType<typeof startBroker>>[] = [];
  try {
    const first = await startBroker({ port: 0, nodeId: 1, dataDir: join(root, 'b1'), config });
    brokers.push(first);
    await first.waitForBrokers([1], AbortSignal.timeout(30_000));

    let sawSecond = false;
    const second = first.waitForBrokers([1, 2], AbortSignal.timeout(30_000)).then(() => (sawSecond = true));
    // A round trip through the broker first: a wait that resolved at once would have by now.
    assert.deepEqual((await clusterSeenBy(first.bootstrap)).brokers, [1]);
    assert.equal(sawSecond, false, 'the wait resolved before broker 2 existed');

    brokers.push(await startBroker({ port: 0, nodeId: 2, dataDir: join(root, 'b2'), config }));
    await second;
    assert.deepEqual((await clusterSeenBy(first.bootstrap)).brokers, [1, 2], 'once the wait resolved, Metadata lists both at once');

    const gaveUp = new AbortController();
    const never = first.waitForBrokers([1, 7], gaveUp.signal);
    gaveUp.abort(new Error('gave up on broker 7'));
    await assert.rejects(never, /gave up on broker 7/);

    const rejectedAtStop = assert.rejects(brokers[1].waitForBrokers([1, 2, 9]), /the metadata view is closed/);
    await brokers[1].stop();
    brokers.pop();
    await rejectedAtStop;
  } finally {
    for (const b of brokers) await b.stop();
    await cleanup();
    await etcd.stop();
  }
});

test('every broker of a cluster startCluster returned lists all brokers and a controller, asked at once', async () => {
  const cluster = await startCluster({ brokers: 3 });
  try {
    for (const [id, broker] of cluster.brokers) {
      const seen = await clusterSeenBy(broker.bootstrap);
      assert.deepEqual(seen.brokers, [1, 2, 3], `broker ${id}'s view`);
      assert.ok(seen.controller !== null && [1, 2, 3].includes(seen.controller), `broker ${id} names a controller (${seen.controller})`);
    }
  } finally {
    await cluster.stop();
  }
});
