// The controller runner against both metadata stores (a real etcd child process for the shared
// one): three broker sessions, a topic with RF=3, a leader's session ending, the controller's
// session ending, controlled shutdown and ElectLeaders.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { newIncarnationId, type BrokerSession, type MetadataStore, type PartitionState, type TopicRecord } from '../../src/metadata/metadata-store.js';
import { SingleNodeMetadataStore } from '../../src/metadata/single-node-store.js';
import { EtcdMetadataStore } from '../../src/metadata/etcd/etcd-store.js';
import { ControllerRunner } from '../../src/controller/controller-runner.js';
import { assignReplicas } from '../../src/controller/replica-assignment.js';
import { initialPartitionState } from '../../src/metadata/metadata-store.js';
import { startEtcd, type EtcdServer } from '../helpers/etcd.js';

let etcd: EtcdServer;
let namespaces = 0;

/** One broker: its store instance (one per process in a real cluster), its session and its runner. */
interface Broker {
  nodeId: number;
  store: MetadataStore;
  session: BrokerSession;
  runner: ControllerRunner | null;
  /** Ends the session as a crash would (etcd: the lease lapses after the session timeout). */
  crash(): Promise<void>;
}

interface Cluster {
  /** The store a test reads through (a broker's, or the shared single node). */
  readonly reader: MetadataStore;
  broker(nodeId: number): Promise<Broker>;
  cleanup(): Promise<void>;
}

type Harness = () => Promise<Cluster>;

const singleNode: Harness = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-ctl-'));
  const store = await SingleNodeMetadataStore.open(dir, 1);
  const brokers: Broker[] = [];
  return {
    reader: store,
    async broker(nodeId) {
      const session = await store.registerBroker(registration(nodeId));
      const b: Broker = { nodeId, store, session, runner: null, crash: () => session.close() };
      brokers.push(b);
      return b;
    },
    async cleanup() {
      await Promise.all(brokers.map((b) => b.runner?.close()));
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
};

const etcdCluster: Harness = async () => {
  const prefix = `/tributary/controller-${process.pid}-${++namespaces}`;
  const open = () => EtcdMetadataStore.open({ endpoints: [etcd.endpoint], prefix, sessionTimeoutMs: 1000, heartbeatIntervalMs: 200 });
  const reader = await open();
  const brokers: Broker[] = [];
  return {
    reader,
    async broker(nodeId) {
      const store = await open();
      const session = await store.registerBroker(registration(nodeId));
      const b: Broker = {
        nodeId,
        store,
        session,
        runner: null,
        // Closing the store stops renewals without unregistering: the lease lapses, as after a crash.
        crash: async () => {
          await b.runner?.close();
          await store.close();
        },
      };
      brokers.push(b);
      return b;
    },
    async cleanup() {
      await Promise.all(brokers.map((b) => b.runner?.close()));
      await Promise.all(brokers.map((b) => b.store.close()));
      await reader.close();
    },
  };
};

function registration(nodeId: number) {
  return { nodeId, incarnationId: newIncarnationId(), endpoints: [{ name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: '127.0.0.1', port: 9092 + nodeId }], rack: null };
}

function startRunner(b: Broker): ControllerRunner {
  b.runner = ControllerRunner.start({ store: b.store, session: b.session, campaignBackoffMs: { initial: 20, max: 200 } });
  return b.runner;
}

async function createTopic(store: MetadataStore, name: string, partitions: number): Promise<TopicRecord> {
  const live = new Set((await store.brokers()).map((b) => b.nodeId));
  const brokers = [...live].map((nodeId) => ({ nodeId, rack: null }));
  const states = assignReplicas(brokers, { partitions, replicationFactor: 3, fixedStartIndex: 0 }, () => 0).map((r) => initialPartitionState(r, (id) => live.has(id)));
  return store.createTopic({ name, configs: {}, partitions: states });
}

/** Waits (through a watch, bounded only to turn a hang into a failure) until the topic's states satisfy `done`. */
async function until(store: MetadataStore, topicId: string, what: string, done: (states: PartitionState[]) => boolean): Promise<PartitionState[]> {
  const latest = new Map<number, PartitionState>();
  let resolve!: () => void;
  const reached = new Promise<void>((r) => (resolve = r));
  const check = () => {
    const states = [...latest.entries()].sort((a, b) => a[0] - b[0]).map(([, s]) => s);
    if (done(states)) resolve();
  };
  const sub = await store.watch({ partitionsOf: topicId }, {
    changes: (batch) => {
      for (const c of batch.changes) if (c.kind === 'partition' && c.state) latest.set(c.partition, c.state.state);
      check();
    },
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([reached, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`never saw ${what}: ${JSON.stringify([...latest])}`)), 30_000)))]);
  } finally {
    clearTimeout(timer);
    await sub.close();
  }
  return (await store.partitionStates(topicId)).map((s) => s.state);
}

