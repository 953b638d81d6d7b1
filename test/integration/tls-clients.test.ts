// Real clients over an SSL listener: kcat (librdkafka) with server authentication and with mutual
// TLS, kafkajs with ssl { ca, cert, key }; ssl.client.auth=required refuses a client without a
// certificate and keeps serving the others. Certificates are made by the test (test-certs.ts).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { kcat, parseJsonLines } from '../helpers/kcat.js';
import { makeTestCerts, type TestCerts } from '../helpers/test-certs.js';
import { receiveValues } from '../helpers/kafkajs-receive.js';

const { Kafka, logLevel } = kafkajs;

let certs: TestCerts;
let serverAuth: RunningBroker;
let mutual: RunningBroker;

before(async () => {
  certs = makeTestCerts();
  const ssl = { listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.location': certs.server.pemFile };
  serverAuth = await startBroker({ port: 0, config: ssl });
  mutual = await startBroker({ port: 0, config: { ...ssl, 'ssl.truststore.location': certs.caFile, 'ssl.client.auth': 'required' } });
});
after(async () => {
  await serverAuth?.stop();
  await mutual?.stop();
  certs?.cleanup();
});

const lines = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

async function kcatRoundTrip(broker: RunningBroker, topic: string, tlsArgs: string[]): Promise<void> {
  const sent = lines(topic, 25);
  const produced = await kcat(['-b', broker.bootstrap, ...tlsArgs, '-t', topic, '-P'], `${sent.join('\n')}\n`);
  assert.equal(produced.code, 0, produced.stderr);
  const consumed = await kcat(['-b', broker.bootstrap, ...tlsArgs, '-t', topic, '-C', '-o', 'beginning', '-e', '-J']);
  assert.equal(consumed.code, 0, consumed.stderr);
  const messages = parseJsonLines(consumed.stdout);
  assert.equal(messages.length, sent.length);
  assert.deepEqual(messages.map((m) => m.payload), sent);
  assert.deepEqual(messages.map((m) => m.offset), sent.map((_, i) => i));
}

test('kcat produces and consumes over SSL (server authentication against the test CA)', async () => {
  assert.deepEqual(serverAuth.listeners.map((l) => l.name), ['SSL']);
  await kcatRoundTrip(serverAuth, 'kcat-ssl', ['-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${certs.caFile}`]);
});

test('kcat with mutual TLS (ssl.client.auth=required)', async () => {
  await kcatRoundTrip(mutual, 'kcat-mtls', ['-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${certs.caFile}`, '-X', `ssl.certificate.location=${certs.client.certFile}`, '-X', `ssl.key.location=${certs.client.keyFile}`]);
});

async function kafkajsRoundTrip(broker: RunningBroker, topic: string, ssl: { ca: string[]; cert?: string; key?: string }): Promise<void> {
  const client = new Kafka({ clientId: 'kafkajs-tls', brokers: [broker.bootstrap], ssl, logLevel: logLevel.NOTHING });
  const admin = client.admin();
  const producer = client.producer();
  const consumer = client.consumer({ groupId: `${topic}-group` });
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    await producer.connect();
    const sent = lines(topic, 20);
    await producer.send({ topic, messages: sent.map((value, i) => ({ key: `k${i}`, value })) });
    const offsets = await admin.fetchTopicOffsets(topic);
    assert.equal(offsets[0].high, String(sent.length));
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = await receiveValues(consumer, sent.length);
    assert.deepEqual(received, sent);
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
    await admin.disconnect();
  }
}

test('kafkajs with ssl { ca, cert, key }: produce, offsets, consume through a group', async () => {
  await kafkajsRoundTrip(mutual, 'kafkajs-mtls', { ca: [certs.ca], cert: certs.client.cert, key: certs.client.key });
});

test('ssl.client.auth=required refuses a client without a certificate, and one whose certificate another CA signed; others keep being served', async () => {
  const refusedClient = (ssl: { ca: string[]; cert?: string; key?: string }) => new Kafka({ clientId: 'no-cert', brokers: [mutual.bootstrap], ssl, logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 5000 }).admin();
  const noCert = refusedClient({ ca: [certs.ca] });
  await assert.rejects(noCert.connect().then(() => noCert.listTopics()));
  await noCert.disconnect();
  const stranger = certs.otherCa().issue('stranger', '/CN=mallory');
  const untrusted = refusedClient({ ca: [certs.ca], cert: stranger.cert, key: stranger.key });
  await assert.rejects(untrusted.connect().then(() => untrusted.listTopics()));
  await untrusted.disconnect();
  const withCert = new Kafka({ clientId: 'with-cert', brokers: [mutual.bootstrap], ssl: { ca: [certs.ca], cert: certs.client.cert, key: certs.client.key }, logLevel: logLevel.NOTHING }).admin();
  await withCert.connect();
  assert.ok((await withCert.listTopics()).includes('kafkajs-mtls'));
  await withCert.disconnect();
});
