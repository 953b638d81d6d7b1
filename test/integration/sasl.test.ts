// SASL authentication (SASL_PLAINTEXT) with real clients: kafkajs (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512),
// kcat/librdkafka (PLAIN, SCRAM-SHA-512), kafka-python (PLAIN and SCRAM over the v0 raw-token exchange)
// and @platformatic/kafka. SCRAM users are created with AlterUserScramCredentials over a PLAIN-authenticated
// connection of the project's client, as an operator would with the CLI.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { Producer as PlatformaticProducer, Consumer as PlatformaticConsumer, stringSerializers, stringDeserializers } from '@platformatic/kafka';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { kcat } from '../helpers/kcat.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { saltPassword, type ScramMechanism } from '../../src/security/sasl/scram-formulas.js';
import type { AlterUserScramCredentialsResponse, DescribeUserScramCredentialsResponse, MetadataResponse } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { encodeRequestFrame } from '../../src/protocol/request-codec.js';
import { randomBytes } from 'node:crypto';

const run = promisify(execFile);
const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";';
const ADMIN = { mechanism: 'PLAIN', username: 'admin', password: 'admin-secret' };

let broker: RunningBroker;

async function adminConnection(): Promise<KafkaConnection> {
  return KafkaConnection.open(broker.bootstrap, 10_000, 'sasl-test', ADMIN);
}

function upsertion(name: string, mechanism: ScramMechanism, password: string, iterations = 4096) {
  const salt = randomBytes(16);
  return { name, mechanism: mechanism === 'SCRAM-SHA-256' ? 1 : 2, iterations, salt, saltedPassword: saltPassword(mechanism, password, salt, iterations) };
}

async function alterScram(body: { deletions: { name: string; mechanism: number }[]; upsertions: ReturnType<typeof upsertion>[] }): Promise<AlterUserScramCredentialsResponse> {
  const c = await adminConnection();
  try {
    return await c.request<AlterUserScramCredentialsResponse>(51, 0, body);
  } finally {
    c.close();
  }
}

function kafkajs(sasl: SASLOptions, clientId: string): Kafka {
  return new Kafka({ clientId, brokers: [broker.bootstrap], sasl, logLevel: logLevel.NOTHING, retry: { retries: 2 } });
}

