// The wire fuzzer against a member of a cluster: two brokers in child processes on a real etcd,
// the mutated frames sent to broker 1 while broker 2 follows it, so the code only a cluster runs is
// under fire too (topics created through the controller and etcd, Fetch and OffsetForLeaderEpoch
// with a replica id, ElectLeaders, reassignments, cluster-wide configs in etcd). Neither broker may
// exit or log an error; clean clients keep being answered; afterwards a topic created through the
// fuzzed broker has both brokers in sync and serves acks=all writes and a consumer group, and
// both stop cleanly. Same seeds as the single-broker run (WIRE_FUZZ_SEED); WIRE_FUZZ_CLUSTER_FRAMES
// sets the length.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { BrokerChild } from '../helpers/wire-fuzz/child-broker.js';
import { runCampaign } from '../helpers/wire-fuzz/campaign.js';
import { allSeeds } from '../helpers/wire-fuzz/seeds.js';
import { dumpRounds, summary } from '../helpers/wire-fuzz/report.js';
import { kafkajsRoundTrip } from '../helpers/wire-fuzz/round-trip.js';
import { startEtcd, type EtcdServer } from '../helpers/etcd.js';

const seedEnv = process.env.WIRE_FUZZ_SEED;
const SEED = seedEnv === 'random' ? Math.floor(Math.random() * 2 ** 31) : Number(seedEnv ?? 20261204);
const FRAMES = Number(process.env.WIRE_FUZZ_CLUSTER_FRAMES ?? 6_000);

let etcd: EtcdServer;
before(async () => {
  etcd = await startEtcd();
});
after(async () => {
  await etcd.stop();
});

test(`wire fuzz against a cluster member (seed ${SEED}): neither broker crashes or logs an error, and replication still works`, { timeout: 300_000 }, async (t) => {
  const config = {
    'group.initial.rebalance.delay.ms': '0',
    'offsets.topic.num.partitions': '3',
    'socket.request.max.bytes': '10485760',
    'default.replication.factor': '2',
    'tributary.metadata.etcd.endpoints': etcd.endpoint,
    'tributary.metadata.etcd.prefix': `/tributary/fuzz-${SEED}`,
  };
  const fuzzed = await BrokerChild.start({ ...config, 'node.id': '1' });
  const peer = await BrokerChild.start({ ...config, 'node.id': '2' });
  const brokers = [fuzzed, peer];
  const say = (line: string) => t.diagnostic(`seed ${SEED}: ${line}`);
  try {
    const result = await runCampaign({
      seed: SEED,
      frames: FRAMES,
      connections: 8,
      livenessEvery: 2_000,
      stallMs: 1_000,
      bootstrap: fuzzed.bootstrap,
      seeds: allSeeds(SEED),
      brokerAlive: () => brokers.every((b) => b.exit === null),
    });
    say(summary(SEED, result));
    for (const [name, b] of [['broker 1 (fuzzed)', fuzzed], ['broker 2 (its peer)', peer]] as const) {
      if (b.crashed) {
        const file = dumpRounds('crash', SEED, result.inFlightAtCrash);
        assert.fail(`seed ${SEED}: ${name} exited (${JSON.stringify(b.exit)}); rounds in flight written to ${file}\n${b.tail.join('\n')}`);
      }
      assert.deepEqual([...b.errors], [], `seed ${SEED}: ${name} logged errors`);
    }
    assert.deepEqual(result.livenessFailures, [], `seed ${SEED}: liveness checks failed`);
    assert.ok(result.framesSent >= FRAMES && result.closedByBroker > 0 && result.answered > 0, 'the mutations both broke frames and let some through');

    assert.deepEqual(await kafkajsRoundTrip(fuzzed.bootstrap), ['v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8', 'v9']);
    const admin = new kafkajs.Kafka({ brokers: [peer.bootstrap], logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const [topic] = (await admin.fetchTopicMetadata({ topics: ['after-fuzz'] })).topics;
      assert.deepEqual(
        topic.partitions.map((p) => ({ partition: p.partitionId, replicas: [...p.replicas].sort(), isr: [...p.isr].sort() })).sort((a, b) => a.partition - b.partition),
        [0, 1].map((partition) => ({ partition, replicas: [1, 2], isr: [1, 2] })),
        'the topic created after the fuzzing has both brokers as replicas, both in sync',
      );
    } finally {
      await admin.disconnect();
    }
    for (const b of [peer, fuzzed]) assert.deepEqual(await b.stop(), { code: 0, signal: null }, `seed ${SEED}: a broker did not stop cleanly:\n${b.tail.slice(-20).join('\n')}`);
  } finally {
    for (const b of brokers) if (b.exit === null) b.kill();
  }
});
