// SASL between brokers: a three-broker cluster (real etcd) whose only listener is SASL_PLAINTEXT.
// Clients authenticate with PLAIN (kafkajs, kcat); the brokers reach each other with
// sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512 as User:broker, whose credential an operator
// creates after the start, as Kafka's docs have it (AlterUserScramCredentials). Until it exists the
// followers cannot authenticate and acks=all writes that need them are refused; once it does they
// replicate an RF=3 topic, and with an authorizer their fetches are allowed only because
// User:broker is a super user. A broker with a wrong password replicates nothing, logs why, and
// does not stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import kafkajs from 'kafkajs';
import { pino } from 'pino';
import { startCluster, type RunningCluster } from '../../src/broker/cluster.js';
import { startEtcd } from '../helpers/etcd.js';
import { startBroker } from '../helpers/broker.js';
import { kcat } from '../helpers/kcat.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { saltPassword } from '../../src/security/sasl/scram-formulas.js';
import type { AlterUserScramCredentialsResponse } from '../../src/protocol/generated/index.js';

const { Kafka, logLevel } = kafkajs;

const CLIENTS_JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-secret" user_alice="alice-secret";';
const brokerJaas = (password: string) => `org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="${password}";`;
const ALICE = { mechanism: 'plain' as const, username: 'alice', password: 'alice-secret' };
const ADMIN = { mechanism: 'PLAIN', username: 'admin', password: 'admin-secret' };

function saslClusterConfig(brokerPassword: string): Record<string, string> {
  return {
    listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
    'inter.broker.listener.name': 'SASL_PLAINTEXT',
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
    'listener.name.sasl_plaintext.plain.sasl.jaas.config': CLIENTS_JAAS,
    'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config': brokerJaas(brokerPassword),
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'super.users': 'User:broker;User:admin',
    'allow.everyone.if.no.acl.found': 'true',
    'offsets.topic.num.partitions': '3',
    'replica.fetch.wait.max.ms': '100',
    'replica.fetch.backoff.ms': '100',
  };
}

async function createBrokerUser(bootstrap: string, password: string): Promise<void> {
  const conn = await KafkaConnection.open(bootstrap, 10_000, 'cluster-sasl-test', ADMIN);
  try {
    const salt = randomBytes(16);
    const res = await conn.request<AlterUserScramCredentialsResponse>(51, 0, { deletions: [], upsertions: [{ name: 'broker', mechanism: 2, iterations: 4096, salt, saltedPassword: saltPassword('SCRAM-SHA-512', password, salt, 4096) }] });
    assert.deepEqual(res.results.map((r) => [r.user, r.errorCode]), [['broker', 0]]);
  } finally {
    conn.close();
  }
}

/** A logger (at `warn` unless told) whose lines land in `lines`. */
function capturingLogger(lines: string[], level = 'warn') {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter((l) => l !== ''));
      done();
    },
  });
  return pino({ level }, stream);
}

