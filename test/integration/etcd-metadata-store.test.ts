// What only a shared store does, against a real etcd: several store instances racing, sessions
// that lapse when a broker stops renewing, a broker cut off from etcd (through a TCP proxy),
// watches resuming after a lost link or re-reading after compaction, and etcd killed and restarted.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { EtcdMetadataStore, type EtcdStoreOptions } from '../../src/metadata/etcd/etcd-store.js';
import { EtcdKeys } from '../../src/metadata/etcd/etcd-keys.js';
import { MetadataUnavailableError } from '../../src/metadata/metadata-errors.js';
import { newIncarnationId, type BrokerRegistration, type PartitionState } from '../../src/metadata/metadata-store.js';
import { startEtcd, type EtcdServer } from '../helpers/etcd.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { untilAvailable, WatchRecorder } from '../helpers/metadata-watch.js';
import { ScramCredentials } from '../../src/security/sasl/scram-credentials.js';
import { ClientQuotas } from '../../src/security/quota/client-quotas.js';
import { credentialFromSaltedPassword, saltPassword } from '../../src/security/sasl/scram-formulas.js';

/** Only turns a hang into a failure; the tests take a few seconds. */
const BOUND_MS = 60_000;
const SHORT_SESSION = { sessionTimeoutMs: 1000, heartbeatIntervalMs: 250 };

function state(leader: number, epoch = 0): PartitionState {
  return { replicas: [1, 2, 3], isr: [1, 2, 3], leader, leaderEpoch: epoch, partitionEpoch: epoch };
}

function registration(nodeId: number): BrokerRegistration {
  return { nodeId, incarnationId: newIncarnationId(), endpoints: [{ name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: '127.0.0.1', port: 9092 }], rack: null };
}

/** Compacts etcd's history up to now: a watch that was away cannot replay it and must re-read. */
async function compactHistory(endpoint: string): Promise<void> {
  const raw = new Etcd3({ hosts: endpoint });
  try {
    const { header } = await raw.kv.range({ key: Buffer.from('/') });
    await raw.kv.compact({ revision: header.revision, physical: true });
  } finally {
    raw.close();
  }
}

const unavailable = (err: unknown) => err instanceof MetadataUnavailableError;

async function rejectsWithDuplicate(p: Promise<unknown>): Promise<void> {
  await assert.rejects(p, (err: { code?: number }) => err.code === ErrorCode.DUPLICATE_BROKER_REGISTRATION);
}