/** Produces `values` to a new topic and reads them back with a kafkajs consumer, both authenticated with `sasl`. */
async function roundTrip(sasl: SASLOptions, topic: string, values: string[]): Promise<string[]> {
  const kafka = kafkajs(sasl, `rt-${topic}`);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: values.map((value) => ({ value })) });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: `g-${topic}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got: string[] = [];
  await new Promise<void>((resolve, reject) => {
    consumer.run({ eachMessage: async ({ message }) => void (got.push(message.value?.toString() ?? '') === values.length && resolve()) }).catch(reject);
  });
  await consumer.disconnect();
  return got;
}

/** Whether the broker closes a raw connection that sends `frames`, and what it wrote before that. */
function rawExchange(frames: Buffer[]): Promise<{ closed: boolean; bytes: number }> {
  return new Promise((resolve, reject) => {
    const [host, port] = [broker.host, broker.port];
    let bytes = 0;
    const socket = connect({ host, port }, () => {
      for (const f of frames) socket.write(f);
    });
    socket.on('data', (d) => (bytes += d.length));
    socket.on('close', () => resolve({ closed: true, bytes }));
    socket.on('error', reject);
    setTimeout(() => {
      socket.destroy();
      resolve({ closed: false, bytes });
    }, 10_000).unref();
  });
}

before(async () => {
  broker = await startBroker({
    port: 0,
    config: {
      listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
      'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
      'listener.name.sasl_plaintext.plain.sasl.jaas.config': JAAS,
      'group.initial.rebalance.delay.ms': '0',
      'offsets.topic.num.partitions': '2',
      'connection.failed.authentication.delay.ms': '10',
    },
  });
  const res = await alterScram({ deletions: [], upsertions: [upsertion('bob', 'SCRAM-SHA-256', 'bob-secret'), upsertion('carol', 'SCRAM-SHA-512', 'carol-secret'), upsertion('carol', 'SCRAM-SHA-256', 'carol-256')] });
  assert.deepEqual(res.results.map((r) => [r.user, r.errorCode]).sort(), [['bob', 0], ['carol', 0]]);
});

after(async () => {
  await broker?.stop();
});

describe('kafkajs', () => {
  test('PLAIN: produces and consumes as alice', async () => {
    const values = ['a1', 'a2', 'a3'];
    assert.deepEqual(await roundTrip({ mechanism: 'plain', username: 'alice', password: 'alice-secret' }, 'sasl-plain', values), values);
  });

  test('SCRAM-SHA-256: produces and consumes as bob', async () => {
    const values = Array.from({ length: 20 }, (_, i) => `b${i}`);
    assert.deepEqual(await roundTrip({ mechanism: 'scram-sha-256', username: 'bob', password: 'bob-secret' }, 'sasl-scram-256', values), values);
  });

  test('SCRAM-SHA-512: produces and consumes as carol', async () => {
    const values = ['c1', 'c2'];
    assert.deepEqual(await roundTrip({ mechanism: 'scram-sha-512', username: 'carol', password: 'carol-secret' }, 'sasl-scram-512', values), values);
  });

  test('a wrong password, an unknown user and the wrong mechanism are refused with the broker\'s message', async () => {
    const cases: [SASLOptions, RegExp][] = [
      [{ mechanism: 'plain', username: 'alice', password: 'wrong' }, /Invalid username or password/],
      [{ mechanism: 'scram-sha-256', username: 'bob', password: 'wrong' }, /invalid credentials with SASL mechanism SCRAM-SHA-256/],
      [{ mechanism: 'scram-sha-512', username: 'nobody', password: 'x' }, /invalid credentials/],
      // bob has a SCRAM-SHA-256 credential only.
      [{ mechanism: 'scram-sha-512', username: 'bob', password: 'bob-secret' }, /invalid credentials with SASL mechanism SCRAM-SHA-512/],
    ];
    for (const [sasl, message] of cases) {
      const admin = kafkajs(sasl, 'refused').admin();
      await assert.rejects(admin.connect(), (err: Error) => message.test(err.message), `${sasl.mechanism} ${JSON.stringify(sasl)}`);
      await admin.disconnect();
    }
  });
});

describe('librdkafka (kcat)', () => {
  const auth = (mechanism: string, user: string, password: string) => ['-X', 'security.protocol=SASL_PLAINTEXT', '-X', `sasl.mechanisms=${mechanism}`, '-X', `sasl.username=${user}`, '-X', `sasl.password=${password}`];

  for (const [mechanism, user, password] of [
    ['PLAIN', 'alice', 'alice-secret'],
    ['SCRAM-SHA-512', 'carol', 'carol-secret'],
    ['SCRAM-SHA-256', 'carol', 'carol-256'],
  ] as const) {
    test(`${mechanism}: produces and consumes as ${user}`, async () => {
      const topic = `kcat-${mechanism.toLowerCase()}`;
      const lines = Array.from({ length: 50 }, (_, i) => `${mechanism}-${i}`);
      const produced = await kcat(['-b', broker.bootstrap, ...auth(mechanism, user, password), '-P', '-t', topic], `${lines.join('\n')}\n`);
      assert.equal(produced.code, 0, produced.stderr);
      const consumed = await kcat(['-b', broker.bootstrap, ...auth(mechanism, user, password), '-C', '-t', topic, '-o', 'beginning', '-e', '-q']);
      assert.equal(consumed.code, 0, consumed.stderr);
      assert.deepEqual(consumed.stdout.trim().split('\n'), lines);
    });
  }

  test('a wrong SCRAM password fails with the broker\'s message', async () => {
    const r = await kcat(['-b', broker.bootstrap, ...auth('SCRAM-SHA-512', 'carol', 'nope'), '-L', '-m', '2']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /[Aa]uthentication failed/);
  });
});

describe('kafka-python (SaslHandshake v0, raw tokens)', () => {
  const script = `
import sys, json
from kafka import KafkaProducer, KafkaConsumer
b, mech, user, pw, topic = sys.argv[1:6]
auth = dict(security_protocol='SASL_PLAINTEXT', sasl_mechanism=mech, sasl_plain_username=user, sasl_plain_password=pw)
p = KafkaProducer(bootstrap_servers=b, **auth)
for i in range(10):
    p.send(topic, value=b'py%d' % i)
