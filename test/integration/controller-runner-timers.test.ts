// The runner's timers, driven by a manual scheduler on the single-node store: the auto leader
// rebalance check (auto.leader.rebalance.enable, leader.imbalance.*) and the campaign's backoff.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as turn } from 'node:timers/promises';
import { ManualScheduler } from '../../src/coordinator/scheduler.js';
import { newIncarnationId, type BrokerSession, type MetadataStore } from '../../src/metadata/metadata-store.js';
import { SingleNodeMetadataStore } from '../../src/metadata/single-node-store.js';
import { ControllerRunner } from '../../src/controller/controller-runner.js';
import { assignReplicas } from '../../src/controller/replica-assignment.js';
import { initialPartitionState } from '../../src/metadata/metadata-store.js';

function registration(nodeId: number) {
  return { nodeId, incarnationId: newIncarnationId(), endpoints: [], rack: null };
}

async function withStore(body: (store: MetadataStore) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-ctl-timers-'));
  const store = await SingleNodeMetadataStore.open(dir, 1);
  try {
    await body(store);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function leaders(store: MetadataStore, topicId: string): Promise<number[]> {
  return (await store.partitionStates(topicId)).map((s) => s.state.leader);
}

for (const enabled of [true, false]) {
  test(`the leader imbalance check ${enabled ? 'moves leadership back to preferred replicas' : 'does nothing with auto.leader.rebalance.enable=false'}`, async () => {
    await withStore(async (store) => {
      const sessions = [await store.registerBroker(registration(1)), await store.registerBroker(registration(2)), await store.registerBroker(registration(3))];
      const live = new Set([1, 2, 3]);
      const replicas = assignReplicas([...live].map((nodeId) => ({ nodeId, rack: null })), { partitions: 6, replicationFactor: 3, fixedStartIndex: 0 }, () => 0);
      const topic = await store.createTopic({ name: 'orders', configs: {}, partitions: replicas.map((r) => initialPartitionState(r, (id) => live.has(id))) });
      const clock = new ManualScheduler();
      const settings = { autoLeaderRebalanceEnable: enabled, leaderImbalanceCheckIntervalMs: 300_000, leaderImbalancePerBrokerPercentage: 10 };
      const runner = ControllerRunner.start({ store, session: sessions[0], scheduler: clock, settings });
      try {
        await (await runner.becameController()).reconciled;
        assert.deepEqual((await runner.controlledShutdown(2)).completed, true);
        assert.deepEqual(await leaders(store, topic.topicId), [1, 3, 3, 1, 1, 3]);
        // Broker 2 restarts (a new registration) and catches up: its leaders take it back into the ISR.
        await sessions[1].close();
        sessions[1] = await store.registerBroker(registration(2));
        for (const s of await store.partitionStates(topic.topicId)) {
          const next = { ...s.state, isr: [...s.state.isr, 2], partitionEpoch: s.state.partitionEpoch + 1 };
          assert.equal((await store.updatePartitionState(topic.topicId, s.partition, s.version, next)).ok, true);
        }
        clock.advance(299_999);
        for (let i = 0; i < 20; i++) await turn();
        assert.deepEqual(await leaders(store, topic.topicId), [1, 3, 3, 1, 1, 3], 'nothing before leader.imbalance.check.interval.seconds');
        clock.advance(1);
        // The writes go to disk; wait for them (bounded only to turn a hang into a failure).
        for (let i = 0; i < 2000 && enabled && (await leaders(store, topic.topicId))[4] !== 2; i++) await new Promise((r) => setTimeout(r, 5));
        assert.deepEqual(await leaders(store, topic.topicId), enabled ? [1, 2, 3, 1, 2, 3] : [1, 3, 3, 1, 1, 3]);
      } finally {
        await runner.close();
      }
    });
  });
}

test('a campaign that the store rejects is retried after a doubling backoff', async () => {
  await withStore(async (store) => {
    const real = await store.registerBroker(registration(1));
    const attempts: number[] = [];
    const clock = new ManualScheduler(0);
    // The session's campaign fails twice (as when etcd cannot be reached), then goes through.
    const flaky: BrokerSession = {
      broker: real.broker,
      ended: real.ended,
      close: () => real.close(),
      campaignForController: () => {
        attempts.push(clock.now());
        return attempts.length <= 2 ? Promise.reject(new Error('etcd unreachable')) : real.campaignForController();
      },
    };
    const logged: string[] = [];
    const runner = ControllerRunner.start({ store, session: flaky, scheduler: clock, campaignBackoffMs: { initial: 100, max: 1000 }, log: (m) => logged.push(m) });
    try {
      for (let i = 0; i < 100 && !runner.controller; i++) {
        await turn();
        clock.advance(50);
      }
      assert.ok(runner.controller, `became controller after attempts at ${attempts}`);
      assert.deepEqual(attempts, [0, 100, 300], 'retried after 100 ms, then 200 ms');
      assert.ok(logged.some((m) => /campaign failed, retrying in 100 ms: etcd unreachable/.test(m)), logged.join('\n'));
      assert.equal((await store.controller())?.nodeId, 1);
    } finally {
      await runner.close();
    }
    assert.equal(await store.controller(), null, 'closing the runner resigns the role');
  });
});

test('a broker that leaves and registers again before the controller handled its departure counts as bounced: it loses leadership and ISR places', async () => {
  await withStore(async (store) => {
    const sessions = [await store.registerBroker(registration(1)), await store.registerBroker(registration(2)), await store.registerBroker(registration(3))];
    const live = new Set([1, 2, 3]);
    const replicas = assignReplicas([...live].map((nodeId) => ({ nodeId, rack: null })), { partitions: 3, replicationFactor: 3, fixedStartIndex: 0 }, () => 0);
    const topic = await store.createTopic({ name: 'orders', configs: {}, partitions: replicas.map((r) => initialPartitionState(r, (id) => live.has(id))) });
    const runner = ControllerRunner.start({ store, session: sessions[0] });
    try {
      await (await runner.becameController()).reconciled;
      // Broker 3 dies; while the controller writes that, broker 2 leaves and registers again, so
      // both of its changes wait in the controller's queue together, as after a restart faster
      // than the controller could react.
      const closing3 = sessions[2].close();
      const closing2 = sessions[1].close();
      const returning = store.registerBroker(registration(2));
      await Promise.all([closing3, closing2]);
      sessions[1] = await returning;
      const settled = async () => (await store.partitionStates(topic.topicId)).every((s) => s.state.isr.length === 1);
      for (let i = 0; i < 2000 && !(await settled()); i++) await new Promise((r) => setTimeout(r, 5));
      const states = (await store.partitionStates(topic.topicId)).map((s) => s.state);
      assert.deepEqual(states.map((s) => [s.leader, s.isr, s.leaderEpoch]), [
        [1, [1], 0],
        [1, [1], 1],
        [1, [1], 1],
      ]);
    } finally {
      await runner.close();
    }
  });
});
