// TLS to etcd: an etcd serving its clients over TLS only, with client certificates required
// (--client-cert-auth), and two brokers reaching it at an https:// endpoint with
// tributary.metadata.etcd.ssl.truststore.location and .keystore.location. They form a cluster that
// replicates an RF=2 topic. Without a client certificate, or trusting another CA, a broker cannot
// reach etcd: it says so and keeps trying (it never starts alone). Mistakes in the keys are
// ConfigErrors at start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import kafkajs from 'kafkajs';
import { pino } from 'pino';
import { startEtcd } from '../helpers/etcd.js';
import { startBroker } from '../helpers/broker.js';
import { makeTestCerts } from '../helpers/test-certs.js';
import { BrokerConfig } from '../../src/config/broker-configs.js';
import { openMetadataStore } from '../../src/broker/metadata.js';

const { Kafka, logLevel } = kafkajs;

test('brokers reach an etcd that requires TLS and client certificates, form a cluster and replicate', { timeout: 120_000 }, async () => {
  const certs = makeTestCerts();
  const etcd = await startEtcd({ tls: { certFile: certs.server.certFile, keyFile: certs.server.keyFile, clientCaFile: certs.caFile, checkWith: { ca: certs.ca, cert: certs.client.cert, key: certs.client.key } } });
  assert.match(etcd.endpoint, /^https:\/\/127\.0\.0\.1:\d+$/);
  const config = {
    'tributary.metadata.etcd.endpoints': etcd.endpoint,
    'tributary.metadata.etcd.prefix': `/tributary/tls-${randomBytes(4).toString('hex')}`,
    'tributary.metadata.etcd.ssl.truststore.location': certs.caFile,
    'tributary.metadata.etcd.ssl.keystore.location': certs.client.pemFile,
    'offsets.topic.num.partitions': '2',
    'replica.fetch.wait.max.ms': '100',
  };
  const one = await startBroker({ port: 0, nodeId: 1, config });
  const two = await startBroker({ port: 0, nodeId: 2, config });
  try {
    const kafka = new Kafka({ brokers: [one.bootstrap, two.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
    const admin = kafka.admin();
    await admin.connect();
    for (let deadline = Date.now() + 20_000; (await admin.describeCluster()).brokers.length < 2 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual((await admin.describeCluster()).brokers.map((b) => b.nodeId).sort(), [1, 2]);
    await admin.createTopics({ topics: [{ topic: 'over-tls', numPartitions: 2, replicationFactor: 2, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
    const producer = kafka.producer();
    await producer.connect();
    const sent = Array.from({ length: 20 }, (_, i) => ({ value: `v${i}` }));
    await producer.send({ topic: 'over-tls', acks: -1, messages: sent });
    await producer.disconnect();
    const md = await admin.fetchTopicMetadata({ topics: ['over-tls'] });
    assert.deepEqual(md.topics[0].partitions.map((p) => [...p.isr].sort()), [[1, 2], [1, 2]]);
    const offsets = await admin.fetchTopicOffsets('over-tls');
    assert.equal(offsets.reduce((sum, o) => sum + Number(o.high), 0), sent.length);
    await admin.disconnect();
  } finally {
    await two.stop();
    await one.stop();
    await etcd.stop();
    certs.cleanup();
  }
});

test('without a client certificate, or trusting another CA, a broker cannot reach the TLS etcd: it says so and keeps trying', { timeout: 60_000 }, async () => {
  const certs = makeTestCerts();
  const other = certs.otherCa();
  const etcd = await startEtcd({ tls: { certFile: certs.server.certFile, keyFile: certs.server.keyFile, clientCaFile: certs.caFile, checkWith: { ca: certs.ca, cert: certs.client.cert, key: certs.client.key } } });
  try {
    for (const [what, keys] of [
      ['no client certificate', { 'tributary.metadata.etcd.ssl.truststore.location': certs.caFile }],
      ['another CA trusted', { 'tributary.metadata.etcd.ssl.truststore.location': other.caFile, 'tributary.metadata.etcd.ssl.keystore.location': certs.client.pemFile }],
    ] as const) {
      const lines: string[] = [];
      const log = pino({ level: 'warn' }, new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(...chunk.toString().split('\n').filter((l) => l !== '')), done()) }));
      const config = new BrokerConfig(Object.entries({ 'tributary.metadata.etcd.endpoints': etcd.endpoint, 'node.id': '1', 'log.dirs': certs.dir, 'broker.session.timeout.ms': '1000', 'broker.heartbeat.interval.ms': '200', ...keys }));
      const abandon = new AbortController();
      const opening = openMetadataStore(config, log, abandon.signal);
      // Tried twice, and told each time: the broker waits for etcd rather than starting alone.
      for (let deadline = Date.now() + 30_000; lines.filter((l) => l.includes('cannot reach etcd at https://')).length < 2 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50));
      abandon.abort();
      await assert.rejects(opening, { name: 'MetadataUnavailableError' }, what);
      const told = lines.filter((l) => l.includes('cannot reach etcd at https://'));
      assert.ok(told.length >= 2, `${what}: ${lines.join('\n')}`);
      assert.ok(told.every((l) => /the broker waits for it and tries again/.test(l)), what);
    }
  } finally {
    await etcd.stop();
    certs.cleanup();
  }
});

test('TLS keys for etcd that cannot work are refused at start, with a ConfigError that says why', async () => {
  const certs = makeTestCerts();
  try {
    const refused = (keys: Record<string, string>, message: RegExp) =>
      assert.rejects(startBroker({ port: 0, config: keys }), (err: unknown) => (err as Error).name === 'ConfigError' && message.test((err as Error).message));
    await refused({ 'tributary.metadata.etcd.endpoints': 'http://127.0.0.1:1', 'tributary.metadata.etcd.ssl.truststore.location': certs.caFile }, /is set but the etcd endpoints are http:\/\/ ones .*write them https:\/\/HOST:PORT/);
    await refused({ 'tributary.metadata.etcd.endpoints': 'https://127.0.0.1:1,http://127.0.0.1:2' }, /mixes https:\/\/ and http:\/\/ endpoints/);
    await refused({ 'tributary.metadata.etcd.endpoints': 'https://127.0.0.1:1', 'tributary.metadata.etcd.ssl.truststore.location': '/nonexistent/ca.pem' }, /cannot read the etcd trust store .*\/nonexistent\/ca.pem/);
    await refused({ 'tributary.metadata.etcd.endpoints': 'https://127.0.0.1:1', 'tributary.metadata.etcd.ssl.keystore.location': certs.caFile }, /the etcd key store .* must hold exactly one private key, found 0/);
    const encrypted = certs.issue('encrypted', '/CN=encrypted', { keyPassword: 'secret' });
    await refused({ 'tributary.metadata.etcd.endpoints': 'https://127.0.0.1:1', 'tributary.metadata.etcd.ssl.keystore.location': encrypted.pemFile }, /holds an encrypted private key/);
    await refused({ 'tributary.metadata.etcd.endpoints': 'ftp://127.0.0.1:1' }, /etcd endpoints must be http:\/\/HOST:PORT or https:\/\/HOST:PORT/);
  } finally {
    certs.cleanup();
  }
});
