// The admin HTTP server with the Kafka listeners' security: HTTPS on an https:// address (and
// nothing for plain HTTP there), HTTP Basic checked against a PLAIN JAAS user and a SCRAM user made
// through AlterUserScramCredentials (`tributary user create`, as a user runs it), /health and /ready
// open to probes, a client certificate's mapped principal, and ACLs: 403 for a principal without
// DESCRIBE on the cluster, 200 once kafkajs adds the ACL; the console's records and config edit need
// READ and ALTER_CONFIGS on the topic, as Fetch and IncrementalAlterConfigs do.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { makeTestCerts, type TestCerts } from '../helpers/test-certs.js';
import { adminRequest } from '../helpers/admin-client.js';

const { Kafka, logLevel, AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes } = kafkajs;
const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../../bin/tributary.js', import.meta.url));
const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-secret" user_alice="alice-secret";';
/** The console sends record values as base64. */
const FIRST_ORDER_B64 = Buffer.from('first order').toString('base64');
const SASL = { listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'sasl.jaas.config': JAAS, 'connection.failed.authentication.delay.ms': '0' };

let certs: TestCerts;

before(() => {
  certs = makeTestCerts();
});

after(() => {
  certs?.cleanup();
});

function adminUrl(broker: RunningBroker, scheme: 'http' | 'https', path: string): string {
  return `${scheme}://127.0.0.1:${broker.adminAddress?.port ?? 0}${path}`;
}

function kafkaAs(broker: RunningBroker, user: string) {
  return new Kafka({ clientId: `admin-security-${user}`, brokers: [broker.bootstrap], sasl: { mechanism: 'plain', username: user, password: `${user}-secret` }, logLevel: logLevel.NOTHING });
}

describe('HTTPS and HTTP Basic (SASL listener, so Basic by default)', () => {
  let broker: RunningBroker;
  const https = (path: string, o: Parameters<typeof adminRequest>[1] = {}) => adminRequest(adminUrl(broker, 'https', path), { ca: certs.ca, ...o });

  before(async () => {
    broker = await startBroker({
      port: 0,
      // The admin server's own key store, by the per-listener prefix of its name.
      config: { ...SASL, 'tributary.admin.listener': 'https://127.0.0.1:0', 'listener.name.admin.ssl.keystore.location': certs.server.pemFile },
    });
  });

  after(async () => {
    await broker?.stop();
  });

  test('serves HTTPS with the configured certificate; plain HTTP on that port gets no answer', async () => {
    const health = await https('/health');
    assert.equal(health.status, 200);
    assert.deepEqual(JSON.parse(health.body), { status: 'ok' });
    assert.equal((await https('/ready')).status, 200, 'probes need no credentials');
    await assert.rejects(adminRequest(adminUrl(broker, 'http', '/health')), (err: NodeJS.ErrnoException) => ['ECONNRESET', 'EPIPE'].includes(err.code ?? '') || /socket hang up/.test(err.message));
    await assert.rejects(adminRequest(adminUrl(broker, 'https', '/health')), /self[- ]signed|unable to get local issuer|certificate/i, 'a client without the CA does not trust the server');
  });

  test('401 with a Basic challenge without credentials or with wrong ones; 200 for a PLAIN user', async () => {
    for (const path of ['/metrics', '/v1/cluster', '/console/', '/nowhere']) {
      const bare = await https(path);
      assert.equal(bare.status, 401, path);
      assert.match(String(bare.headers['www-authenticate']), /^Basic realm="Tributary admin"/);
    }
    const wrong = await https('/metrics', { basic: ['alice', 'not-her-password'] });
    assert.equal(wrong.status, 401);
    assert.match(String(wrong.headers['www-authenticate']), /^Basic/);
    assert.equal((await https('/metrics', { basic: ['mallory', 'alice-secret'] })).status, 401, 'an unknown user');
    assert.equal((await https('/metrics', { headers: { authorization: 'Basic !!!' } })).status, 401, 'a malformed header');
    const metrics = await https('/metrics', { basic: ['alice', 'alice-secret'] });
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /kafka_server_kafkaserver_brokerstate 3\n/);
    assert.equal((await https('/v1/cluster', { basic: ['alice', 'alice-secret'] })).status, 200);
  });

  test('a SCRAM user created with `tributary user create` (AlterUserScramCredentials) signs in with its password', async () => {
    assert.equal((await https('/metrics', { basic: ['carol', 'carol-secret'] })).status, 401, 'carol does not exist yet');
    const env = { ...process.env, TRIBUTARY_SASL_MECHANISM: 'PLAIN', TRIBUTARY_SASL_USERNAME: 'admin', TRIBUTARY_SASL_PASSWORD: 'admin-secret' };
    for (const [user, mechanism] of [['carol', 'SCRAM-SHA-256'], ['dave', 'SCRAM-SHA-512']]) {
      const created = await run(process.execPath, [CLI, 'user', 'create', user, '--password', `${user}-secret`, '--mechanism', mechanism, '-b', broker.bootstrap], { timeout: 30_000, env });
      assert.match(created.stdout, new RegExp(`Created user ${user} \\(${mechanism}`));
      assert.equal((await https('/metrics', { basic: [user, `${user}-secret`] })).status, 200, `${user} (${mechanism})`);
      assert.equal((await https('/metrics', { basic: [user, `${user}-secret!`] })).status, 401, `${user} with a wrong password`);
      // Again: the remembered success answers the same.
      assert.equal((await https('/v1/topics', { basic: [user, `${user}-secret`] })).status, 200);
    }
    await run(process.execPath, [CLI, 'user', 'delete', 'carol', '-b', broker.bootstrap], { timeout: 30_000, env });
    assert.equal((await https('/metrics', { basic: ['carol', 'carol-secret'] })).status, 401, 'a deleted user no longer signs in');
  });
});