/** What Kafka's controller makes of `before` when `dead` are gone: the expected state. */
function afterFailure(before: PartitionState, dead: readonly number[]): PartitionState {
  const isr = before.isr.filter((r) => !dead.includes(r));
  const leader = dead.includes(before.leader) ? (before.replicas.find((r) => isr.includes(r)) ?? -1) : before.leader;
  return { replicas: before.replicas, isr, leader, leaderEpoch: before.leaderEpoch + (leader === before.leader ? 0 : 1), partitionEpoch: before.partitionEpoch + 1 };
}

before(async () => {
  etcd = await startEtcd();
});

after(async () => {
  await etcd?.stop();
});

for (const [name, harness] of [['single-node', singleNode], ['etcd', etcdCluster]] as const) {
  describe(`controller runner on the ${name} store`, () => {
    const withCluster = (title: string, body: (c: Cluster) => Promise<void>) =>
      test(title, { timeout: 90_000 }, async () => {
        const c = await harness();
        try {
          await body(c);
        } finally {
          await c.cleanup();
        }
      });

    withCluster('a leader whose session ends is removed from every ISR and its partitions get the next in-sync replica', async (c) => {
      const brokers = [await c.broker(1), await c.broker(2), await c.broker(3)];
      const topic = await createTopic(c.reader, 'orders', 6);
      const initial = (await c.reader.partitionStates(topic.topicId)).map((s) => s.state);
      assert.deepEqual(initial.map((s) => s.leader), [1, 2, 3, 1, 2, 3]);
      brokers.forEach(startRunner);
      const controller = await Promise.race(brokers.map((b) => b.runner!.becameController().then(() => b)));
      await controller.runner!.controller!.reconciled;
      // A broker that is not the controller dies.
      const victim = brokers.find((b) => b !== controller)!;
      await victim.crash();
      const expected = initial.map((s) => afterFailure(s, [victim.nodeId]));
      const states = await until(c.reader, topic.topicId, `broker ${victim.nodeId} gone from every ISR`, (s) => s.length === 6 && s.every((p) => !p.isr.includes(victim.nodeId)));
      assert.deepEqual(states, expected);
    });

    withCluster('when the controller\'s session ends a campaigning broker takes over and moves the old controller\'s partitions', async (c) => {
      const brokers = [await c.broker(1), await c.broker(2), await c.broker(3)];
      const topic = await createTopic(c.reader, 'orders', 6);
      const initial = (await c.reader.partitionStates(topic.topicId)).map((s) => s.state);
      brokers.forEach(startRunner);
      const controller = await Promise.race(brokers.map((b) => b.runner!.becameController().then(() => b)));
      await controller.runner!.controller!.reconciled;
      const others = brokers.filter((b) => b !== controller);
      await controller.crash();
      const next = await Promise.race(others.map((b) => b.runner!.becameController().then(() => b)));
      assert.notEqual(next.nodeId, controller.nodeId);
      const states = await until(c.reader, topic.topicId, `broker ${controller.nodeId} gone from every ISR`, (s) => s.length === 6 && s.every((p) => !p.isr.includes(controller.nodeId)));
      assert.deepEqual(states, initial.map((s) => afterFailure(s, [controller.nodeId])));
      assert.equal((await c.reader.controller())?.nodeId, next.nodeId);
    });

    withCluster('when the controller dies another broker takes over, and a new controller reconciles brokers that died while there was none', async (c) => {
      const brokers = [await c.broker(1), await c.broker(2), await c.broker(3)];
      const topic = await createTopic(c.reader, 'orders', 6);
      const initial = (await c.reader.partitionStates(topic.topicId)).map((s) => s.state);
      // Only broker 1 campaigns: it is the controller; then 1 and 2 die while nobody else campaigns.
      const first = startRunner(brokers[0]);
      await (await first.becameController()).reconciled;
      await brokers[0].crash();
      await brokers[1].crash();
      await until(c.reader, topic.topicId, 'nothing (brokers gone)', () => true);
      for (;;) {
        const live = (await c.reader.brokers()).map((b) => b.nodeId);
        if (live.length === 1) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(first.controller, null);
      const second = startRunner(brokers[2]);
      await (await second.becameController()).reconciled;
      const states = await until(c.reader, topic.topicId, 'broker 3 leading everything', (s) => s.every((p) => p.leader === 3));
      const expected = initial.map((s) => afterFailure(afterFailure(s, [1]), [2]));
      // One write for both: one partition epoch step, one leader epoch step.
      assert.deepEqual(
        states,
        expected.map((s, i) => ({ ...s, leaderEpoch: initial[i].leaderEpoch + (initial[i].leader === 3 ? 0 : 1), partitionEpoch: initial[i].partitionEpoch + 1 })),
      );
    });

    withCluster('controlled shutdown moves leadership off the broker first; a returning broker gets leadership back by preferred election', async (c) => {
      const brokers = [await c.broker(1), await c.broker(2), await c.broker(3)];
      const topic = await createTopic(c.reader, 'orders', 6);
      brokers.forEach(startRunner);
      const controller = await Promise.race(brokers.map((b) => b.runner!.becameController().then(() => b)));
      await controller.runner!.controller!.reconciled;
      const leaving = brokers.find((b) => b !== controller)!;
      const result = await leaving.runner!.controlledShutdown();
      assert.deepEqual(result, { completed: true, remaining: [], error: null });
      const moved = (await c.reader.partitionStates(topic.topicId)).map((s) => s.state);
      assert.ok(moved.every((s) => s.leader !== leaving.nodeId && !s.isr.includes(leaving.nodeId)), JSON.stringify(moved));

      const notController = brokers.find((b) => b !== controller && b !== leaving)!;
      assert.deepEqual(await notController.runner!.electLeaders('preferred', [{ topic: 'orders', partition: 0 }]), { errorCode: ErrorCode.NOT_CONTROLLER, results: [] });
      // The leaving broker is back in sync (as its leaders would write): preferred election gives it back its partitions.
      const preferredOf = moved.map((s, p) => ({ s, p })).filter(({ s }) => s.replicas[0] === leaving.nodeId);
      for (const { p } of preferredOf) {
        const [current] = (await c.reader.partitionStates(topic.topicId)).filter((v) => v.partition === p);
        const next = { ...current.state, isr: [...current.state.isr, leaving.nodeId], partitionEpoch: current.state.partitionEpoch + 1 };
        assert.equal((await c.reader.updatePartitionState(topic.topicId, p, current.version, next)).ok, true);
      }
      const answer = await controller.runner!.electLeaders('preferred', [...preferredOf.map(({ p }) => ({ topic: 'orders', partition: p })), { topic: 'orders', partition: preferredOf[0].p === 0 ? 1 : 0 }, { topic: 'nope', partition: 0 }]);
      assert.deepEqual(
        answer.results.map((r) => [r.topic, r.partition, r.errorCode]),
        [...preferredOf.map(({ p }) => ['orders', p, 0]), ['orders', preferredOf[0].p === 0 ? 1 : 0, ErrorCode.ELECTION_NOT_NEEDED], ['nope', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]],
      );
      const back = (await c.reader.partitionStates(topic.topicId)).map((s) => s.state);
      for (const { p } of preferredOf) assert.equal(back[p].leader, leaving.nodeId);
    });
  });
}

test('controlled shutdown while etcd is down answers with the error after its retries, and works once etcd is back', { timeout: 90_000 }, async () => {
  const prefix = `/tributary/controller-${process.pid}-${++namespaces}`;
  const open = () => EtcdMetadataStore.open({ endpoints: [etcd.endpoint], prefix, sessionTimeoutMs: 15_000, heartbeatIntervalMs: 500, requestTimeoutMs: 1000 });
  const stores = [await open(), await open()];
  try {
    const sessions = [await stores[0].registerBroker(registration(1)), await stores[1].registerBroker(registration(2))];
    const states = [0, 1, 2, 3].map((p) => ({ replicas: p % 2 ? [2, 1] : [1, 2], isr: [1, 2], leader: p % 2 ? 2 : 1, leaderEpoch: 0, partitionEpoch: 0 }));
    const topic = await stores[0].createTopic({ name: 'orders', configs: {}, partitions: states });
    const controller = ControllerRunner.start({ store: stores[0], session: sessions[0] });
    await (await controller.becameController()).reconciled;
    // One retry, after etcd's client has let its circuit breaker half-open again (1 s).
    const leaving = ControllerRunner.start({ store: stores[1], session: sessions[1], settings: { controlledShutdownMaxRetries: 1, controlledShutdownRetryBackoffMs: 1200 } });
    try {
      await etcd.kill();
      const failed = await leaving.controlledShutdown();
      assert.equal(failed.completed, false);
      assert.match(String(failed.error), /MetadataUnavailableError/);
      await etcd.restart();
      const done = await leaving.controlledShutdown();
      assert.deepEqual(done, { completed: true, remaining: [], error: null });
      const after = (await stores[0].partitionStates(topic.topicId)).map((s) => [s.state.leader, s.state.isr, s.state.leaderEpoch]);
      assert.deepEqual(after, [[1, [1], 0], [1, [1], 1], [1, [1], 0], [1, [1], 1]]);
    } finally {
      await Promise.all([controller.close(), leaving.close()]);
    }
  } finally {
    await Promise.all(stores.map((s) => s.close()));
  }
});
