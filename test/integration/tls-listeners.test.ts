// Several listeners at once (PLAINTEXT and SSL): each answers Metadata, DescribeCluster and
// FindCoordinator with its own address; the principal of an SSL client certificate, with and
// without ssl.principal.mapping.rules, as the dispatcher sees it; certificate reload without a
// restart; one log line per failed handshake; TLS settings Tributary refuses at start.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { copyFileSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { makeTestCerts, type TestCerts } from '../helpers/test-certs.js';
import { openTls, serverFingerprint } from '../helpers/tls-probe.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import type { Dispatcher } from '../../src/server/dispatch.js';
import { BrokerConfig } from '../../src/config/broker-configs.js';
import type { DescribeClusterResponse, FindCoordinatorResponse, MetadataResponse } from '../../src/protocol/generated/index.js';

const { Kafka, logLevel } = kafkajs;

let certs: TestCerts;
before(() => {
  certs = makeTestCerts();
});
after(() => certs?.cleanup());

/** A broker whose dispatcher records, per request, the listener and principal of its connection. */
async function observedBroker(config: Record<string, string>, logLines?: string[]): Promise<{ broker: RunningBroker; seen: { listener: string; principal: string }[] }> {
  const seen: { listener: string; principal: string }[] = [];
  const wrap = (next: Dispatcher): Dispatcher => (frame, services, session, log, closed) => {
    seen.push({ listener: session.listener.name, principal: session.principal });
    return next(frame, services, session, log, closed);
  };
  const logger = logLines ? pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) }) : undefined;
  const broker = await startBroker({ port: 0, config, wrapDispatcher: wrap, logger });
  return { broker, seen };
}

