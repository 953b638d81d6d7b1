// One suite, both implementations of the MetadataStore interface: the single node's files and etcd
// (a real etcd child process). What only a shared store can do (two live instances, leases that
// lapse, etcd going away) is in etcd-metadata-store.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { newIncarnationId, SUPERSEDED, type MetadataStore, type PartitionState, type BrokerRegistration } from '../../src/metadata/metadata-store.js';
import { SingleNodeMetadataStore } from '../../src/metadata/single-node-store.js';
import { EtcdMetadataStore } from '../../src/metadata/etcd/etcd-store.js';
import { startEtcd, type EtcdServer } from '../helpers/etcd.js';
import { WatchRecorder } from '../helpers/metadata-watch.js';

/** Opens a store in a namespace of its own; `reopen` gives another instance of the same store (after closing the first where two cannot coexist). */
interface Harness {
  open(): Promise<{ store: MetadataStore; reopen: (previous: MetadataStore) => Promise<MetadataStore>; cleanup: () => Promise<void> }>;
}

let etcd: EtcdServer;
let namespaces = 0;

const singleNode: Harness = {
  async open() {
    const dir = await mkdtemp(join(tmpdir(), 'tributary-meta-'));
    const open = () => SingleNodeMetadataStore.open(dir, 1);
    return {
      store: await open(),
      reopen: async (previous) => (await previous.close(), open()),
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  },
};

const etcdStore: Harness = {
  async open() {
    const prefix = `/tributary/conformance-${process.pid}-${++namespaces}`;
    const open = () => EtcdMetadataStore.open({ endpoints: [etcd.endpoint], prefix, sessionTimeoutMs: 1000, heartbeatIntervalMs: 250 });
    const opened: MetadataStore[] = [];
    const track = async () => {
      const s = await open();
      opened.push(s);
      return s;
    };
    return { store: await track(), reopen: () => track(), cleanup: async () => void (await Promise.all(opened.map((s) => s.close()))) };
  },
};

function state(leader: number, epoch = 0): PartitionState {
  return { replicas: [1, 2, 3], isr: [1, 2, 3], leader, leaderEpoch: epoch, partitionEpoch: epoch };
}

function registration(nodeId: number, rack: string | null = null): BrokerRegistration {
  return { nodeId, incarnationId: newIncarnationId(), endpoints: [{ name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: '127.0.0.1', port: 9092 + nodeId }], rack };
}

async function rejectsWithCode(p: Promise<unknown>, code: number): Promise<void> {
  await assert.rejects(p, (err: { code?: number }) => err.code === code);
}

before(async () => {
  etcd = await startEtcd();
});

after(async () => {
  await etcd?.stop();
});

for (const [name, harness] of [['single-node', singleNode], ['etcd', etcdStore]] as const) {
  describe(`${name} metadata store`, () => {
    const withStore = (title: string, body: (store: MetadataStore, reopen: (previous: MetadataStore) => Promise<MetadataStore>) => Promise<void>) =>
      test(title, { timeout: 60_000 }, async () => {
        const { store, reopen, cleanup } = await harness.open();
        try {
          await body(store, reopen);
        } finally {
          await cleanup();
        }
      });

    withStore('has one cluster id that every instance reads', async (store, reopen) => {
      assert.match(store.clusterId, /^[A-Za-z0-9_-]{22}$/);
      const again = await reopen(store);
      assert.equal(again.clusterId, store.clusterId);
    });

    withStore('creates, reads, changes and deletes topics, checking names and ids', async (store, reopen) => {
      const orders = await store.createTopic({ name: 'orders', configs: { 'retention.ms': '1000' }, partitions: [state(1), state(2), state(3)] });
      assert.match(orders.topicId, /^[A-Za-z0-9_-]{22}$/);
      assert.deepEqual(orders, { name: 'orders', topicId: orders.topicId, partitions: 3, configs: { 'retention.ms': '1000' } });
      await store.createTopic({ name: 'audit', configs: {}, partitions: [state(1)] });
      assert.deepEqual(await store.topic('orders'), orders);
      assert.equal(await store.topic('missing'), undefined);
      assert.deepEqual((await store.topics()).map((t) => t.name).sort(), ['audit', 'orders']);
      await rejectsWithCode(store.createTopic({ name: 'orders', configs: {}, partitions: [state(1)] }), ErrorCode.TOPIC_ALREADY_EXISTS);

      const states = await store.partitionStates(orders.topicId);
      assert.deepEqual(states.map((s) => [s.partition, s.state]), [[0, state(1)], [1, state(2)], [2, state(3)]]);

      await rejectsWithCode(store.addPartitions('orders', orders.topicId, 2, [state(1)]), ErrorCode.INVALID_PARTITIONS);
      const grown = await store.addPartitions('orders', orders.topicId, 3, [state(2), state(3)]);
      assert.equal(grown.partitions, 5);
      assert.deepEqual((await store.partitionStates(orders.topicId)).map((s) => s.state.leader), [1, 2, 3, 2, 3]);
      const configured = await store.setTopicConfigs('orders', orders.topicId, { 'cleanup.policy': 'compact' });
      assert.deepEqual(configured.configs, { 'cleanup.policy': 'compact' });

      const other = await reopen(store);
      assert.deepEqual(await other.topic('orders'), { ...orders, partitions: 5, configs: { 'cleanup.policy': 'compact' } });

      const wrongId = (await other.topic('audit'))?.topicId ?? '';
      await rejectsWithCode(other.deleteTopic('orders', wrongId), ErrorCode.UNKNOWN_TOPIC_ID);
      await rejectsWithCode(other.setTopicConfigs('orders', wrongId, {}), ErrorCode.UNKNOWN_TOPIC_ID);
      await other.deleteTopic('orders', orders.topicId);
      assert.equal(await other.topic('orders'), undefined);
      assert.deepEqual(await other.partitionStates(orders.topicId), []);
      await rejectsWithCode(other.deleteTopic('orders', orders.topicId), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      const again = await other.createTopic({ name: 'orders', configs: {}, partitions: [state(1)] });
      assert.notEqual(again.topicId, orders.topicId, 'a topic created again gets a new id');
    });

    withStore('changes partition state only by compare-and-set', async (store) => {
      const t = await store.createTopic({ name: 'cas', configs: {}, partitions: [state(1), state(2)] });
      const [p0] = await store.partitionStates(t.topicId);
      const moved = await store.updatePartitionState(t.topicId, 0, p0.version, state(2, 1));
      assert.ok(moved.ok);
      assert.ok(moved.version > p0.version, 'a new version');
      const [now] = await store.partitionStates(t.topicId);
      assert.deepEqual(now, { partition: 0, state: state(2, 1), version: moved.version });

      const lost = await store.updatePartitionState(t.topicId, 0, p0.version, state(3, 1));
      assert.deepEqual(lost, { ok: false, current: { partition: 0, state: state(2, 1), version: moved.version } }, 'a stale version loses and is shown what won');
      assert.deepEqual((await store.partitionStates(t.topicId))[0].state, state(2, 1));

      assert.deepEqual(await store.updatePartitionState(t.topicId, 0, 0, state(3, 2)), { ok: false, current: now }, 'version 0 never matches');
      assert.deepEqual(await store.updatePartitionState(t.topicId, 7, 1, state(3)), { ok: false, current: null }, 'no partition 7');
      await store.deleteTopic('cas', t.topicId);
      assert.deepEqual(await store.updatePartitionState(t.topicId, 0, moved.version, state(3, 2)), { ok: false, current: null }, 'a deleted topic is not written');
      assert.deepEqual(await store.partitionStates(t.topicId), []);
    });

    withStore('applies many compare-and-sets at once, each winning or losing on its own', async (store) => {
      const partitions = Array.from({ length: 300 }, () => state(1));
      const t = await store.createTopic({ name: 'many-cas', configs: {}, partitions });
      const before = await store.partitionStates(t.topicId);
      const all = before.map((p) => ({ topicId: t.topicId, partition: p.partition, expectedVersion: p.version, next: state(2, 1) }));
      const results = await store.updatePartitionStates(all);
      assert.equal(results.length, 300);
      assert.ok(results.every((r) => r.ok && r.version > before[0].version), 'all 300 written (more than one etcd transaction holds)');
      const after = await store.partitionStates(t.topicId);
      assert.deepEqual(after.map((p) => [p.state, p.version]), results.map((r) => [state(2, 1), r.ok ? r.version : -1]));

      // A mix: current versions win, a stale one and a missing partition lose, in request order.
      const mixed = await store.updatePartitionStates([
        { topicId: t.topicId, partition: 0, expectedVersion: after[0].version, next: state(3, 2) },
        { topicId: t.topicId, partition: 1, expectedVersion: before[1].version, next: state(3, 2) },
        { topicId: t.topicId, partition: 999, expectedVersion: 1, next: state(3, 2) },
        { topicId: t.topicId, partition: 2, expectedVersion: after[2].version, next: state(3, 2) },
      ]);
      assert.equal(mixed[0].ok, true);
      assert.deepEqual(mixed[1], { ok: false, current: after[1] });
      assert.deepEqual(mixed[2], { ok: false, current: null });
      assert.equal(mixed[3].ok, true);
      const final = await store.partitionStates(t.topicId);
      assert.deepEqual(final.slice(0, 3).map((p) => p.state), [state(3, 2), state(2, 1), state(3, 2)]);
      assert.deepEqual(await store.updatePartitionStates([]), []);
    });

    withStore('fenced updates are written only while the controller elected at that epoch holds the role', async (store) => {
      const t = await store.createTopic({ name: 'fenced', configs: {}, partitions: [state(1), state(1)] });
      const session = await store.registerBroker(registration(1));
      const leadership = await session.campaignForController();
      const fence = { controllerEpoch: leadership.epoch };
      const [p0, p1] = await store.partitionStates(t.topicId);
      const [ok] = await store.updatePartitionStates([{ topicId: t.topicId, partition: 0, expectedVersion: p0.version, next: state(2, 1) }], fence);
      assert.equal(ok.ok, true);
      // A stale member alone loses; the fence still holds.
      const [stale] = await store.updatePartitionStates([{ topicId: t.topicId, partition: 0, expectedVersion: p0.version, next: state(3, 1) }], fence);
      assert.equal(stale.ok, false);
      await leadership.resign();
      await rejectsWithCode(store.updatePartitionStates([{ topicId: t.topicId, partition: 1, expectedVersion: p1.version, next: state(2, 1) }], fence), ErrorCode.NOT_CONTROLLER);
      const again = await session.campaignForController();
      assert.ok(again.epoch > leadership.epoch);
      await rejectsWithCode(store.updatePartitionStates([{ topicId: t.topicId, partition: 1, expectedVersion: p1.version, next: state(2, 1) }], fence), ErrorCode.NOT_CONTROLLER);
      assert.deepEqual((await store.partitionStates(t.topicId)).map((p) => p.state), [state(2, 1), state(1)], 'the fenced writes changed nothing');
      await session.close();
    });

    withStore('a peer ends a registration at its broker epoch only, taking the controller role with it', async (store) => {
      const one = await store.registerBroker(registration(1));
      const two = await store.registerBroker(registration(2));
      const leadership = await two.campaignForController();
      assert.equal(await store.endBrokerSession(2, two.broker.epoch + 1), false, 'another epoch: a newer process');
      assert.equal(await store.endBrokerSession(7, two.broker.epoch), false, 'not registered');
      assert.deepEqual((await store.brokers()).map((b) => b.nodeId), [1, 2]);
      assert.equal(await store.endBrokerSession(2, two.broker.epoch), true);
      assert.equal((await two.ended).reason, 'expired');
      await leadership.ended;
      assert.deepEqual((await store.brokers()).map((b) => b.nodeId), [1]);
      assert.equal(await store.controller(), null);
      assert.equal(await store.endBrokerSession(2, two.broker.epoch), false, 'already ended');
      // The node registers again at once (a restarted process), at a new epoch.
      const back = await store.registerBroker(registration(2));
      assert.ok(back.broker.epoch > two.broker.epoch);
      await back.close();
      await one.close();
    });

    withStore('keeps security records per kind, writes them all or none, and tells watchers', async (store, reopen) => {
      await store.writeSecurityRecords('scram', [
        { key: 'alice/SCRAM-SHA-256', value: '{"v":1}' },
        { key: 'b/ob with spaces & slashes', value: 'x' },
      ]);
      await store.writeSecurityRecords('acl', [{ key: 'TOPIC:LITERAL:orders', value: '[]' }]);
      const watched = new WatchRecorder();
      const sub = await store.watch({ security: 'scram' }, watched);
      assert.deepEqual(watched.batches[0].changes.map((c) => c.kind === 'security' && [c.key, c.value]).sort(), [
        ['alice/SCRAM-SHA-256', '{"v":1}'],
        ['b/ob with spaces & slashes', 'x'],
      ]);
      await store.writeSecurityRecords('scram', [
        { key: 'alice/SCRAM-SHA-256', value: null },
        { key: 'carol/SCRAM-SHA-512', value: 'y' },
      ]);
      // Another kind's writes are not this watch's.
      await store.writeSecurityRecords('acl', [{ key: 'GROUP:PREFIXED:g', value: '[]' }]);
      await watched.until((r) => r.afterSnapshot.length === 2, 'one deletion and one put');
      assert.deepEqual(watched.afterSnapshot.map((c) => c.kind === 'security' && [c.recordKind, c.key, c.value]).sort(), [
        ['scram', 'alice/SCRAM-SHA-256', null],
        ['scram', 'carol/SCRAM-SHA-512', 'y'],
      ]);
      await sub.close();
      await assert.rejects(store.writeSecurityRecords('scram', Array.from({ length: 101 }, (_, i) => ({ key: `u${i}`, value: 'v' }))), RangeError);
      const again = await reopen(store);
      assert.deepEqual([...(await again.securityRecords('scram'))].sort(), [
        ['b/ob with spaces & slashes', 'x'],
        ['carol/SCRAM-SHA-512', 'y'],
      ]);
      assert.deepEqual([...(await again.securityRecords('acl'))].map(([k]) => k).sort(), ['GROUP:PREFIXED:g', 'TOPIC:LITERAL:orders']);
      assert.equal((await again.securityRecords('quota')).size, 0);
      if (again !== store) await again.close();
    });

    withStore('watches deliver a snapshot, then every change in revision order', async (store) => {
      const existing = await store.createTopic({ name: 'before', configs: {}, partitions: [state(1)] });
      const topics = new WatchRecorder();
      const partitions = new WatchRecorder();
      const subs = [await store.watch('topics', topics), await store.watch('partitions', partitions)];
      assert.deepEqual(topics.batches[0].changes, [{ kind: 'topic', name: 'before', topic: existing }]);
      assert.equal(topics.batches[0].snapshot, true);
      assert.deepEqual(partitions.batches[0].changes.map((c) => c.kind === 'partition' && [c.topicId, c.partition]), [[existing.topicId, 0]]);

      const t = await store.createTopic({ name: 'watched', configs: {}, partitions: [state(1), state(2)] });
      const own = new WatchRecorder();
      const ownSub = await store.watch({ partitionsOf: t.topicId }, own);
      let version = (await store.partitionStates(t.topicId))[1].version;
      for (let epoch = 1; epoch <= 3; epoch++) {
        const r = await store.updatePartitionState(t.topicId, 1, version, state(epoch % 3 + 1, epoch));
        assert.ok(r.ok);
        version = r.version;
      }
      await store.setTopicConfigs('watched', t.topicId, { 'retention.ms': '5' });
      await store.deleteTopic('watched', t.topicId);

      await topics.until((r) => r.afterSnapshot.length === 3, 'the topic created, changed and deleted');
      await partitions.until((r) => r.afterSnapshot.length === 7, 'two partitions created, three updates, two deletions');
      await own.until((r) => r.afterSnapshot.length === 5, 'three updates and two deletions');
      for (const r of [topics, partitions, own]) {
        const revisions = r.batches.map((b) => b.revision);
        assert.deepEqual(revisions, [...revisions].sort((a, b) => a - b), 'revision order');
        assert.equal(new Set(revisions).size, revisions.length, 'one batch per revision');
        assert.ok(r.batches.slice(1).every((b) => !b.snapshot));
      }
      assert.deepEqual(
        topics.afterSnapshot.map((c) => c.kind === 'topic' && [c.name, c.topic?.configs ?? null]),
        [['watched', {}], ['watched', { 'retention.ms': '5' }], ['watched', null]],
      );
      const leaders = own.afterSnapshot.map((c) => c.kind === 'partition' && [c.partition, c.state?.state.leader ?? null]);
      assert.deepEqual(leaders.slice(0, 3), [[1, 2], [1, 3], [1, 1]]);
      assert.deepEqual(leaders.slice(3).sort(), [[0, null], [1, null]]);
      assert.deepEqual(own.batches[0].changes.map((c) => c.kind === 'partition' && c.partition).sort(), [0, 1]);
      for (const s of [...subs, ownSub]) await s.close();
    });

    withStore('creates and deletes a topic of 1000 partitions (more than one etcd transaction holds)', async (store) => {
      const watch = new WatchRecorder();
      const sub = await store.watch('partitions', watch);
      const states = Array.from({ length: 1000 }, (_, p) => ({ ...state((p % 3) + 1), leaderEpoch: p }));
      const big = await store.createTopic({ name: 'big', configs: {}, partitions: states });
      assert.equal(big.partitions, 1000);
      const read = await store.partitionStates(big.topicId);
      assert.deepEqual(read.map((s) => s.partition), states.map((_, p) => p));
      assert.deepEqual(read.map((s) => s.state), states);
      await watch.until((r) => r.afterSnapshot.length === 1000, 'all 1000 partitions');
      assert.deepEqual(new Set(watch.afterSnapshot.map((c) => c.kind === 'partition' && c.partition)).size, 1000);
      await store.deleteTopic('big', big.topicId);
      await watch.until((r) => r.afterSnapshot.length === 2000, '1000 deletions');
      assert.deepEqual(await store.partitionStates(big.topicId), []);
      await sub.close();
    });

    withStore('hands out producer id blocks that never overlap, across instances', async (store, reopen) => {
      const blocks = [await store.allocateProducerIds(1), await store.allocateProducerIds(1)];
      const other = await reopen(store);
      blocks.push(await other.allocateProducerIds(2), await other.allocateProducerIds(2));
      assert.ok(blocks.every((b) => b.size === 1000));
      const starts = blocks.map((b) => b.firstId).sort((a, b) => (a < b ? -1 : 1));
      for (let i = 1; i < starts.length; i++) assert.ok(starts[i] >= starts[i - 1] + 1000n, `blocks overlap: ${starts}`);
    });

    withStore('registers brokers until their session closes; one live registration per node id', async (store) => {
      const watch = new WatchRecorder();
      const sub = await store.watch('brokers', watch);
      assert.deepEqual(watch.batches[0].changes, []);
      const one = await store.registerBroker(registration(1, 'rack-a'));
      const two = await store.registerBroker(registration(2));
      assert.equal(one.broker.rack, 'rack-a');
      assert.ok(two.broker.epoch > one.broker.epoch, 'broker epochs grow');
      assert.deepEqual(await store.brokers(), [one.broker, two.broker]);
      await rejectsWithCode(store.registerBroker(registration(1)), ErrorCode.DUPLICATE_BROKER_REGISTRATION);

      await one.close();
      assert.deepEqual(await one.ended, { reason: 'closed' });
      assert.deepEqual(await store.brokers(), [two.broker]);
      await watch.until((r) => r.afterSnapshot.length === 3, 'two registrations and one removal');
      assert.deepEqual(
        watch.afterSnapshot.map((c) => c.kind === 'broker' && [c.nodeId, c.broker?.endpoints[0].port ?? null]),
        [[1, 9093], [2, 9094], [1, null]],
      );
      const again = await store.registerBroker(registration(1));
      assert.ok(again.broker.epoch > two.broker.epoch, 'a new registration, a new epoch');
      const sameProcess = await store.registerBroker({ ...again.broker });
      assert.deepEqual(await again.ended, { reason: 'expired', message: SUPERSEDED }, 'the same process registering again ends its previous session');
      assert.ok(sameProcess.broker.epoch > again.broker.epoch);
      assert.deepEqual(await store.brokers(), [sameProcess.broker, two.broker]);
      await sameProcess.close();
      await two.close();
      await sub.close();
    });

    withStore('elects one controller at a time, with a higher epoch each time', async (store) => {
      const watch = new WatchRecorder();
      const sub = await store.watch('controller', watch);
      const one = await store.registerBroker(registration(1));
      const two = await store.registerBroker(registration(2));
      const first = await one.campaignForController();
      assert.deepEqual(await store.controller(), { nodeId: 1, epoch: first.epoch });
      let secondElected = false;
      const second = two.campaignForController().then((l) => ((secondElected = true), l));
      await watch.until((r) => r.afterSnapshot.length === 1, 'the first controller');
      assert.equal(secondElected, false, 'broker 2 waits while broker 1 is the controller');

      await first.resign();
      await first.ended;
      const next = await second;
      assert.equal(next.nodeId, 2);
      assert.ok(next.epoch > first.epoch);
      assert.deepEqual(await store.controller(), { nodeId: 2, epoch: next.epoch });

      await two.close(); // the controller role goes with the session
      await next.ended;
      assert.equal(await store.controller(), null);
      await watch.until((r) => r.afterSnapshot.length === 4, 'elected, resigned, elected, gone');
      assert.deepEqual(
        watch.afterSnapshot.map((c) => c.kind === 'controller' && (c.controller?.nodeId ?? null)),
        [1, null, 2, null],
      );
      await one.close();
      await sub.close();
    });
  });
}
