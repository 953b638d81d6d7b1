// ACLs for named users (SASL PLAIN): `tributary acl create | list | delete` run as a user runs them
// (a child process, authenticated as the super user admin), and what alice and bob may then do
// with kcat (librdkafka) and kafkajs: each only what the ACLs grant them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { kcat } from '../helpers/kcat.js';

const { Kafka, logLevel } = kafkajs;
const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../../bin/tributary.js', import.meta.url));
const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-secret" user_alice="alice-secret" user_bob="bob-secret";';
const as = (user: string) => ({ TRIBUTARY_SASL_MECHANISM: 'PLAIN', TRIBUTARY_SASL_USERNAME: user, TRIBUTARY_SASL_PASSWORD: `${user}-secret` });

let broker: RunningBroker;

async function tributary(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, 'acl', ...args, '-b', broker.bootstrap], { timeout: 30_000, env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const kcatAs = (user: string) => ['-b', broker.bootstrap, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=PLAIN', '-X', `sasl.username=${user}`, '-X', `sasl.password=${user}-secret`];

before(async () => {
  broker = await startBroker({
    port: 0,
    config: {
      listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
      'sasl.jaas.config': JAAS,
      'connection.failed.authentication.delay.ms': '0',
      'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer',
      'super.users': 'User:admin',
      'auto.create.topics.enable': 'false',
      'group.initial.rebalance.delay.ms': '0',
      'offsets.topic.num.partitions': '2',
    },
  });
  // A short message timeout: librdkafka otherwise waits 30 s for a topic that never comes.
  const created = await kcat([...kcatAs('admin'), '-X', 'message.timeout.ms=1000', '-P', '-t', 'orders'], 'seed\n');
  assert.notEqual(created.code, 0, 'orders does not exist yet and is not auto-created');
  const admin = new Kafka({ clientId: 'acl-sasl-admin', brokers: [broker.bootstrap], sasl: { mechanism: 'plain', username: 'admin', password: 'admin-secret' }, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'orders' }, { topic: 'audit' }] });
  await admin.disconnect();
});

after(async () => {
  await broker?.stop();
});

test('acl create grants alice WRITE on orders and bob READ on orders and his groups; each can do only that', async () => {
  const alice = await tributary(as('admin'), 'create', '--allow-principal', 'User:alice', '--operation', 'Write', '--topic', 'orders', '--json');
  assert.equal(alice.code, 0, alice.stderr);
  assert.deepEqual(JSON.parse(alice.stdout), {
    created: [{ resourceType: 'TOPIC', resourceName: 'orders', patternType: 'LITERAL', principal: 'User:alice', host: '*', operation: 'WRITE', permission: 'ALLOW' }],
  });
  const bob = await tributary(as('admin'), 'create', '--allow-principal', 'User:bob', '--operation', 'Read', '--topic', 'ord', '--group', 'bob-', '--resource-pattern-type', 'PREFIXED');
  assert.equal(bob.code, 0, bob.stderr);
  assert.match(bob.stdout, /^RESOURCE\s+NAME\s+PATTERN\s+PRINCIPAL\s+HOST\s+OPERATION\s+PERMISSION\nTOPIC\s+ord\s+PREFIXED\s+User:bob\s+\*\s+READ\s+ALLOW\nGROUP\s+bob-\s+PREFIXED\s+User:bob\s+\*\s+READ\s+ALLOW\n$/m);

  const written = await kcat([...kcatAs('alice'), '-P', '-t', 'orders'], 'one\ntwo\n');
  assert.equal(written.code, 0, written.stderr);
  const bobWrites = await kcat([...kcatAs('bob'), '-P', '-t', 'orders'], 'nope\n');
  assert.notEqual(bobWrites.code, 0);
  assert.match(bobWrites.stderr, /[Tt]opic authorization failed/);
  const aliceWritesAudit = await kcat([...kcatAs('alice'), '-P', '-t', 'audit'], 'nope\n');
  assert.notEqual(aliceWritesAudit.code, 0);

  // bob reads orders in a group of his own (kafkajs: JoinGroup, SyncGroup, OffsetCommit need READ on the group).
  const kafka = new Kafka({ clientId: 'acl-sasl-bob', brokers: [broker.bootstrap], sasl: { mechanism: 'plain', username: 'bob', password: 'bob-secret' }, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: 'bob-readers' });
  const values: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: 'orders', fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value?.toString() ?? '') });
    const deadline = Date.now() + 20_000;
    while (values.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  } finally {
    await consumer.disconnect();
  }
  assert.deepEqual(values, ['one', 'two']);
  // alice may not read (WRITE implies DESCRIBE, not READ).
  const aliceReads = await kcat([...kcatAs('alice'), '-C', '-t', 'orders', '-o', 'beginning', '-e', '-q']);
  assert.notEqual(aliceReads.code, 0);
  assert.match(aliceReads.stderr, /[Tt]opic authorization failed/);
});

test('acl list and delete print what they found; a user without ALTER on the cluster may not manage ACLs', async () => {
  const listed = await tributary(as('admin'), 'list', '--principal', 'User:alice', '--json');
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(JSON.parse(listed.stdout), { acls: [{ resourceType: 'TOPIC', resourceName: 'orders', patternType: 'LITERAL', principal: 'User:alice', host: '*', operation: 'WRITE', permission: 'ALLOW' }] });
  const matching = await tributary(as('admin'), 'list', '--topic', 'orders', '--resource-pattern-type', 'MATCH', '--json');
  // Sorted by resource name: bob's PREFIXED "ord" before alice's LITERAL "orders"; bob's group ACL does not apply to a topic.
  assert.deepEqual((JSON.parse(matching.stdout) as { acls: { principal: string; resourceName: string }[] }).acls.map((a) => [a.principal, a.resourceName]), [['User:bob', 'ord'], ['User:alice', 'orders']]);

  const byAlice = await tributary(as('alice'), 'create', '--allow-principal', 'User:alice', '--operation', 'Read', '--topic', 'orders');
  assert.notEqual(byAlice.code, 0);
  assert.match(byAlice.stderr, /User:alice may not alter ACLs/);
  const aliceLists = await tributary(as('alice'), 'list');
  assert.notEqual(aliceLists.code, 0);

  const deleted = await tributary(as('admin'), 'delete', '--allow-principal', 'User:alice', '--topic', 'orders', '--json');
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.deepEqual(JSON.parse(deleted.stdout), { deleted: [{ resourceType: 'TOPIC', resourceName: 'orders', patternType: 'LITERAL', principal: 'User:alice', host: '*', operation: 'WRITE', permission: 'ALLOW' }] });
  const refused = await kcat([...kcatAs('alice'), '-P', '-t', 'orders'], 'after\n');
  assert.notEqual(refused.code, 0);
  const empty = await tributary(as('admin'), 'list', '--principal', 'User:alice');
  assert.equal(empty.stdout.trim(), 'No ACLs.');
  const bad = await tributary(as('admin'), 'create', '--allow-principal', 'User:x', '--operation', 'Fly', '--topic', 'orders');
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /unknown --operation Fly/);
});