describe('ACLs (authorizer.class.name set): DESCRIBE on the cluster, then what each console action needs', () => {
  let broker: RunningBroker;
  const http = (path: string, user: string, o: Parameters<typeof adminRequest>[1] = {}) => adminRequest(adminUrl(broker, 'http', path), { basic: [user, `${user}-secret`], ...o });
  const editRetention = (user: string) =>
    http('/v1/topics/orders/configs', user, { method: 'POST', headers: { 'content-type': 'application/json', 'x-tributary-console': '1' }, body: JSON.stringify({ configs: [{ name: 'retention.ms', value: '3600000' }] }) });

  before(async () => {
    broker = await startBroker({
      port: 0,
      config: { ...SASL, 'tributary.admin.listener': '127.0.0.1:0', 'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer', 'super.users': 'User:admin' },
    });
    const producer = kafkaAs(broker, 'admin').producer({ allowAutoTopicCreation: true });
    await producer.connect();
    await producer.send({ topic: 'orders', messages: [{ key: 'k', value: 'first order' }] });
    await producer.disconnect();
  });

  after(async () => {
    await broker?.stop();
  });

  async function grant(resourceType: (typeof AclResourceTypes)[keyof typeof AclResourceTypes], resourceName: string, operation: (typeof AclOperationTypes)[keyof typeof AclOperationTypes]): Promise<void> {
    const admin = kafkaAs(broker, 'admin').admin();
    await admin.connect();
    try {
      await admin.createAcls({ acl: [{ resourceType, resourceName, resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:alice', host: '*', operation, permissionType: AclPermissionTypes.ALLOW }] });
    } finally {
      await admin.disconnect();
    }
  }

  test('a super user reads everything; alice gets 403 until she may DESCRIBE the cluster; probes stay open', async () => {
    assert.equal((await adminRequest(adminUrl(broker, 'http', '/health'))).status, 200);
    assert.equal((await adminRequest(adminUrl(broker, 'http', '/ready'))).status, 200);
    assert.equal((await http('/metrics', 'admin')).status, 200);
    assert.equal((await http('/v1/topics/orders/partitions/0/records?offset=0', 'admin')).status, 200);
    const refused = await http('/metrics', 'alice');
    assert.equal(refused.status, 403);
    assert.match(JSON.parse(refused.body).error, /User:alice may not describe the cluster/);
    assert.equal((await http('/v1/topics', 'alice')).status, 403);
    assert.equal((await http('/console/', 'alice')).status, 403);

    await grant(AclResourceTypes.CLUSTER, 'kafka-cluster', AclOperationTypes.DESCRIBE);
    assert.equal((await http('/metrics', 'alice')).status, 200);
    assert.equal((await http('/v1/topics', 'alice')).status, 200);
    assert.equal((await http('/console/', 'alice')).status, 200);
  });

  test("the console's records need READ on the topic and its config edit ALTER_CONFIGS, for alice as for a Kafka client", async () => {
    await grant(AclResourceTypes.CLUSTER, 'kafka-cluster', AclOperationTypes.DESCRIBE);
    const records = await http('/v1/topics/orders/partitions/0/records?offset=0', 'alice');
    assert.equal(records.status, 403);
    assert.match(JSON.parse(records.body).error, /User:alice may not read topic orders/);
    assert.ok(!records.body.includes(FIRST_ORDER_B64));
    const edit = await editRetention('alice');
    assert.equal(edit.status, 403);
    assert.match(JSON.parse(edit.body).error, /User:alice may not alter the configs of topic orders/);

    await grant(AclResourceTypes.TOPIC, 'orders', AclOperationTypes.READ);
    const read = await http('/v1/topics/orders/partitions/0/records?offset=0', 'alice');
    assert.equal(read.status, 200);
    const page = JSON.parse(read.body) as { records: { value: string }[] };
    assert.deepEqual(page.records.map((r) => Buffer.from(r.value, 'base64').toString('utf8')), ['first order']);
    assert.equal((await editRetention('alice')).status, 403, 'READ does not allow an edit');
    await grant(AclResourceTypes.TOPIC, 'orders', AclOperationTypes.ALTER_CONFIGS);
    const edited = await editRetention('alice');
    assert.equal(edited.status, 200, edited.body);
    const topic = JSON.parse((await http('/v1/topics/orders', 'alice')).body) as { configs: { name: string; value: string }[] };
    assert.equal(topic.configs.find((c) => c.name === 'retention.ms')?.value, '3600000');
  });
});

describe('client certificates (ssl.client.auth=required, no Basic): the mapped principal meets the ACLs', () => {
  let broker: RunningBroker;
  const bob = () => certs.issue('bob', '/C=DE/O=Acme/OU=Eng/CN=bob');

  before(async () => {
    broker = await startBroker({
      port: 0,
      config: {
        'tributary.admin.listener': 'https://127.0.0.1:0',
        'tributary.admin.authentication': 'none',
        'ssl.keystore.location': certs.server.pemFile,
        'ssl.truststore.location': certs.caFile,
        'listener.name.admin.ssl.client.auth': 'required',
        'listener.name.admin.ssl.principal.mapping.rules': 'RULE:^.*CN=([a-z]+).*$/$1/,DEFAULT',
        'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer',
        'super.users': 'User:alice',
      },
    });
  });

  after(async () => {
    await broker?.stop();
  });

  test('alice (a super user by her certificate) reads /metrics; bob gets 403; no certificate, no TLS session', async () => {
    const url = adminUrl(broker, 'https', '/metrics');
    const alice = await adminRequest(url, { ca: certs.ca, cert: certs.client.cert, key: certs.client.key });
    assert.equal(alice.status, 200);
    const b = bob();
    const refused = await adminRequest(url, { ca: certs.ca, cert: b.cert, key: b.key });
    assert.equal(refused.status, 403);
    assert.match(JSON.parse(refused.body).error, /User:bob may not describe the cluster/);
    assert.equal((await adminRequest(adminUrl(broker, 'https', '/health'), { ca: certs.ca, cert: b.cert, key: b.key })).status, 200);
    await assert.rejects(adminRequest(url, { ca: certs.ca }), 'the handshake fails without a client certificate');
  });
});
