// Dynamic broker configs (Kafka's AlterConfigs on BROKER resources): set with kafkajs,
// @platformatic/kafka and the CLI (a child process) against a real broker; their effect is checked
// on the topics' logs (retention deletes segments), on new connections (max.connections), in
// DescribeConfigs (sources and synonyms in Kafka's order) and across a restart on the same data dir.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { Admin, Connection, describeConfigsV4, incrementalAlterConfigsV1, alterConfigsV2 } from '@platformatic/kafka';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

const { Kafka, logLevel, ConfigResourceTypes } = kafkajs;
const BROKER = 4;
const TOPIC = 2;
const SOURCE = { TOPIC: 1, DYNAMIC_BROKER: 2, DYNAMIC_DEFAULT: 3, STATIC: 4, DEFAULT: 5 };
const CLI = fileURLToPath(new URL('../../../bin/tributary.js', import.meta.url));
const run = promisify(execFile);

let dir: string;
let broker: RunningBroker;
let kafka: InstanceType<typeof Kafka>;
let connection: Connection;

async function start(): Promise<void> {
  broker = await startBroker({ port: 0, dataDir: dir, config: { 'log.retention.check.interval.ms': '50', 'num.partitions': '1' } });
  kafka = new Kafka({ clientId: 'dynamic-configs', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  connection = new Connection('dynamic-configs');
  await connection.connect('127.0.0.1', Number(broker.bootstrap.split(':')[1]));
}

async function stop(): Promise<void> {
  await connection.close();
  await broker.stop();
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tributary-dynamic-configs-'));
  await start();
});

after(async () => {
  await stop();
  await rm(dir, { recursive: true, force: true });
});

type Op = { name: string; configOperation: 0; value: string } | { name: string; configOperation: 1 };

/** One IncrementalAlterConfigs on a BROKER resource; answers its error code and message. */
async function alterBroker(resourceName: string, configs: Op[], validateOnly = false): Promise<{ errorCode: number; errorMessage: string | null | undefined }> {
  try {
    const r = await incrementalAlterConfigsV1.api.async(connection, [{ resourceType: BROKER, resourceName, configs }], validateOnly);
    return { errorCode: r.responses[0].errorCode, errorMessage: r.responses[0].errorMessage };
  } catch (err) {
    const response = (err as { response?: { responses: { errorCode: number; errorMessage: string | null }[] } }).response;
    if (!response) throw err;
    return { errorCode: response.responses[0].errorCode, errorMessage: response.responses[0].errorMessage };
  }
}

async function describeBroker(resourceName: string, keys: string[] | null = null) {
  const r = await describeConfigsV4.api.async(connection, [{ resourceType: BROKER, resourceName, configurationKeys: keys }], true, false);
  assert.equal(r.results[0].errorCode, 0, r.results[0].errorMessage ?? '');
  return r.results[0].configs;
}

async function describeTopic(topic: string, key: string) {
  const r = await describeConfigsV4.api.async(connection, [{ resourceType: TOPIC, resourceName: topic, configurationKeys: [key] }], true, false);
  return r.results[0].configs[0];
}

const set = (name: string, value: string): Op => ({ name, configOperation: 0, value });
const del = (name: string): Op => ({ name, configOperation: 1 });

/** Waits (bounded) until `check` holds; retention runs on its own timer. */
async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`${what}: not within 20 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a cluster-wide retention default reaches the logs of topics without an override, not those with one', async () => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: 'inherits' }, { topic: 'keeps', configEntries: [{ name: 'retention.ms', value: '604800000' }] }] });
    // kafkajs's legacy AlterConfigs on broker 1 (kafkajs refuses the resource name ""): small
    // segments; then a 1 ms retention as the cluster-wide default.
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configEntries: [{ name: 'log.segment.bytes', value: '1024' }] }] });
    assert.deepEqual(await alterBroker('', [set('log.retention.ms', '1')]), { errorCode: 0, errorMessage: null });
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < 20; i++) {
      await producer.send({ topic: 'inherits', messages: [{ value: 'x'.repeat(300) }] });
      await producer.send({ topic: 'keeps', messages: [{ value: 'x'.repeat(300) }] });
    }
    await producer.disconnect();
    await eventually('retention deletes the old segments of "inherits"', async () => Number((await admin.fetchTopicOffsets('inherits'))[0].low) > 0);
    assert.equal((await admin.fetchTopicOffsets('keeps'))[0].low, '0', 'the topic with its own retention.ms keeps its records');

    const described = await admin.describeConfigs({ includeSynonyms: true, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'inherits', configNames: ['retention.ms'] }] });
    const entry = described.resources[0].configEntries[0];
    assert.equal(entry.configValue, '1');
    assert.equal(entry.configSource, SOURCE.DYNAMIC_DEFAULT);
    const kept = await describeTopic('keeps', 'retention.ms');
    assert.equal(kept.configSource, SOURCE.TOPIC);
    assert.deepEqual(kept.synonyms.map((s) => [s.name, s.source]), [['retention.ms', SOURCE.TOPIC], ['log.retention.ms', SOURCE.DYNAMIC_DEFAULT], ['log.retention.hours', SOURCE.DEFAULT]]);
  } finally {
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configEntries: [] }] });
    await alterBroker('', [del('log.retention.ms')]);
    await admin.disconnect();
  }
});

test('per-broker beats the cluster-wide default; DescribeConfigs lists the layers in Kafka\'s order and "" only the dynamic defaults', async () => {
  assert.deepEqual(await alterBroker('', [set('log.retention.ms', '1000'), set('log.retention.bytes', '5000')]), { errorCode: 0, errorMessage: null });
  assert.deepEqual(await alterBroker('1', [set('log.retention.ms', '2000'), set('unclean.leader.election.enable', 'true')]), { errorCode: 0, errorMessage: null });
  try {
    const [retention] = await describeBroker('1', ['log.retention.ms']);
    assert.equal(retention.value, '2000');
    assert.equal(retention.configSource, SOURCE.DYNAMIC_BROKER);
    assert.equal(retention.readOnly, false);
    assert.deepEqual(retention.synonyms.map((s) => [s.name, s.value, s.source]), [
      ['log.retention.ms', '2000', SOURCE.DYNAMIC_BROKER],
      ['log.retention.ms', '1000', SOURCE.DYNAMIC_DEFAULT],
      ['log.retention.hours', '168', SOURCE.DEFAULT],
    ]);
    const [dirs] = await describeBroker('1', ['log.dirs']);
    assert.equal(dirs.readOnly, true);
    assert.equal(dirs.configSource, SOURCE.STATIC);

    const defaults = await describeBroker('');
    assert.deepEqual(defaults.map((c) => [c.name, c.value, c.configSource, c.synonyms.map((s) => s.source)]).sort(), [
      ['log.retention.bytes', '5000', SOURCE.DYNAMIC_DEFAULT, [SOURCE.DYNAMIC_DEFAULT]],
      ['log.retention.ms', '1000', SOURCE.DYNAMIC_DEFAULT, [SOURCE.DYNAMIC_DEFAULT]],
    ]);

    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'layered' }] });
    await admin.disconnect();
    const topicValue = await describeTopic('layered', 'retention.ms');
    assert.equal(topicValue.value, '2000');
    assert.equal(topicValue.configSource, SOURCE.DYNAMIC_BROKER);
    const bytes = await describeTopic('layered', 'retention.bytes');
    assert.deepEqual([bytes.value, bytes.configSource], ['5000', SOURCE.DYNAMIC_DEFAULT]);
    const unclean = await describeTopic('layered', 'unclean.leader.election.enable');
    assert.deepEqual([unclean.value, unclean.configSource], ['true', SOURCE.DYNAMIC_BROKER]);

    // @platformatic/kafka's Admin reads the same through DescribeConfigs of broker 1.
    const pAdmin = new Admin({ clientId: 'dynamic-configs', bootstrapBrokers: [broker.bootstrap], retries: 0 });
    try {
      const [b] = await pAdmin.describeConfigs({ resources: [{ resourceType: BROKER, resourceName: '1', configurationKeys: ['log.retention.bytes'] }] });
      assert.deepEqual(b.configs.map((c) => [c.name, c.value, c.configSource]), [['log.retention.bytes', '5000', SOURCE.DYNAMIC_DEFAULT]]);
    } finally {
      await pAdmin.close();
    }
  } finally {
    await alterBroker('', [del('log.retention.ms'), del('log.retention.bytes')]);
    await alterBroker('1', [del('log.retention.ms'), del('unclean.leader.election.enable')]);
  }
  assert.deepEqual(await describeBroker(''), []);
  assert.equal((await describeTopic('layered', 'retention.ms')).configSource, SOURCE.DEFAULT);
});

test("keys Kafka reads only at start are refused with Kafka's error; keys Tributary cannot apply live with INVALID_CONFIG; validateOnly changes nothing", async () => {
  assert.deepEqual(await alterBroker('1', [set('log.dirs', '/elsewhere')]), { errorCode: 42, errorMessage: 'Cannot update these configs dynamically: Set(log.dirs)' });
  assert.deepEqual(await alterBroker('', [set('listener.name.PLAINTEXT.ssl.keystore.location', '/k.jks')]), {
    errorCode: 42,
    errorMessage: 'Cannot update these configs at default cluster level, broker id must be specified: Set(listener.name.PLAINTEXT.ssl.keystore.location)',
  });
  assert.deepEqual(await alterBroker('1', [set('ssl.keystore.location', '/k.jks')]), {
    errorCode: 42,
    errorMessage: 'These security configs can be dynamically updated only per-listener using the listener prefix: Set(ssl.keystore.location)',
  });
  assert.deepEqual(await alterBroker('2', [set('log.retention.ms', '1')]), { errorCode: 42, errorMessage: 'Unexpected broker id, expected 1, but received 2' });
  const notLive = await alterBroker('1', [set('num.io.threads', '4')]);
  assert.equal(notLive.errorCode, 40);
  assert.match(notLive.errorMessage ?? '', /only at start.*Set\(num\.io\.threads\)/);
  const badValue = await alterBroker('', [set('log.retention.ms', 'soon')]);
  assert.equal(badValue.errorCode, 42);
  // Legacy AlterConfigs refuses the same way.
  const legacy = await alterConfigsV2.api.async(connection, [{ resourceType: BROKER, resourceName: '1', configs: [{ name: 'node.id', value: '7' }] }], false).catch((err: { response: Awaited<ReturnType<typeof alterConfigsV2.api.async>> }) => err.response);
  assert.deepEqual([legacy.responses[0].errorCode, legacy.responses[0].errorMessage], [42, 'Cannot update these configs dynamically: Set(node.id)']);

  assert.deepEqual(await alterBroker('', [set('log.retention.ms', '5')], true), { errorCode: 0, errorMessage: null });
  assert.deepEqual(await describeBroker(''), [], 'validateOnly stored nothing');
  assert.equal((await describeBroker('1', ['log.retention.ms']))[0].configSource, SOURCE.DEFAULT);
});

test('max.connections set dynamically applies to the next connection; deleting it lifts the limit', async () => {
  assert.deepEqual(await alterBroker('1', [set('max.connections', '0')]), { errorCode: 0, errorMessage: null });
  const refused = await RawClient.open(broker.bootstrap);
  assert.equal(await refused.waitClosed(), true, 'a new connection is closed at once');
  refused.close();
  // The connection that made the change was open before: it stays.
  assert.deepEqual(await alterBroker('1', [del('max.connections')]), { errorCode: 0, errorMessage: null });
  const admitted = await RawClient.open(broker.bootstrap);
  try {
    admitted.sendRequest(18, 0, 1, {});
    assert.notEqual(await admitted.response(18, 0), null, 'ApiVersions is answered');
  } finally {
    admitted.close();
  }
});

test('dynamic configs survive a restart on the same data directory', async () => {
  assert.equal((await alterBroker('', [set('log.retention.ms', '3000')])).errorCode, 0);
  assert.equal((await alterBroker('1', [set('min.insync.replicas', '1'), set('message.max.bytes', '2000000')])).errorCode, 0);
  await stop();
  await start();
  try {
    assert.deepEqual((await describeBroker('')).map((c) => [c.name, c.value]), [['log.retention.ms', '3000']]);
    const own = await describeBroker('1', ['message.max.bytes', 'log.retention.ms']);
    assert.deepEqual(own.map((c) => [c.name, c.value, c.configSource]).sort(), [['log.retention.ms', '3000', SOURCE.DYNAMIC_DEFAULT], ['message.max.bytes', '2000000', SOURCE.DYNAMIC_BROKER]]);
  } finally {
    await alterBroker('', [del('log.retention.ms')]);
    await alterBroker('1', [del('min.insync.replicas'), del('message.max.bytes')]);
  }
});

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args, '-b', broker.bootstrap], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

test('tributary config set / get / delete: the cluster-wide default, one broker, the sources, refusals', async () => {
  const setDefault = await cli(['config', 'set', 'log.retention.ms=86400000', 'log.segment.bytes=1048576']);
  assert.equal(setDefault.code, 0, setDefault.stderr);
  assert.equal(setDefault.stdout.trim(), 'Altered the cluster-wide default: log.retention.ms=86400000, log.segment.bytes=1048576.');
  const setOwn = await cli(['config', 'set', 'log.retention.ms=43200000', '--broker', '1']);
  assert.equal(setOwn.code, 0, setOwn.stderr);
  try {
    const defaults = await cli(['config', 'get', '--cluster-default', '--json']);
    assert.equal(defaults.code, 0, defaults.stderr);
    const parsed = JSON.parse(defaults.stdout) as { configs: { name: string; value: string; source: string }[] };
    assert.deepEqual(parsed.configs.map((c) => [c.name, c.value, c.source]).sort(), [['log.retention.ms', '86400000', 'dynamic-default-broker'], ['log.segment.bytes', '1048576', 'dynamic-default-broker']]);
    const own = await cli(['config', 'get', 'log.retention.ms', 'log.segment.bytes']);
    assert.match(own.stdout, /log\.retention\.ms\s+43200000\s+dynamic-broker\nlog\.segment\.bytes\s+1048576\s+dynamic-default-broker/);
    const dry = await cli(['config', 'set', 'log.retention.ms=1', '--dry-run']);
    assert.equal(dry.stdout.trim(), 'Would alter the cluster-wide default: log.retention.ms=1.');
    assert.equal((await describeBroker('', ['log.retention.ms']))[0].value, '86400000');
    const readOnly = await cli(['config', 'set', 'log.dirs=/x', '--broker', '1']);
    assert.equal(readOnly.code, 1);
    assert.equal(readOnly.stderr.trim(), 'INVALID_REQUEST: Cannot update these configs dynamically: Set(log.dirs)');
  } finally {
    const deleted = await cli(['config', 'delete', 'log.retention.ms', 'log.segment.bytes']);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(deleted.stdout.trim(), 'Altered the cluster-wide default: log.retention.ms (removed), log.segment.bytes (removed).');
    assert.equal((await cli(['config', 'delete', 'log.retention.ms', '--broker', '1'])).code, 0);
  }
  assert.deepEqual(await describeBroker(''), []);
});
