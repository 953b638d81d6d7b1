// SASL over TLS (SASL_SSL): kcat (librdkafka) with SCRAM-SHA-512 and kafkajs with PLAIN produce
// and consume through a SASL_SSL listener; the principal is the SASL user's, not the certificate's;
// a wrong password is refused there as on SASL_PLAINTEXT.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { kcat, parseJsonLines } from '../helpers/kcat.js';
import { makeTestCerts, type TestCerts } from '../helpers/test-certs.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { saltPassword } from '../../src/security/sasl/scram-formulas.js';
import type { Dispatcher } from '../../src/server/dispatch.js';
import type { AlterUserScramCredentialsResponse } from '../../src/protocol/generated/index.js';
import { receiveValues } from '../helpers/kafkajs-receive.js';

const { Kafka, logLevel } = kafkajs;
const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";';

let certs: TestCerts;
let broker: RunningBroker;
const principals = new Set<string>();

before(async () => {
  certs = makeTestCerts();
  const wrap = (next: Dispatcher): Dispatcher => (frame, services, session, log, closed) => {
    principals.add(`${session.listener.name} ${session.principal}`);
    return next(frame, services, session, log, closed);
  };
  broker = await startBroker({
    port: 0,
    wrapDispatcher: wrap,
    config: {
      listeners: 'SASL_SSL://127.0.0.1:0',
      'ssl.keystore.location': certs.server.pemFile,
      'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-512',
      'listener.name.sasl_ssl.plain.sasl.jaas.config': JAAS,
      'group.initial.rebalance.delay.ms': '0',
      'offsets.topic.num.partitions': '2',
      'connection.failed.authentication.delay.ms': '10',
    },
  });
  const admin = await KafkaConnection.open(broker.bootstrap, 10_000, 'sasl-ssl-admin', { mechanism: 'PLAIN', username: 'admin', password: 'admin-secret' }, { ca: [certs.ca] });
  try {
    const salt = randomBytes(16);
    const res = await admin.request<AlterUserScramCredentialsResponse>(51, 0, { deletions: [], upsertions: [{ name: 'carol', mechanism: 2, iterations: 4096, salt, saltedPassword: saltPassword('SCRAM-SHA-512', 'carol-secret', salt, 4096) }] });
    assert.deepEqual(res.results.map((r) => [r.user, r.errorCode]), [['carol', 0]]);
  } finally {
    admin.close();
  }
});
after(async () => {
  await broker?.stop();
  certs?.cleanup();
});

const kcatSasl = (password: string) => ['-b', broker.bootstrap, '-X', 'security.protocol=SASL_SSL', '-X', `ssl.ca.location=${certs.caFile}`, '-X', 'sasl.mechanism=SCRAM-SHA-512', '-X', 'sasl.username=carol', '-X', `sasl.password=${password}`];

test('kcat over SASL_SSL with SCRAM-SHA-512 produces and consumes', async () => {
  const sent = Array.from({ length: 15 }, (_, i) => `scram-tls-${i}`);
  const produced = await kcat([...kcatSasl('carol-secret'), '-t', 'sasl-ssl-kcat', '-P'], `${sent.join('\n')}\n`);
  assert.equal(produced.code, 0, produced.stderr);
  const consumed = await kcat([...kcatSasl('carol-secret'), '-t', 'sasl-ssl-kcat', '-C', '-o', 'beginning', '-e', '-J']);
  assert.equal(consumed.code, 0, consumed.stderr);
  assert.deepEqual(parseJsonLines(consumed.stdout).map((m) => m.payload), sent);
  assert.ok(principals.has('SASL_SSL User:carol'), [...principals].join(', '));
});

test('kcat with a wrong password is refused over SASL_SSL', async () => {
  const listed = await kcat([...kcatSasl('wrong'), '-L', '-m', '2'], undefined, 30_000);
  assert.notEqual(listed.code, 0);
  assert.match(listed.stderr, /Authentication failed|SASL authentication error|invalid credentials/i);
});

test('kafkajs over SASL_SSL with PLAIN: produce, then consume through a group', async () => {
  const kafka = new Kafka({ clientId: 'sasl-ssl-kafkajs', brokers: [broker.bootstrap], ssl: { ca: [certs.ca] }, sasl: { mechanism: 'plain', username: 'alice', password: 'alice-secret' }, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: 'sasl-ssl-group' });
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'sasl-ssl-kafkajs', numPartitions: 1 }] });
    await producer.connect();
    const sent = Array.from({ length: 12 }, (_, i) => `plain-tls-${i}`);
    await producer.send({ topic: 'sasl-ssl-kafkajs', messages: sent.map((value) => ({ value })) });
    await consumer.connect();
    await consumer.subscribe({ topic: 'sasl-ssl-kafkajs', fromBeginning: true });
    const received = await receiveValues(consumer, sent.length);
    assert.deepEqual(received, sent);
    assert.ok(principals.has('SASL_SSL User:alice'));
    assert.ok(![...principals].some((p) => p.includes('CN=')), 'no principal from a certificate on SASL_SSL');
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
    await admin.disconnect();
  }
});