async function askEndpoints(conn: KafkaConnection): Promise<{ metadata: number[]; cluster: number[]; coordinator: number }> {
  try {
    const md = await conn.request<MetadataResponse>(3, 12, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    const dc = await conn.request<DescribeClusterResponse>(60, 0, { includeClusterAuthorizedOperations: false });
    const fc = await conn.request<FindCoordinatorResponse>(10, 4, { keyType: 0, coordinatorKeys: ['a-group'] });
    assert.equal(fc.coordinators[0].errorCode, 0);
    return { metadata: md.brokers.map((b) => b.port), cluster: dc.brokers.map((b) => b.port), coordinator: fc.coordinators[0].port };
  } finally {
    conn.close();
  }
}

test('PLAINTEXT and SSL listeners at once: each answers with its own address', async () => {
  const { broker, seen } = await observedBroker({ listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0', 'ssl.keystore.location': certs.server.pemFile });
  try {
    assert.deepEqual(broker.listeners.map((l) => [l.name, l.securityProtocol, l.host]), [['PLAINTEXT', 'PLAINTEXT', '127.0.0.1'], ['SSL', 'SSL', '127.0.0.1']]);
    const [plain, ssl] = broker.listeners;
    assert.equal(broker.port, plain.port);
    assert.notEqual(plain.port, ssl.port);
    assert.deepEqual(await askEndpoints(await KafkaConnection.open(broker.bootstrap)), { metadata: [plain.port], cluster: [plain.port], coordinator: plain.port });
    assert.deepEqual(await askEndpoints(await openTls(`127.0.0.1:${ssl.port}`, certs.ca)), { metadata: [ssl.port], cluster: [ssl.port], coordinator: ssl.port });
    assert.deepEqual(new Set(seen.map((s) => s.listener)), new Set(['PLAINTEXT', 'SSL']));
    assert.ok(seen.every((s) => s.principal === 'User:ANONYMOUS'), 'no client certificate: User:ANONYMOUS');
  } finally {
    await broker.stop();
  }
});

test('advertised.listeners names what each listener advertises; listeners it leaves out advertise their bound address', async () => {
  const { broker } = await observedBroker({ listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0', 'advertised.listeners': 'SSL://kafka.example.test:19093', 'ssl.keystore.location': certs.server.pemFile });
  try {
    const conn = await openTls(`127.0.0.1:${broker.listeners[1].port}`, certs.ca);
    const md = await conn.request<MetadataResponse>(3, 12, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    conn.close();
    assert.deepEqual(md.brokers.map((b) => `${b.host}:${b.port}`), ['kafka.example.test:19093']);
    assert.deepEqual(await askEndpoints(await KafkaConnection.open(broker.bootstrap)), { metadata: [broker.port], cluster: [broker.port], coordinator: broker.port });
  } finally {
    await broker.stop();
  }
});

async function principalsOf(config: Record<string, string>, ssl: { ca: string[]; cert?: string; key?: string }): Promise<string[]> {
  const { broker, seen } = await observedBroker({ listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.location': certs.server.pemFile, 'ssl.truststore.location': certs.caFile, ...config });
  try {
    const admin = new Kafka({ clientId: 'principal', brokers: [broker.bootstrap], ssl, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.listTopics();
    await admin.disconnect();
    return [...new Set(seen.map((s) => s.principal))];
  } finally {
    await broker.stop();
  }
}

test('the principal of an SSL connection: the client certificate subject (RFC 2253), mapped by ssl.principal.mapping.rules; ANONYMOUS without one', async () => {
  const client = { ca: [certs.ca], cert: certs.client.cert, key: certs.client.key };
  assert.deepEqual(await principalsOf({ 'ssl.client.auth': 'required' }, client), ['User:CN=alice,OU=Eng,O=Acme,C=DE']);
  assert.deepEqual(await principalsOf({ 'ssl.client.auth': 'required', 'ssl.principal.mapping.rules': 'RULE:^CN=(.*?),OU=(.*?),.*$/$1@$2/L,DEFAULT' }, client), ['User:alice@eng']);
  assert.deepEqual(await principalsOf({ 'ssl.client.auth': 'requested' }, { ca: [certs.ca] }), ['User:ANONYMOUS']);
  assert.deepEqual(await principalsOf({ 'ssl.client.auth': 'none' }, client), ['User:ANONYMOUS'], 'a certificate the broker did not ask for names nobody');
});

test('a replaced key store is used by the next connection; a broken one keeps the old certificate with one error logged; a failed handshake logs one line', async () => {
  const live = join(certs.dir, 'live.pem');
  copyFileSync(certs.server.pemFile, live);
  const logs: string[] = [];
  const { broker } = await observedBroker({ listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.location': live }, logs);
  const count = (text: string) => logs.filter((l) => l.includes(text)).length;
  try {
    assert.equal(await serverFingerprint('127.0.0.1', broker.port, certs.ca), certs.server.fingerprint);
    const renewed = certs.issue('server-renewed', '/CN=localhost', { serverNames: true });
    assert.notEqual(renewed.fingerprint, certs.server.fingerprint);
    writeFileSync(live, readFileSync(renewed.pemFile));
    assert.equal(await serverFingerprint('127.0.0.1', broker.port, certs.ca), renewed.fingerprint);

    writeFileSync(live, 'not a key store\n');
    assert.equal(await serverFingerprint('127.0.0.1', broker.port, certs.ca), renewed.fingerprint);
    assert.equal(await serverFingerprint('127.0.0.1', broker.port, certs.ca), renewed.fingerprint);
    assert.equal(count('does not load; keeping the previous certificates'), 1);

    copyFileSync(certs.server.pemFile, live);
    assert.equal(await serverFingerprint('127.0.0.1', broker.port, certs.ca), certs.server.fingerprint);

    // A plaintext client on the TLS port: the handshake fails, the socket closes, one line says so.
    await new Promise<void>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: broker.port }, () => socket.write(Buffer.from('000000120012000300000001000474657374', 'hex')));
      socket.on('data', () => undefined);
      socket.once('error', () => undefined);
      socket.once('close', () => resolve());
      setTimeout(() => reject(new Error('the broker kept a plaintext client on its TLS port open')), 10_000).unref();
    });
    const deadline = Date.now() + 5000;
    while (count('TLS handshake failed') === 0 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    assert.equal(count('TLS handshake failed'), 1);
    assert.equal(await serverFingerprint('127.0.0.1', broker.port, certs.ca), certs.server.fingerprint, 'the listener keeps serving');
  } finally {
    await broker.stop();
  }
});

test('inline PEM key and chain (ssl.keystore.key, ssl.keystore.certificate.chain), an encrypted key with ssl.key.password, listener-prefixed keys', async () => {
  const inline = await startBroker({ port: 0, config: { listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.key': certs.server.key, 'ssl.keystore.certificate.chain': `${certs.server.cert}${certs.ca}` } });
  try {
    assert.equal(await serverFingerprint('127.0.0.1', inline.port, certs.ca), certs.server.fingerprint);
  } finally {
    await inline.stop();
  }
  const encrypted = certs.issue('server-encrypted', '/CN=localhost', { serverNames: true, keyPassword: 'k3y-pass' });
  assert.match(encrypted.key, /ENCRYPTED PRIVATE KEY/);
  const prefixed = await startBroker({ port: 0, config: { listeners: 'INTERNAL://127.0.0.1:0', 'listener.security.protocol.map': 'INTERNAL:SSL', 'ssl.keystore.location': '/nonexistent.pem', 'listener.name.internal.ssl.keystore.location': encrypted.pemFile, 'listener.name.internal.ssl.key.password': 'k3y-pass' } });
  try {
    assert.equal(await serverFingerprint('127.0.0.1', prefixed.port, certs.ca), encrypted.fingerprint);
  } finally {
    await prefixed.stop();
  }
  await assert.rejects(startBroker({ port: 0, config: { listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.location': encrypted.pemFile, 'ssl.key.password': 'wrong' } }), { name: 'ConfigError', message: /do not load/ });
});

test('settings Tributary refuses at start, with a ConfigError that says why', async () => {
  const ssl = { listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.location': certs.server.pemFile };
  const refused = (config: Record<string, string>, message: RegExp) => assert.rejects(startBroker({ port: 0, config }), (err: unknown) => (err as Error).name === 'ConfigError' && message.test((err as Error).message));
  await refused({ ...ssl, 'ssl.keystore.type': 'JKS' }, /convert the JKS store to PEM/);
  await refused({ ...ssl, 'listener.name.ssl.ssl.keystore.type': 'PKCS12' }, /convert the PKCS12 store to PEM/);
  await refused({ ...ssl, 'ssl.enabled.protocols': 'TLSv1.1,TLSv1.2' }, /TLSv1.1/);
  await refused({ ...ssl, 'listener.name.ssl.ssl.enabled.protocols': 'TLSv1' }, /listener.name.ssl.ssl.enabled.protocols/);
  await refused({ ...ssl, 'ssl.keystore.password': 'x' }, /key store password cannot be specified with PEM format/);
  await refused({ listeners: 'SSL://127.0.0.1:0' }, /needs a key store/);
  await refused({ ...ssl, 'ssl.client.auth': 'required' }, /needs a trust store/);
  await refused({ ...ssl, 'ssl.keystore.location': certs.caFile }, /exactly one private key, found 0/);
  await refused({ ...ssl, 'ssl.principal.mapping.rules': 'RULE:broken' }, /ssl.principal.mapping.rules/);
  await refused({ listeners: 'SASL_SSL://127.0.0.1:0', 'inter.broker.listener.name': 'SASL_SSL', 'ssl.keystore.location': certs.server.pemFile, 'tributary.metadata.etcd.endpoints': 'http://127.0.0.1:1' }, /sasl.mechanism.inter.broker.protocol is GSSAPI \(Kafka's default\)/);
});

test('a client below ssl.enabled.protocols is refused (here TLSv1.3 only: a TLSv1.2 client)', async () => {
  const broker = await startBroker({ port: 0, config: { listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.location': certs.server.pemFile, 'ssl.enabled.protocols': 'TLSv1.3' } });
  try {
    await assert.rejects(KafkaConnection.open(broker.bootstrap, 5000, 'old-tls', undefined, { ca: [certs.ca], maxVersion: 'TLSv1.2' }));
    const conn = await openTls(broker.bootstrap, certs.ca);
    conn.close();
  } finally {
    await broker.stop();
  }
});

test('max.connections counts TLS connections from accept: one over the limit is closed before its handshake, with one log line', async () => {
  const logs: string[] = [];
  const { broker } = await observedBroker({ listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.location': certs.server.pemFile, 'max.connections': '1' }, logs);
  const count = (text: string) => logs.filter((l) => l.includes(text)).length;
  try {
    const first = await openTls(broker.bootstrap, certs.ca);
    await assert.rejects(openTls(broker.bootstrap, certs.ca));
    assert.equal(broker.serverLoad().connectionsRefused, 1);
    assert.equal(count('refusing a connection'), 1);
    first.close();
    const deadline = Date.now() + 10_000;
    while (broker.serverLoad().connections > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // The refused socket's close must not have released the first connection's place twice.
    const again = await openTls(broker.bootstrap, certs.ca);
    await assert.rejects(openTls(broker.bootstrap, certs.ca));
    again.close();
    assert.equal(count('refusing a connection'), 2);
    assert.equal(count('TLS handshake failed'), 0, 'a refused connection is not a failed handshake');
  } finally {
    await broker.stop();
  }
});

test('a TLS client on a PLAINTEXT listener is closed (its ClientHello is no Kafka frame), the listener keeps serving', async () => {
  const broker = await startBroker({ port: 0 });
  try {
    await assert.rejects(openTls(broker.bootstrap, certs.ca));
    const conn = await KafkaConnection.open(broker.bootstrap);
    const md = await conn.request<MetadataResponse>(3, 12, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    conn.close();
    assert.deepEqual(md.brokers.map((b) => b.port), [broker.port]);
  } finally {
    await broker.stop();
  }
});

test('stop() closes a TLS handshake still under way (a client that connected and sent nothing)', async () => {
  const broker = await startBroker({ port: 0, config: { listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.location': certs.server.pemFile } });
  const silent = connect({ host: '127.0.0.1', port: broker.port });
  const closed = new Promise<void>((resolve) => silent.once('close', () => resolve()));
  silent.once('error', () => undefined);
  await new Promise<void>((resolve) => silent.once('connect', () => resolve()));
  await broker.stop();
  await closed;
});

test('a replaced trust store is used for the next client certificate', async () => {
  const other = certs.otherCa();
  const stranger = other.issue('stranger-2', '/CN=carol');
  const trust = join(certs.dir, 'live-trust.pem');
  copyFileSync(certs.caFile, trust);
  const { broker, seen } = await observedBroker({ listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.location': certs.server.pemFile, 'ssl.truststore.location': trust, 'ssl.client.auth': 'required' });
  try {
    await assert.rejects(openTls(broker.bootstrap, certs.ca, stranger).then((c) => c.request(18, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' })));
    copyFileSync(other.caFile, trust);
    const conn = await openTls(broker.bootstrap, certs.ca, stranger);
    await conn.request(18, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
    conn.close();
    assert.deepEqual([...new Set(seen.map((s) => s.principal))], ['User:CN=carol']);
  } finally {
    await broker.stop();
  }
});

test('a SASL_SSL listener hands the connection over after the TLS handshake, with no principal from the certificate (SASL names it); ssl.client.auth applies to it only listener-prefixed (KIP-684)', async () => {
  const config = { listeners: 'SASL_SSL://127.0.0.1:0', 'ssl.keystore.location': certs.server.pemFile, 'ssl.truststore.location': certs.caFile };
  const apiVersions = async (broker: RunningBroker, client?: { cert: string; key: string }) => {
    const conn = await openTls(broker.bootstrap, certs.ca, client);
    try {
      await conn.request(18, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
    } finally {
      conn.close();
    }
  };
  const prefixed = await observedBroker({ ...config, 'listener.name.sasl_ssl.ssl.client.auth': 'required' });
  try {
    await apiVersions(prefixed.broker, { cert: certs.client.cert, key: certs.client.key });
    assert.deepEqual(prefixed.seen, [{ listener: 'SASL_SSL', principal: 'User:ANONYMOUS' }]);
    await assert.rejects(apiVersions(prefixed.broker), 'listener-prefixed ssl.client.auth=required applies to SASL_SSL');
  } finally {
    await prefixed.broker.stop();
  }
  // KIP-684: the global ssl.client.auth does not apply to SASL_SSL listeners.
  const global = await observedBroker({ ...config, 'ssl.client.auth': 'required' });
  try {
    await apiVersions(global.broker);
    assert.deepEqual(global.seen, [{ listener: 'SASL_SSL', principal: 'User:ANONYMOUS' }]);
  } finally {
    await global.broker.stop();
  }
});

test('ssl.cipher.suites restricts the TLS 1.2 suites', async () => {
  const broker = await startBroker({ port: 0, config: { listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.location': certs.server.pemFile, 'ssl.enabled.protocols': 'TLSv1.2', 'ssl.cipher.suites': 'ECDHE-ECDSA-AES256-GCM-SHA384' } });
  try {
    await assert.rejects(KafkaConnection.open(broker.bootstrap, 5000, 'cipher', undefined, { ca: [certs.ca], ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }));
    const conn = await KafkaConnection.open(broker.bootstrap, 5000, 'cipher', undefined, { ca: [certs.ca], ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256' });
    conn.close();
  } finally {
    await broker.stop();
  }
});

test('inline PEM values in server.properties written with line continuations, as in Kafka\'s docs', async () => {
  // Kafka's docs: "ssl.keystore.certificate.chain=-----BEGIN CERTIFICATE----- \\" then the base64 lines, each ending in " \\".
  const continued = (pem: string) => pem.trim().split('\n').join(' \\\n    ');
  const text = ['listeners=SSL://127.0.0.1:0', `ssl.keystore.key=${continued(certs.server.key)}`, `ssl.keystore.certificate.chain=${continued(certs.server.cert)}`, ''].join('\n');
  const broker = await startBroker({ port: 0 }, BrokerConfig.fromProperties(text));
  try {
    assert.equal(await serverFingerprint('127.0.0.1', broker.port, certs.ca), certs.server.fingerprint);
  } finally {
    await broker.stop();
  }
});