p.flush()
p.close()
c = KafkaConsumer(topic, bootstrap_servers=b, auto_offset_reset='earliest', consumer_timeout_ms=3000, **auth)
print(json.dumps([m.value.decode() for m in c]))
`;
  for (const [mechanism, user, password] of [
    ['PLAIN', 'alice', 'alice-secret'],
    ['SCRAM-SHA-256', 'bob', 'bob-secret'],
  ] as const) {
    test(`${mechanism}: produces and consumes as ${user}`, async () => {
      const topic = `py-${mechanism.toLowerCase()}`;
      const { stdout } = await run('/usr/bin/python3', ['-c', script, broker.bootstrap, mechanism, user, password, topic], { timeout: 60_000 });
      assert.deepEqual(JSON.parse(stdout.trim().split('\n').pop() ?? '[]'), Array.from({ length: 10 }, (_, i) => `py${i}`));
    });
  }
});

test('@platformatic/kafka produces and consumes with SCRAM-SHA-512', async () => {
  const sasl = { mechanism: 'SCRAM-SHA-512' as const, username: 'carol', password: 'carol-secret' };
  const topic = 'platformatic-scram';
  const producer = new PlatformaticProducer({ clientId: 'p', bootstrapBrokers: [broker.bootstrap], sasl, serializers: stringSerializers, autocreateTopics: true });
  await producer.send({ messages: [1, 2, 3].map((i) => ({ topic, key: `k${i}`, value: `v${i}` })) });
  await producer.close();
  const consumer = new PlatformaticConsumer({ clientId: 'c', groupId: 'platformatic-scram-g', bootstrapBrokers: [broker.bootstrap], sasl, deserializers: stringDeserializers });
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest' });
  const got: string[] = [];
  for await (const message of stream) {
    got.push(message.value);
    if (got.length === 3) break;
  }
  await stream.close();
  await consumer.close();
  assert.deepEqual(got, ['v1', 'v2', 'v3']);
});

test('before authentication only ApiVersions and the SASL requests are served', async () => {
  const apiVersions = Buffer.concat(encodeRequestFrame(18, 3, 1, 'raw', { clientSoftwareName: 'raw', clientSoftwareVersion: '1' }));
  const metadata = Buffer.concat(encodeRequestFrame(3, 12, 2, 'raw', { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }));
  const result = await rawExchange([apiVersions, metadata]);
  assert.equal(result.closed, true);
  // The ApiVersions answer came back before the connection closed.
  assert.ok(result.bytes > 100, `got ${result.bytes} bytes`);
});

test('Describe/AlterUserScramCredentials check what they are given, per user', async () => {
  const bad = await alterScram({
    deletions: [{ name: 'ghost', mechanism: 1 }, { name: 'dup', mechanism: 1 }],
    upsertions: [upsertion('few', 'SCRAM-SHA-256', 'x', 1000), upsertion('many', 'SCRAM-SHA-512', 'x', 20000), { ...upsertion('odd', 'SCRAM-SHA-256', 'x'), mechanism: 7 }, upsertion('dup', 'SCRAM-SHA-256', 'x'), upsertion('', 'SCRAM-SHA-256', 'x')],
  });
  const codes = Object.fromEntries(bad.results.map((r) => [r.user, r.errorCode]));
  assert.deepEqual(codes, {
    ghost: ErrorCode.RESOURCE_NOT_FOUND,
    dup: ErrorCode.DUPLICATE_RESOURCE,
    few: ErrorCode.UNACCEPTABLE_CREDENTIAL,
    many: ErrorCode.UNACCEPTABLE_CREDENTIAL,
    odd: ErrorCode.UNSUPPORTED_SASL_MECHANISM,
    '': ErrorCode.UNACCEPTABLE_CREDENTIAL,
  });
  const c = await adminConnection();
  try {
    const all = await c.request<DescribeUserScramCredentialsResponse>(50, 0, { users: null });
    assert.deepEqual(
      all.results.map((r) => [r.user, r.errorCode, r.credentialInfos.map((i) => [i.mechanism, i.iterations]).sort()]),
      [
        ['bob', 0, [[1, 4096]]],
        ['carol', 0, [[1, 4096], [2, 4096]]],
      ],
    );
    const named = await c.request<DescribeUserScramCredentialsResponse>(50, 0, { users: [{ name: 'bob' }, { name: 'zed' }, { name: 'carol' }, { name: 'carol' }] });
    assert.deepEqual(named.results.map((r) => [r.user, r.errorCode]), [['bob', 0], ['zed', ErrorCode.RESOURCE_NOT_FOUND], ['carol', ErrorCode.DUPLICATE_RESOURCE]]);
    // The broker's own answer to a metadata request proves the admin connection is authenticated.
    const md = await c.request<MetadataResponse>(3, 12, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    assert.equal(md.brokers.length, 1);
  } finally {
    c.close();
  }
  // A deleted credential no longer authenticates.
  const deleted = await alterScram({ deletions: [{ name: 'carol', mechanism: 1 }], upsertions: [] });
  assert.deepEqual(deleted.results.map((r) => [r.user, r.errorCode]), [['carol', 0]]);
  await assert.rejects(KafkaConnection.open(broker.bootstrap, 10_000, 't', { mechanism: 'SCRAM-SHA-256', username: 'carol', password: 'carol-256' }), /invalid credentials/);
  const still = await KafkaConnection.open(broker.bootstrap, 10_000, 't', { mechanism: 'SCRAM-SHA-512', username: 'carol', password: 'carol-secret' });
  still.close();
});
