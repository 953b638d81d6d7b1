// The ACL authorizer with real clients, all as User:ANONYMOUS (PLAINTEXT): a first broker run with
// User:ANONYMOUS as super user creates the topics and grants ALTER/DESCRIBE on the cluster (so the
// test can manage ACLs), then the broker restarts on the same data directory without super users
// and allow.everyone.if.no.acl.found=false: the ACLs survived, and every other right comes from
// ACLs the tests create with kafkajs admin. Refusals are audited as one structured line each.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { Admin as PlatformaticAdmin } from '@platformatic/kafka';

const { Kafka, logLevel, AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes } = kafkajs;
type Admin = ReturnType<InstanceType<typeof Kafka>['admin']>;

const ANON = 'User:ANONYMOUS';
const AUTHORIZER = { 'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'allow.everyone.if.no.acl.found': 'false' };
const TOPICS = ['acl-lit', 'acl-pre-x', 'acl-deny', 'acl-hidden', 'acl-visible', 'acl-group'];

let dataDir: string;
let broker: RunningBroker;
let client: InstanceType<typeof Kafka>;
let admin: Admin;
const logLines: Record<string, unknown>[] = [];

function capturingLogger() {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return pino({ level: 'info' }, sink);
}

function kafkaErrorType(err: unknown): string | undefined {
  const e = err as { type?: string; errors?: unknown[]; cause?: unknown; originalError?: unknown };
  if (typeof e?.type === 'string') return e.type;
  for (const inner of [e?.originalError, e?.cause, ...(e?.errors ?? [])]) {
    const t = inner === undefined ? undefined : kafkaErrorType(inner);
    if (t) return t;
  }
  return undefined;
}

const topicAcl = (name: string, operation: number, permissionType: number = AclPermissionTypes.ALLOW, resourcePatternType: number = ResourcePatternTypes.LITERAL) => ({
  resourceType: AclResourceTypes.TOPIC,
  resourceName: name,
  resourcePatternType,
  principal: ANON,
  host: '*',
  operation,
  permissionType,
});

async function produceOnce(topic: string, value: string): Promise<void> {
  const producer = client.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
  await producer.connect();
  try {
    await producer.send({ topic, messages: [{ value }], acks: -1 });
  } finally {
    await producer.disconnect();
  }
}

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'tributary-acl-'));
  // First run: User:ANONYMOUS is a super user, so it may do everything with no ACL at all.
  const first = await startBroker({ port: 0, dataDir, config: { ...AUTHORIZER, 'super.users': `User:admin;${ANON}` } });
  try {
    const c = new Kafka({ clientId: 'acl-setup', brokers: [first.bootstrap], logLevel: logLevel.NOTHING });
    const a = c.admin();
    await a.connect();
    assert.equal(await a.createTopics({ topics: TOPICS.map((topic) => ({ topic })) }), true, 'a super user creates topics without any ACL');
    await a.createAcls({
      acl: [AclOperationTypes.ALTER, AclOperationTypes.DESCRIBE].map((operation) => ({
        resourceType: AclResourceTypes.CLUSTER,
        resourceName: 'kafka-cluster',
        resourcePatternType: ResourcePatternTypes.LITERAL,
        principal: ANON,
        host: '*',
        operation,
        permissionType: AclPermissionTypes.ALLOW,
      })),
    });
    await a.disconnect();
  } finally {
    await first.stop();
  }
  broker = await startBroker({ port: 0, dataDir, config: AUTHORIZER, logger: capturingLogger() });
  client = new Kafka({ clientId: 'acl-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  admin = client.admin();
  await admin.connect();
});