describe('etcd metadata store, shared by several instances', () => {
  let etcd: EtcdServer;
  let namespaces = 0;
  const cleanups: (() => Promise<void>)[] = [];

  /** Store instances on one fresh prefix: `open()` connects directly, `open(proxy)` through a proxy. */
  const cluster = () => {
    const prefix = `/tributary/shared-${process.pid}-${++namespaces}`;
    const open = async (proxy?: TcpProxy, extra: Partial<EtcdStoreOptions> = {}) => {
      const store = await EtcdMetadataStore.open({ endpoints: [proxy?.endpoint ?? etcd.endpoint], prefix, ...SHORT_SESSION, ...extra });
      cleanups.push(() => store.close());
      return store;
    };
    return Object.assign(open, { keys: new EtcdKeys(prefix) });
  };
  const proxy = async () => {
    const p = await startTcpProxy('127.0.0.1', Number(new URL(etcd.endpoint).port));
    cleanups.push(() => p.close());
    return p;
  };

  before(async () => {
    etcd = await startEtcd();
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c();
    await etcd?.stop();
  });

  test('concurrent compare-and-set from two instances: exactly one wins each round', { timeout: BOUND_MS }, async () => {
    const open = cluster();
    const [a, b] = [await open(), await open()];
    const t = await a.createTopic({ name: 'race', configs: {}, partitions: [state(1)] });
    for (let round = 1; round <= 10; round++) {
      const [{ version }] = await b.partitionStates(t.topicId);
      const [ra, rb] = await Promise.all([
        a.updatePartitionState(t.topicId, 0, version, state(1, round)),
        b.updatePartitionState(t.topicId, 0, version, state(2, round)),
      ]);
      assert.equal([ra, rb].filter((r) => r.ok).length, 1, `round ${round}: one winner`);
      const [winner, loser] = ra.ok ? [ra, rb] : [rb, ra];
      assert.ok(winner.ok && !loser.ok);
      const [now] = await a.partitionStates(t.topicId);
      assert.equal(now.version, winner.version);
      assert.deepEqual(loser.current, now, 'the loser is shown the state that won');
      assert.equal(now.state.leader, ra.ok ? 1 : 2);
    }
  });

  test('concurrent creation of one topic name: one wins, the loser leaves no partition keys', { timeout: BOUND_MS }, async () => {
    const open = cluster();
    const [a, b] = [await open(), await open()];
    const results = await Promise.allSettled([
      a.createTopic({ name: 'same', configs: {}, partitions: Array.from({ length: 300 }, () => state(1)) }),
      b.createTopic({ name: 'same', configs: {}, partitions: Array.from({ length: 300 }, () => state(2)) }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    assert.equal(won.length, 1);
    assert.equal((lost[0] as PromiseRejectedResult).reason.code, ErrorCode.TOPIC_ALREADY_EXISTS);
    const topic = (won[0] as PromiseFulfilledResult<{ topicId: string }>).value;
    const seen = new WatchRecorder();
    const sub = await a.watch('partitions', seen);
    const topicIds = new Set(seen.batches[0].changes.map((c) => c.kind === 'partition' && c.topicId));
    assert.deepEqual([...topicIds], [topic.topicId], 'only the winner has partition states');
    assert.equal(seen.batches[0].changes.length, 300);
    await sub.close();
  });

  test('producer id blocks from two instances allocating at once never overlap', { timeout: BOUND_MS }, async () => {
    const open = cluster();
    const [a, b] = [await open(), await open()];
    const blocks = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).allocateProducerIds(i % 2 ? 1 : 2)));
    const starts = blocks.map((x) => x.firstId).sort((x, y) => (x < y ? -1 : 1));
    assert.deepEqual(starts, Array.from({ length: 20 }, (_, i) => BigInt(i * 1000)), 'consecutive, disjoint blocks');
  });

  test('a broker that stops renewing disappears for the others once its lease lapses', { timeout: BOUND_MS }, async () => {
    const open = cluster();
    const [a, b] = [await open(), await open()];
    const watch = new WatchRecorder();
    await b.watch('brokers', watch);
    const session = await a.registerBroker(registration(1));
    await watch.until((r) => r.all.some((c) => c.kind === 'broker' && c.broker?.epoch === session.broker.epoch), 'the registration');
    assert.deepEqual(await b.brokers(), [session.broker]);

    await a.close(); // stops renewing without unregistering, as a crashed broker would
    await watch.until((r) => r.all.some((c) => c.kind === 'broker' && c.nodeId === 1 && c.broker === null), 'the registration lapsing');
    assert.deepEqual(await b.brokers(), []);
    assert.deepEqual(await session.ended, { reason: 'closed' });
  });

  test('a broker cut off from etcd judges its own session expired; its controller role passes on', { timeout: BOUND_MS }, async () => {
    const open = cluster();
    const link = await proxy();
    const [a, b] = [await open(link), await open()];
    const brokers = new WatchRecorder();
    await b.watch('brokers', brokers);
    const mine = registration(1);
    const sessionA = await a.registerBroker(mine);
    const sessionB = await b.registerBroker(registration(2));
    const leadA = await sessionA.campaignForController();
    const leadB = sessionB.campaignForController();

    link.cut();
    const end = await sessionA.ended;
    assert.equal(end.reason, 'expired', 'with etcd unreachable, the session times out on its own side');
    await leadA.ended;
    const next = await leadB;
    assert.equal(next.nodeId, 2);
    assert.ok(next.epoch > leadA.epoch, 'a new controller epoch');
    await brokers.until((r) => r.all.some((c) => c.kind === 'broker' && c.nodeId === 1 && c.broker === null), 'broker 1 gone');

    link.restore();
    const back = await untilAvailable(() => a.registerBroker(mine), unavailable);
    assert.ok(back.broker.epoch > sessionA.broker.epoch, 'registered again, with a new broker epoch');
    assert.deepEqual((await b.brokers()).map((x) => x.nodeId), [1, 2]);
  });

  test('a session whose lease etcd no longer has ends as expired, and the same process may register again', { timeout: BOUND_MS }, async () => {
    const open = cluster();
    const a = await open();
    const mine = registration(1);
    const session = await a.registerBroker(mine);
    const raw = new Etcd3({ hosts: etcd.endpoint });
    try {
      const { kvs } = await raw.kv.range({ key: Buffer.from(open.keys.broker(1)) });
      await raw.leaseClient.leaseRevoke({ ID: kvs[0].lease }); // as an operator with etcdctl might
    } finally {
      raw.close();
    }
    const end = await session.ended;
    assert.deepEqual(end, { reason: 'expired', message: 'etcd no longer has the session lease: it expired' });
    const again = await a.registerBroker(mine);
    assert.ok(again.broker.epoch > session.broker.epoch);
    await rejectsWithDuplicate(a.registerBroker(registration(1)));
  });

  test('with etcd black-holed, a call fails at its deadline instead of hanging', { timeout: BOUND_MS }, async () => {
    const open = cluster();
    const link = await proxy();
    const a = await open(link, { requestTimeoutMs: 300 });
    await a.createTopic({ name: 'x', configs: {}, partitions: [state(1)] });
    link.blackhole();
    await assert.rejects(a.topic('x'), (err: Error) => err instanceof MetadataUnavailableError && /is unreachable: read failed: .*deadline/i.test(err.message));
    link.restore();
    assert.equal((await untilAvailable(() => a.topic('x'), unavailable))?.name, 'x');
  });

  test('a watch resumes after a lost link from the revision it had reached, missing nothing', { timeout: BOUND_MS }, async () => {
    const open = cluster();
    const link = await proxy();
    const [a, b] = [await open(link), await open()];
    const watch = new WatchRecorder();
    await a.watch('topics', watch);
    link.cut();
    await watch.until((r) => r.connections.includes('lost'), 'the link lost');
    for (const name of ['t1', 't2', 't3']) await b.createTopic({ name, configs: {}, partitions: [state(1)] });
    const t1 = await b.topic('t1');
    await b.deleteTopic('t1', t1?.topicId ?? '');
    link.restore();
    await watch.until((r) => r.afterSnapshot.length === 4, 'the four changes made while cut off');
    assert.deepEqual(watch.afterSnapshot.map((c) => c.kind === 'topic' && [c.name, c.topic !== null]), [['t1', true], ['t2', true], ['t3', true], ['t1', false]]);
    assert.ok(watch.batches.slice(1).every((x) => !x.snapshot), 'replayed from etcd history, not re-read');
    assert.ok(watch.connections.includes('restored'));
  });

  test('a watch whose revision was compacted meanwhile re-reads and delivers the difference', { timeout: BOUND_MS }, async () => {
    const open = cluster();
    const link = await proxy();
    const [a, b] = [await open(link), await open()];
    const old = await b.createTopic({ name: 'old', configs: {}, partitions: [state(1)] });
    const kept = await b.createTopic({ name: 'kept', configs: {}, partitions: [state(1)] });
    const watch = new WatchRecorder();
    await a.watch('topics', watch);
    link.cut();
    await watch.until((r) => r.connections.includes('lost'), 'the link lost');
    await b.deleteTopic('old', old.topicId);
    const fresh = await b.createTopic({ name: 'new', configs: {}, partitions: [state(1)] });
    await compactHistory(etcd.endpoint);
    link.restore();
    await watch.until((r) => r.batches.length >= 2, 'the re-read');
    const resync = watch.batches[1];
    assert.equal(resync.snapshot, true);
    assert.deepEqual(
      resync.changes.map((c) => c.kind === 'topic' && [c.name, c.topic?.topicId ?? null]).sort(),
      [['new', fresh.topicId], ['old', null]],
      'what changed while it was away, and nothing else',
    );
    await b.setTopicConfigs('kept', kept.topicId, { 'retention.ms': '1' });
    await watch.until((r) => r.batches.length >= 3, 'the next change');
    assert.deepEqual(watch.batches[2].changes, [{ kind: 'topic', name: 'kept', topic: { ...kept, configs: { 'retention.ms': '1' } } }]);
    assert.equal(watch.batches[2].snapshot, false, 'watching again from the re-read revision');
  });

  test('SCRAM credentials and client quotas held from a watch keep what a re-read after compaction does not list', { timeout: BOUND_MS }, async () => {
    const open = cluster();
    const link = await proxy();
    const [a, b] = [await open(link), await open()];
    const credential = (user: string) => credentialFromSaltedPassword('SCRAM-SHA-256', saltPassword('SCRAM-SHA-256', `${user}-secret`, Buffer.from(`${user}-salt`), 4096), Buffer.from(`${user}-salt`), 4096);
    const settings = { windows: 11, windowMs: 1000 };
    const writer = { scram: await ScramCredentials.open(b, () => {}), quotas: await ClientQuotas.open(b, settings, () => {}) };
    cleanups.push(() => writer.scram.close(), () => writer.quotas.close());
    await writer.scram.apply(['alice', 'bob'].map((user) => ({ user, mechanism: 'SCRAM-SHA-256', credential: credential(user) })));
    await writer.quotas.apply([{ entity: { user: 'alice' }, values: { producer_byte_rate: 1000 } }, { entity: { user: 'bob' }, values: { producer_byte_rate: 2000 } }]);
    const reader = { scram: await ScramCredentials.open(a, () => {}), quotas: await ClientQuotas.open(a, settings, () => {}) };
    cleanups.push(() => reader.scram.close(), () => reader.quotas.close());
    assert.deepEqual([...reader.scram.list().keys()].sort(), ['alice', 'bob']);
    const watch = new WatchRecorder();
    await a.watch({ security: 'scram' }, watch);
    link.cut();
    await watch.until((r) => r.connections.includes('lost'), 'the link lost');
    // While a is away: bob goes, carol comes, alice is left alone; then the history is compacted.
    await writer.scram.apply([{ user: 'bob', mechanism: 'SCRAM-SHA-256', credential: null }, { user: 'carol', mechanism: 'SCRAM-SHA-256', credential: credential('carol') }]);
    await writer.quotas.apply([{ entity: { user: 'bob' }, values: {} }, { entity: { user: 'carol' }, values: { producer_byte_rate: 3000 } }]);
    await compactHistory(etcd.endpoint);
    link.restore();
    await watch.until((r) => r.batches.length >= 2, 'the re-read');
    assert.equal(watch.batches[1].snapshot, true);
    assert.deepEqual(watch.batches[1].changes.map((c) => c.kind === 'security' && [c.key.includes('carol'), c.value === null]).sort(), [[false, true], [true, false]], 'the re-read lists only bob gone and carol new');
    // The readers' own watches re-read the same way; each is followed until it shows carol.
    await untilAvailable(async () => {
      if (!reader.scram.lookup('carol', 'SCRAM-SHA-256') || reader.quotas.valuesOf({ user: 'carol' }).producer_byte_rate !== 3000) throw new Error('not yet');
    }, () => true);
    assert.deepEqual([...reader.scram.list().keys()].sort(), ['alice', 'carol'], 'alice, not in the re-read, is kept');
    assert.deepEqual(reader.scram.lookup('alice', 'SCRAM-SHA-256')?.storedKey, credential('alice').storedKey);
    assert.deepEqual(reader.quotas.entries().map((e) => [e.entity.user, e.values.producer_byte_rate]).sort(), [['alice', 1000], ['carol', 3000]]);
  });
});