async function waitFor(what: string, check: () => Promise<boolean>, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    if (await check().catch((err: unknown) => ((last = err), false))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}

test('brokers authenticate to each other with SCRAM-SHA-512 over their only (SASL_PLAINTEXT) listener, once the operator created their user', { timeout: 120_000 }, async () => {
  const cluster: RunningCluster = await startCluster({ brokers: 3, config: saslClusterConfig('broker-secret') });
  const kafka = new Kafka({ brokers: cluster.bootstrap.split(','), sasl: ALICE, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
  const admin = kafka.admin();
  try {
    await admin.connect();
    assert.equal(await admin.createTopics({ topics: [{ topic: 'sasl-replicated', numPartitions: 3, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '3' }] }] }), true);
    const brokers = [1, 2, 3].map((id) => cluster.brokers.get(id)!);

    // Without User:broker no follower authenticates: the leaders shrink their ISRs and refuse acks=all.
    const refusing = kafka.producer({ retry: { retries: 0 } });
    await refusing.connect();
    await waitFor('acks=all refused while the followers cannot authenticate', async () => {
      const err = await refusing.send({ topic: 'sasl-replicated', acks: -1, timeout: 500, messages: [{ partition: 0, value: 'refused' }] }).then(() => null, (e: unknown) => e as { type?: string; cause?: { type?: string } });
      return err !== null;
    });
    await refusing.disconnect();
    for (let p = 0; p < 3; p++) {
      const ends = brokers.map((b) => b.partitionForTests('sasl-replicated', p)?.logEndOffset ?? -1);
      const leader = brokers.find((b) => b.partitionForTests('sasl-replicated', p)?.isLeader);
      assert.ok(leader, `partition ${p} has a leader`);
      assert.deepEqual(ends.filter((e, i) => brokers[i] !== leader), [0, 0], `partition ${p}: no follower copied anything (${ends.join(',')})`);
    }

    await createBrokerUser(brokers[0].bootstrap, 'broker-secret');
    const producer = kafka.producer();
    await producer.connect();
    const sent = Array.from({ length: 60 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));
    // min.insync.replicas=3: acknowledged only once both followers fetched it, authenticated as User:broker.
    await waitFor('the followers back in sync', async () => {
      const md = await admin.fetchTopicMetadata({ topics: ['sasl-replicated'] });
      return md.topics[0].partitions.every((p) => p.isr.length === 3);
    });
    await producer.send({ topic: 'sasl-replicated', acks: -1, messages: sent });
    await producer.disconnect();
    const offsets = await admin.fetchTopicOffsets('sasl-replicated');
    const high = (p: number) => Number(offsets.find((o) => o.partition === p)?.high);
    await waitFor('every copy holding every record', async () =>
      [0, 1, 2].every((p) => brokers.every((b) => b.partitionForTests('sasl-replicated', p)?.logEndOffset === high(p))),
    );
    // The refused writes were appended by their leader before the refusal; whatever is there, the 60 are there once, in order.
    const { stdout } = await kcat(['-C', '-b', cluster.bootstrap, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=PLAIN', '-X', 'sasl.username=alice', '-X', 'sasl.password=alice-secret', '-t', 'sasl-replicated', '-o', 'beginning', '-e', '-q', '-f', '%k=%s\\n']);
    const read = stdout.split('\n').filter((l) => l !== '' && !l.endsWith('=refused'));
    assert.deepEqual(read.sort(), sent.map((m) => `${m.key}=${m.value}`).sort());
  } finally {
    await admin.disconnect().catch(() => undefined);
    await cluster.stop();
  }
});

test('a broker with a wrong inter-broker password replicates nothing, says why in its log, and keeps serving', { timeout: 120_000 }, async () => {
  const etcd = await startEtcd();
  const prefix = `/tributary/sasl-${randomBytes(4).toString('hex')}`;
  const shared = { 'tributary.metadata.etcd.endpoints': etcd.endpoint, 'tributary.metadata.etcd.prefix': prefix };
  const good = await startBroker({ port: 0, nodeId: 1, config: { ...saslClusterConfig('broker-secret'), ...shared } });
  const lines: string[] = [];
  const wrong = await startBroker({ port: 0, nodeId: 2, logger: capturingLogger(lines), config: { ...saslClusterConfig('not-the-password'), ...shared } });
  try {
    await createBrokerUser(good.bootstrap, 'broker-secret');
    const kafka = new Kafka({ brokers: [good.bootstrap], sasl: ALICE, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'led-by-1', replicaAssignment: [{ partition: 0, replicas: [1, 2] }] }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'led-by-1', acks: 1, messages: [{ value: 'one' }, { value: 'two' }] });
    await waitFor('broker 2 to log why it cannot fetch', async () => lines.some((l) => /SASL authentication failed/.test(l)));
    await waitFor('broker 1 to drop broker 2 from the ISR', async () => (await admin.fetchTopicMetadata({ topics: ['led-by-1'] })).topics[0].partitions[0].isr.join() === '1');
    assert.equal(wrong.partitionForTests('led-by-1', 0)?.logEndOffset, 0, 'broker 2 copied nothing');
    // It still answers clients (here Metadata) with both brokers.
    const md = await new Kafka({ brokers: [wrong.bootstrap], sasl: ALICE, logLevel: logLevel.NOTHING }).admin();
    await md.connect();
    assert.deepEqual((await md.describeCluster()).brokers.map((b) => b.nodeId).sort(), [1, 2]);
    await md.disconnect();
    await producer.disconnect();
    await admin.disconnect();
    const failures = lines.filter((l) => /SASL authentication failed/.test(l));
    assert.ok(failures.every((l) => /"level":(40|50)/.test(l)), 'each failure is one warning or error line');
  } finally {
    await wrong.stop();
    await good.stop();
    await etcd.stop();
  }
});

test('with connections.max.reauth.ms the follower replaces its link before each session ends: the leader never has to close it', { timeout: 120_000 }, async () => {
  const etcd = await startEtcd();
  const shared = {
    ...saslClusterConfig('unused'),
    'tributary.metadata.etcd.endpoints': etcd.endpoint,
    'tributary.metadata.etcd.prefix': `/tributary/reauth-${randomBytes(4).toString('hex')}`,
    // PLAIN between brokers: User:broker is one of the JAAS entry's users, and its credentials.
    'sasl.mechanism.inter.broker.protocol': 'PLAIN',
    'listener.name.sasl_plaintext.plain.sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="broker-secret" user_broker="broker-secret" user_alice="alice-secret";',
    'listener.name.sasl_plaintext.connections.max.reauth.ms': '500',
  };
  const leaderLines: string[] = [];
  const followerLines: string[] = [];
  const leader = await startBroker({ port: 0, nodeId: 1, logger: capturingLogger(leaderLines, 'debug'), config: shared });
  const follower = await startBroker({ port: 0, nodeId: 2, logger: capturingLogger(followerLines), config: shared });
  try {
    const kafka = new Kafka({ brokers: [leader.bootstrap], sasl: ALICE, logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'renewed', replicaAssignment: [{ partition: 0, replicas: [1, 2] }], configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
    const producer = kafka.producer();
    await producer.connect();
    const sessionsOfBroker = () => leaderLines.filter((l) => /"principal":"User:broker"/.test(l) && /"msg":"authenticated"/.test(l)).length;
    // Writes that need the follower, until the follower has opened four sessions (three renewals).
    let written = 0;
    while (sessionsOfBroker() < 4) {
      await producer.send({ topic: 'renewed', acks: -1, messages: [{ value: `r${written++}` }] });
    }
    await producer.disconnect();
    await admin.disconnect();
    await waitFor('the follower holding every record', async () => follower.partitionForTests('renewed', 0)?.logEndOffset === written);
    assert.deepEqual(leaderLines.filter((l) => /session of User:broker ended/.test(l)), [], 'the leader closed a follower link whose session ended');
    assert.deepEqual(followerLines.filter((l) => /fetching from broker/.test(l)), [], 'the follower saw its link fail');
  } finally {
    await follower.stop();
    await leader.stop();
    await etcd.stop();
  }
});

test('refused at start, with a ConfigError that says why: Kafka\'s default mechanism (GSSAPI), one the listener does not enable, no credentials', async () => {
  const refused = (config: Record<string, string>, message: RegExp) =>
    assert.rejects(startBroker({ port: 0, config: { ...config, 'tributary.metadata.etcd.endpoints': 'http://127.0.0.1:1' } }), (err: unknown) => (err as Error).name === 'ConfigError' && message.test((err as Error).message));
  const base = saslClusterConfig('x');
  const without = (key: string) => Object.fromEntries(Object.entries(base).filter(([k]) => k !== key));
  await refused(without('sasl.mechanism.inter.broker.protocol'), /sasl.mechanism.inter.broker.protocol is GSSAPI \(Kafka's default\)/);
  await refused({ ...base, 'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-256' }, /must be one of the inter-broker listener SASL_PLAINTEXT's sasl.enabled.mechanisms \(PLAIN, SCRAM-SHA-512\)/);
  await refused({ ...base, 'sasl.mechanism.inter.broker.protocol': 'OAUTHBEARER', 'sasl.enabled.mechanisms': 'PLAIN,OAUTHBEARER' }, /OAUTHBEARER, which brokers cannot use to reach each other here/);
  await refused(without('listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config'), /has no JAAS entry for SCRAM-SHA-512 \(listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config, or sasl.jaas.config\)/);
  await refused({ ...base, 'sasl.mechanism.inter.broker.protocol': 'PLAIN' }, /needs username="…" and password="…"/);
  await refused({ ...base, 'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config': CLIENTS_JAAS }, /names org.apache.kafka.common.security.plain.PlainLoginModule; SCRAM-SHA-512 needs/);
});