after(async () => {
  await admin?.disconnect();
  await broker?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

test('the ACLs created before a restart are there after it, and grant what they say', async () => {
  const described = await admin.describeAcls({
    resourceType: AclResourceTypes.CLUSTER,
    resourcePatternType: ResourcePatternTypes.ANY,
    operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY,
  });
  assert.deepEqual(
    described.resources.map((r) => ({ ...r, acls: [...r.acls].sort((x, y) => x.operation - y.operation) })),
    [
      {
        resourceType: AclResourceTypes.CLUSTER,
        resourceName: 'kafka-cluster',
        resourcePatternType: ResourcePatternTypes.LITERAL,
        acls: [
          { principal: ANON, host: '*', operation: AclOperationTypes.ALTER, permissionType: AclPermissionTypes.ALLOW },
          { principal: ANON, host: '*', operation: AclOperationTypes.DESCRIBE, permissionType: AclPermissionTypes.ALLOW },
        ],
      },
    ],
  );
});

test('kafkajs createAcls / describeAcls / deleteAcls round trip, with filters', async () => {
  const group = { resourceType: AclResourceTypes.GROUP, resourceName: 'rt-', resourcePatternType: ResourcePatternTypes.PREFIXED, principal: 'User:alice', host: '10.0.0.7', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.DENY };
  const topic = { ...topicAcl('rt-topic', AclOperationTypes.WRITE), principal: 'User:alice' };
  assert.equal(await admin.createAcls({ acl: [group, topic, topic] }), true);
  const any = { resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY };
  const byAlice = await admin.describeAcls({ resourceType: AclResourceTypes.ANY, principal: 'User:alice', ...any });
  const flat = byAlice.resources.flatMap((r) => r.acls.map((a) => ({ resourceType: r.resourceType, resourceName: r.resourceName, resourcePatternType: r.resourcePatternType, ...a })));
  assert.deepEqual(flat.sort((a, b) => a.resourceType - b.resourceType), [topic, group], 'the duplicate creation is one ACL');
  // MATCH: the ACLs that would apply to the group "rt-orders".
  const match = await admin.describeAcls({ resourceType: AclResourceTypes.GROUP, resourceName: 'rt-orders', resourcePatternType: ResourcePatternTypes.MATCH, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY });
  assert.deepEqual(match.resources.map((r) => r.resourceName), ['rt-']);
  const deleted = await admin.deleteAcls({ filters: [{ resourceType: AclResourceTypes.ANY, principal: 'User:alice', ...any }, { resourceType: AclResourceTypes.TOPIC, resourceName: 'nothing-here', ...any }] });
  assert.equal(deleted.filterResponses.length, 2);
  assert.equal(deleted.filterResponses[0].errorCode, 0);
  assert.deepEqual(
    deleted.filterResponses[0].matchingAcls.map(({ resourceType, resourceName, resourcePatternType, principal, host, operation, permissionType }) => ({ resourceType, resourceName, resourcePatternType, principal, host, operation, permissionType })).sort((a, b) => a.resourceType - b.resourceType),
    [topic, group],
  );
  assert.deepEqual(deleted.filterResponses[1].matchingAcls, []);
  assert.deepEqual((await admin.describeAcls({ resourceType: AclResourceTypes.ANY, principal: 'User:alice', ...any })).resources, []);
});

test('@platformatic/kafka createAcls / describeAcls / deleteAcls round trip (flexible v3)', async () => {
  const pf = new PlatformaticAdmin({ clientId: 'acl-platformatic', bootstrapBrokers: [broker.bootstrap], retries: 0 });
  try {
    const acl = { resourceType: 5, resourceName: 'pf-txn', resourcePatternType: 4, principal: 'User:carol', host: '10.1.2.3', operation: 4, permissionType: 3 } as const;
    await pf.createAcls({ creations: [acl] });
    const filter = { resourceType: 5, resourceName: null, resourcePatternType: 1, principal: 'User:carol', host: null, operation: 1, permissionType: 1 } as const;
    const described = await pf.describeAcls({ filter });
    assert.deepEqual(
      described.map((r) => ({ resourceType: r.resourceType, resourceName: r.resourceName, resourcePatternType: r.resourcePatternType, acls: r.acls.map((a) => ({ ...a })) })),
      [{ resourceType: 5, resourceName: 'pf-txn', resourcePatternType: 4, acls: [{ principal: 'User:carol', host: '10.1.2.3', operation: 4, permissionType: 3 }] }],
    );
    const deleted = await pf.deleteAcls({ filters: [filter] });
    assert.deepEqual(
      deleted.map(({ resourceType, resourceName, resourcePatternType, principal, host, operation, permissionType }) => ({ resourceType, resourceName, resourcePatternType, principal, host, operation, permissionType })),
      [acl],
    );
    assert.deepEqual(await pf.describeAcls({ filter }), []);
  } finally {
    await pf.close();
  }
});

test('a producer gets TOPIC_AUTHORIZATION_FAILED until a LITERAL or PREFIXED ALLOW WRITE exists, and a DENY wins over an ALLOW', async () => {
  await assert.rejects(produceOnce('acl-lit', 'refused'), (err) => kafkaErrorType(err) === 'TOPIC_AUTHORIZATION_FAILED');
  await admin.createAcls({ acl: [topicAcl('acl-lit', AclOperationTypes.WRITE)] });
  await produceOnce('acl-lit', 'literal');

  await assert.rejects(produceOnce('acl-pre-x', 'refused'), (err) => kafkaErrorType(err) === 'TOPIC_AUTHORIZATION_FAILED');
  await admin.createAcls({ acl: [topicAcl('acl-pre-', AclOperationTypes.WRITE, AclPermissionTypes.ALLOW, ResourcePatternTypes.PREFIXED)] });
  await produceOnce('acl-pre-x', 'prefixed');

  await admin.createAcls({ acl: [topicAcl('acl-deny', AclOperationTypes.ALL), topicAcl('acl-deny', AclOperationTypes.WRITE, AclPermissionTypes.DENY)] });
  await assert.rejects(produceOnce('acl-deny', 'denied'), (err) => kafkaErrorType(err) === 'TOPIC_AUTHORIZATION_FAILED');

  // The audit trail: one structured line per refusal, with who, from where, what, on which resource, by which API.
  const denied = logLines.filter((l) => l.audit === 'denied' && l.resourceName === 'acl-deny');
  assert.ok(denied.length >= 1, 'the DENY is audited');
  assert.deepEqual(
    { principal: denied[0].principal, host: denied[0].host, operation: denied[0].operation, resourceType: denied[0].resourceType, level: denied[0].level },
    { principal: ANON, host: '127.0.0.1', operation: 'WRITE', resourceType: 'TOPIC', level: 30 },
  );
  assert.equal(denied[0].api, 'Produce');
  const refusedLit = logLines.filter((l) => l.audit === 'denied' && l.resourceName === 'acl-lit');
  assert.ok(refusedLit.some((l) => l.api === 'Metadata' && l.operation === 'DESCRIBE'), 'the producer was first refused the topic\'s metadata');
});

test('Metadata leaves out topics the principal may not describe and answers TOPIC_AUTHORIZATION_FAILED for them by name', async () => {
  await admin.createAcls({ acl: [topicAcl('acl-visible', AclOperationTypes.DESCRIBE)] });
  const listed = await admin.listTopics();
  assert.ok(listed.includes('acl-visible'));
  assert.ok(!listed.includes('acl-hidden'), `acl-hidden is hidden from ${listed.join(',')}`);
  await assert.rejects(admin.fetchTopicMetadata({ topics: ['acl-hidden'] }), (err) => kafkaErrorType(err) === 'TOPIC_AUTHORIZATION_FAILED');
  const md = await admin.fetchTopicMetadata({ topics: ['acl-visible'] });
  assert.equal(md.topics[0].name, 'acl-visible');
  // Authorized operations (KIP-430): DESCRIBE only (bit 8).
  const raw = await RawClient.open(broker.bootstrap);
  try {
    raw.sendRequest(3, 12, 1, { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'acl-visible' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: true });
    const answer = (await raw.response(3, 12, 10_000)) as { body: { topics: { topicAuthorizedOperations: number }[] } } | null;
    assert.equal(answer?.body.topics[0].topicAuthorizedOperations, 1 << 8);
  } finally {
    raw.socket.destroy();
  }
});

test('a consumer group needs READ on the group (and on the topic)', async () => {
  await admin.createAcls({ acl: [topicAcl('acl-group', AclOperationTypes.WRITE), topicAcl('acl-group', AclOperationTypes.READ)] });
  await produceOnce('acl-group', 'for-the-group');
  // No ACL on the group: FindCoordinator (DESCRIBE on the group) is refused; kafkajs reports that as "no coordinator found".
  const unknown = await runConsumer('cg-1', 'acl-group');
  assert.notEqual(unknown.error, undefined);
  assert.deepEqual(unknown.values, []);
  assert.ok(logLines.some((l) => l.audit === 'denied' && l.api === 'FindCoordinator' && l.resourceType === 'GROUP' && l.resourceName === 'cg-1' && l.operation === 'DESCRIBE'));
  // DESCRIBE (the coordinator can be found) but not READ: JoinGroup answers GROUP_AUTHORIZATION_FAILED.
  await admin.createAcls({
    acl: [{ resourceType: AclResourceTypes.GROUP, resourceName: 'cg-1', resourcePatternType: ResourcePatternTypes.LITERAL, principal: ANON, host: '*', operation: AclOperationTypes.DESCRIBE, permissionType: AclPermissionTypes.ALLOW }],
  });
  const crashed = await runConsumer('cg-1', 'acl-group');
  assert.equal(crashed.error, 'GROUP_AUTHORIZATION_FAILED');
  await admin.createAcls({
    acl: [{ resourceType: AclResourceTypes.GROUP, resourceName: 'cg-', resourcePatternType: ResourcePatternTypes.PREFIXED, principal: ANON, host: '*', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW }],
  });
  const consumed = await runConsumer('cg-1', 'acl-group');
  assert.deepEqual(consumed.values, ['for-the-group']);
});

/** Runs a kafkajs consumer until it reads one message or crashes (bounded by a deadline). */
async function runConsumer(groupId: string, topic: string): Promise<{ error?: string; values: string[] }> {
  const consumer = client.consumer({ groupId, retry: { retries: 0 }, sessionTimeout: 6000, heartbeatInterval: 500 });
  const values: string[] = [];
  let error: string | undefined;
  consumer.on(consumer.events.CRASH, (e) => {
    error = kafkaErrorType(e.payload.error) ?? String(e.payload.error);
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value?.toString() ?? '') }).catch((err: unknown) => {
      error = kafkaErrorType(err) ?? String(err);
    });
    const deadline = Date.now() + 20_000;
    while (error === undefined && values.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  } finally {
    await consumer.disconnect();
  }
  return { error, values };
}

test('hostile CreateAcls: bad enums, empty names, bad principals and 10,000 ACLs in one request get error codes; the broker keeps serving', async () => {
  const raw = await RawClient.open(broker.bootstrap);
  try {
    const good = { resourceType: 2, resourceName: 'hostile', resourcePatternType: 3, principal: 'User:eve', host: '*', operation: 3, permissionType: 3 };
    const creations = [
      good,
      { ...good, resourceType: 0 },
      { ...good, resourceType: 1 },
      { ...good, resourceType: 42 },
      { ...good, resourcePatternType: 2 },
      { ...good, resourcePatternType: 9 },
      { ...good, operation: 1 },
      { ...good, operation: -7 },
      { ...good, permissionType: 1 },
      { ...good, resourceName: '' },
      { ...good, resourceType: 4, resourceName: 'other-cluster' },
      { ...good, principal: 'eve' },
      { ...good, host: '' },
    ];
    raw.sendRequest(30, 3, 1, { creations });
    const answer = (await raw.response(30, 3, 30_000)) as { body: { results: { errorCode: number; errorMessage: string | null }[] } } | null;
    assert.ok(answer);
    assert.deepEqual(answer.body.results.map((r) => r.errorCode), [0, ...Array<number>(creations.length - 1).fill(42)]);
    assert.ok(answer.body.results.slice(1).every((r) => typeof r.errorMessage === 'string' && r.errorMessage.length > 0));

    const many = Array.from({ length: 10_000 }, (_, i) => ({ ...good, resourceName: i % 2 === 0 ? '' : `bulk-${i}`, operation: i % 2 === 0 ? 3 : 99 }));
    raw.sendRequest(30, 1, 2, { creations: many });
    const bulk = (await raw.response(30, 1, 60_000)) as { body: { results: { errorCode: number }[] } } | null;
    assert.ok(bulk);
    assert.equal(bulk.body.results.length, 10_000);
    assert.ok(bulk.body.results.every((r) => r.errorCode === 42));

    // Bad filters: UNKNOWN fields are INVALID_REQUEST for DescribeAcls and per filter for DeleteAcls.
    raw.sendRequest(29, 1, 3, { resourceTypeFilter: 0, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 });
    const described = (await raw.response(29, 1, 30_000)) as { body: { errorCode: number } } | null;
    assert.equal(described?.body.errorCode, 42);
    raw.sendRequest(31, 1, 4, { filters: [{ resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 0, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 }] });
    const removed = (await raw.response(31, 1, 30_000)) as { body: { filterResults: { errorCode: number; matchingAcls: unknown[] }[] } } | null;
    assert.deepEqual(removed?.body.filterResults.map((r) => [r.errorCode, r.matchingAcls.length]), [[42, 0]]);
  } finally {
    raw.socket.destroy();
  }
  const any = { resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY };
  const eve = await admin.describeAcls({ resourceType: AclResourceTypes.ANY, principal: 'User:eve', ...any });
  assert.deepEqual(eve.resources.map((r) => [r.resourceName, r.acls.length]), [['hostile', 1]], 'only the one valid ACL was stored');
});

test('without ALTER on the cluster, CreateAcls is CLUSTER_AUTHORIZATION_FAILED', async () => {
  const del = await admin.deleteAcls({ filters: [{ resourceType: AclResourceTypes.CLUSTER, resourcePatternType: ResourcePatternTypes.LITERAL, operation: AclOperationTypes.ALTER, permissionType: AclPermissionTypes.ALLOW }] });
  assert.equal(del.filterResponses[0].matchingAcls.length, 1);
  await assert.rejects(admin.createAcls({ acl: [topicAcl('acl-lit', AclOperationTypes.READ)] }), (err) => kafkaErrorType(err) === 'CLUSTER_AUTHORIZATION_FAILED');
  // DESCRIBE on the cluster is still granted: the removal is visible.
  const left = await admin.describeAcls({ resourceType: AclResourceTypes.CLUSTER, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY });
  assert.deepEqual(left.resources.flatMap((r) => r.acls.map((a) => a.operation)), [AclOperationTypes.DESCRIBE]);
});

test('without an authorizer the ACL APIs answer SECURITY_DISABLED; an unknown authorizer class stops the start', async () => {
  const plain = await startBroker({ port: 0 });
  try {
    const a = new Kafka({ clientId: 'acl-plain', brokers: [plain.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
    await a.connect();
    try {
      await assert.rejects(a.describeAcls({ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY }), (err) => kafkaErrorType(err) === 'SECURITY_DISABLED');
      await assert.rejects(a.createAcls({ acl: [topicAcl('x', AclOperationTypes.READ)] }), (err) => kafkaErrorType(err) === 'SECURITY_DISABLED');
    } finally {
      await a.disconnect();
    }
  } finally {
    await plain.stop();
  }
  await assert.rejects(startBroker({ port: 0, config: { 'authorizer.class.name': 'com.example.MyAuthorizer' } }), (err: Error) => err.name === 'ConfigError' && /authorizer\.class\.name/.test(err.message));
});