describe('etcd metadata store while etcd is killed and restarted', () => {
  let etcd: EtcdServer;
  before(async () => {
    etcd = await startEtcd();
  });
  after(async () => {
    await etcd?.stop();
  });

  test('operations fail clearly while etcd is down and work after; sessions and watches recover', { timeout: BOUND_MS }, async () => {
    // A session timeout that outlasts the restart, so the registration must survive it.
    const store = await EtcdMetadataStore.open({ endpoints: [etcd.endpoint], prefix: '/tributary/restart', sessionTimeoutMs: 5000, heartbeatIntervalMs: 250 });
    try {
      const session = await store.registerBroker(registration(1));
      let sessionEnded = false;
      void session.ended.then(() => (sessionEnded = true));
      const watch = new WatchRecorder();
      await store.watch('topics', watch);
      await store.createTopic({ name: 'before', configs: {}, partitions: [state(1)] });

      await etcd.kill();
      await watch.until((r) => r.connections.includes('lost'), 'the watch losing etcd');
      await assert.rejects(store.topics(), (err: Error) => {
        assert.ok(err instanceof MetadataUnavailableError, String(err));
        assert.match(err.message, new RegExp(`etcd \\(${etcd.endpoint}\\) is unreachable: range read failed`));
        assert.equal(err.code, ErrorCode.REQUEST_TIMED_OUT);
        return true;
      });
      await assert.rejects(store.createTopic({ name: 'during', configs: {}, partitions: [state(1)] }), MetadataUnavailableError);
      await assert.rejects(EtcdMetadataStore.open({ endpoints: [etcd.endpoint], prefix: '/tributary/restart' }), MetadataUnavailableError);

      await etcd.restart();
      await untilAvailable(() => store.createTopic({ name: 'after', configs: {}, partitions: [state(1)] }), unavailable);
      await watch.until((r) => r.all.some((c) => c.kind === 'topic' && c.name === 'after'), 'the topic created after the restart');
      assert.deepEqual(watch.afterSnapshot.map((c) => c.kind === 'topic' && c.name), ['before', 'after']);
      assert.ok(watch.connections.includes('restored'));
      assert.deepEqual((await store.topics()).map((t) => t.name), ['after', 'before']);
      assert.deepEqual(await store.brokers(), [session.broker], 'the registration survived, same epoch');
      assert.equal(sessionEnded, false);
      await session.close();
      assert.deepEqual(await store.brokers(), []);
    } finally {
      await store.close();
    }
  });
});
