// `tributary topic create|list|alter-config|add-partitions|delete`, `produce` and `consume`, run as a
// user runs them (child processes) against an in-process broker; what they did is checked with
// kafkajs's admin and consumer, and what they print is checked line by line.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';

const { Kafka, logLevel, ConfigResourceTypes } = kafkajs;
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { kcatRecords } from '../helpers/kcat.js';
import { batchesIn } from '../../src/protocol/records/batch-records.js';
import { CompressionType } from '../../src/protocol/records/record-batch.js';
import type { FetchResponse } from '../../src/protocol/generated/index.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../../bin/tributary.js', import.meta.url));
let broker: RunningBroker;
let kafka: InstanceType<typeof Kafka>;

async function cli(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  if (input === undefined) {
    try {
      const { stdout, stderr } = await run(process.execPath, [CLI, ...args, '-b', broker.bootstrap], { timeout: 60_000 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args, '-b', broker.bootstrap], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

async function ok(args: string[], input?: string): Promise<string> {
  const r = await cli(args, input);
  assert.equal(r.code, 0, `tributary ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  broker = await startBroker({ port: 0, config: { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '2' } });
  kafka = new Kafka({ clientId: 'cli-check', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
});

after(async () => {
  await broker?.stop();
});

test('topic create, list, alter-config, add-partitions and delete do what they say', async () => {
  const created = await ok(['topic', 'create', 'cli-orders', 'cli-audit', '-p', '3', '-c', 'cleanup.policy=compact', '-c', 'retention.ms=86400000']);
  assert.match(created, /TOPIC\s+PARTITIONS\s+REPLICAS\ncli-orders\s+3\s+1\ncli-audit\s+3\s+1/);
  const listed = JSON.parse(await ok(['topic', 'list', '--json'])) as { topics: { topic: string; partitions: number }[] };
  assert.deepEqual(listed.topics.filter((t) => t.topic.startsWith('cli-')), [{ topic: 'cli-audit', partitions: 3, replicas: 1 }, { topic: 'cli-orders', partitions: 3, replicas: 1 }]);
  assert.ok(!listed.topics.some((t) => t.topic.startsWith('__')), 'internal topics only with --internal');
  // The broker of this file has 2 __consumer_offsets partitions (offsets.topic.num.partitions).
  const internal = JSON.parse(await ok(['topic', 'list', '--internal', '--json'])) as { topics: { topic: string; partitions: number }[] };
  assert.deepEqual(internal.topics.find((t) => t.topic === '__consumer_offsets'), { topic: '__consumer_offsets', partitions: 2, replicas: 1 });
  assert.match(await ok(['topic', 'list', '--internal']), /\n__consumer_offsets\s+2\s+1\n/);
  assert.match(await ok(['topic', 'alter-config', 'cli-orders', '--set', 'retention.ms=3600000', '--delete', 'cleanup.policy']), /Altered cli-orders: retention.ms=3600000, cleanup.policy \(default\)/);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const configs = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'cli-orders', configNames: ['retention.ms', 'cleanup.policy'] }], includeSynonyms: false });
    const values = Object.fromEntries(configs.resources[0].configEntries.map((c) => [c.configName, c.configValue]));
    assert.deepEqual(values, { 'retention.ms': '3600000', 'cleanup.policy': 'delete' });
    await ok(['topic', 'add-partitions', 'cli-orders', '--total', '5']);
    const md = await admin.fetchTopicMetadata({ topics: ['cli-orders'] });
    assert.equal(md.topics[0].partitions.length, 5);
    assert.match(await ok(['topic', 'delete', 'cli-audit']), /Deleted cli-audit\./);
    assert.ok(!(await admin.listTopics()).includes('cli-audit'));
  } finally {
    await admin.disconnect();
  }
});

test('produce takes keys, headers and compression; consume prints formats, JSON, counts and timestamps', async () => {
  await ok(['topic', 'create', 'cli-events', '-p', '1']);
  const lines = Array.from({ length: 30 }, (_, i) => `k${i}|value ${i}`);
  const produced = await cli(['produce', 'cli-events', '-k', '|', '-H', 'source=cli', '-H', 'run=1', '-z', 'gzip', '--no-progress'], `${lines.join('\n')}\n`);
  assert.equal(produced.code, 0, produced.stderr);
  assert.match(produced.stderr, /Produced 30 records to cli-events\./);

  const consumer = kafka.consumer({ groupId: 'cli-verify' });
  await consumer.connect();
  await consumer.subscribe({ topic: 'cli-events', fromBeginning: true });
  const seen: string[] = [];
  await new Promise<void>((resolve, reject) => {
    consumer.run({ eachMessage: async ({ message }) => void (seen.push(`${message.key?.toString()}=${message.value?.toString()};${message.headers?.source?.toString()},${message.headers?.run?.toString()}`) === 30 && resolve()) }).catch(reject);
  });
  await consumer.disconnect();
  assert.deepEqual(seen, Array.from({ length: 30 }, (_, i) => `k${i}=value ${i};cli,1`));

  const formatted = await ok(['consume', 'cli-events', '-e', '-f', '%p/%o %k -> %v [%h]\\n']);
  assert.deepEqual(formatted.trimEnd().split('\n'), Array.from({ length: 30 }, (_, i) => `0/${i} k${i} -> value ${i} [source=cli,run=1]`));
  const json = (await ok(['consume', 'cli-events', '-o', '25', '-e', '--json'])).trim().split('\n').map((l) => JSON.parse(l) as { offset: number; key: string; value: string; headers: Record<string, string> });
  assert.deepEqual(json.map((r) => [r.offset, r.key, r.value, r.headers.source]), [25, 26, 27, 28, 29].map((i) => [i, `k${i}`, `value ${i}`, 'cli']));
  assert.deepEqual((await ok(['consume', 'cli-events', '-n', '3'])).split('\n').slice(0, 3), ['value 0', 'value 1', 'value 2']);
  assert.equal(await ok(['consume', 'cli-events', '--timestamp', String(Date.now() + 60_000), '-e']), '', 'a time after every record starts at the end');
});

// @platformatic/kafka compresses zstd with node:zlib, which has it from Node.js 22.15 on; CI runs this
// file on the 24 and 22 lines, so both the codec and the refusal below are exercised where they apply.
const [major, minor] = process.versions.node.split('.').map(Number);
const zlibHasZstd = major > 22 || (major === 22 && minor >= 15);

test('produce -z zstd writes zstd batches on Node.js 22.15 or later, and says in one line that it cannot before', async () => {
  await ok(['topic', 'create', 'cli-zstd', '-p', '1']);
  const produced = await cli(['produce', 'cli-zstd', '-k', ':', '-z', 'zstd', '--no-progress'], 'k1:one\nk2:two\nk3:three\n');
  if (!zlibHasZstd) {
    assert.notEqual(produced.code, 0);
    assert.match(produced.stderr.trim(), /^zstd is not supported in the current Node\.js version$/);
    return;
  }
  assert.equal(produced.code, 0, produced.stderr);
  const raw = await RawClient.open(broker.bootstrap);
  try {
    raw.sendRequest(1, 12, 1, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, rackId: '', forgottenTopicsData: [], topics: [{ topic: 'cli-zstd', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }] });
    const res = (await raw.response(1, 12))?.body as FetchResponse;
    const batches = [...batchesIn(res.responses[0].partitions[0].records ?? Buffer.alloc(0))];
    assert.deepEqual(batches.map((b) => [b.compression, b.recordCount]), [[CompressionType.Zstd, 3]], 'one zstd batch of the three records');
  } finally {
    raw.close();
  }
  // librdkafka decodes with its own zstd, the CLI with node:zlib's.
  assert.deepEqual((await kcatRecords(broker.bootstrap, 'cli-zstd')).map((r) => `${r.key?.toString()}=${r.value?.toString()}`), ['k1=one', 'k2=two', 'k3=three']);
  assert.deepEqual((await ok(['consume', 'cli-zstd', '-e', '-f', '%k=%v\\n'])).trimEnd().split('\n'), ['k1=one', 'k2=two', 'k3=three']);
});

test('consume in a group commits, so the next run goes on where the last stopped', async () => {
  await ok(['topic', 'create', 'cli-queue', '-p', '1']);
  await ok(['produce', 'cli-queue', '--no-progress'], 'one\ntwo\nthree\nfour\n');
  assert.deepEqual((await ok(['consume', 'cli-queue', '-g', 'cli-workers', '-n', '2'])).trim().split('\n'), ['one', 'two']);
  assert.deepEqual((await ok(['consume', 'cli-queue', '-g', 'cli-workers', '-e'])).trim().split('\n'), ['three', 'four']);
  assert.match(await ok(['group', 'list']), /cli-workers\s+Empty\s+consumer/);
  assert.match(await ok(['group', 'delete', 'cli-workers']), /Deleted group cli-workers\./);
  assert.doesNotMatch(await ok(['groups', 'list']), /cli-workers/);
  const again = await cli(['group', 'delete', 'cli-workers']);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr.trim(), /^cli-workers: GROUP_ID_NOT_FOUND/);
});

test('consume in a group without -n or -e, stopped with Ctrl-C, commits what it printed and leaves the group', async () => {
  await ok(['topic', 'create', 'cli-interrupted', '-p', '1']);
  await ok(['produce', 'cli-interrupted', '--no-progress'], 'a\nb\nc\n');
  const child = spawn(process.execPath, [CLI, 'consume', 'cli-interrupted', '-g', 'cli-interrupted-group', '-b', broker.bootstrap], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  await new Promise<void>((resolve) =>
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.split('\n').length > 3) resolve();
    }),
  );
  child.kill('SIGINT');
  assert.equal(await closed, 0, `exit status; stderr: ${stderr}`);
  assert.deepEqual(stdout.trim().split('\n'), ['a', 'b', 'c']);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [committed] = await admin.fetchOffsets({ groupId: 'cli-interrupted-group', topics: ['cli-interrupted'] });
    assert.deepEqual(committed.partitions.map((p) => ({ partition: p.partition, offset: p.offset })), [{ partition: 0, offset: '3' }], 'the offset after the last record printed');
    const described = await admin.describeGroups(['cli-interrupted-group']);
    assert.equal(described.groups[0].state, 'Empty', 'the member left its group');
  } finally {
    await admin.disconnect();
  }
  await ok(['produce', 'cli-interrupted', '--no-progress'], 'd\n');
  assert.deepEqual((await ok(['consume', 'cli-interrupted', '-g', 'cli-interrupted-group', '-e'])).trim().split('\n'), ['d'], 'the next run goes on from there');
});

test('mistakes end in one line on stderr and a failing exit code', async () => {
  const cases: [string[], RegExp][] = [
    [['produce', 'cli-events', '--acks', 'most'], /^--acks must be all, 1 or 0, not most$/],
    [['consume', 'cli-nope', '-e'], /^topic cli-nope does not exist$|^Unknown topic cli-nope\.$/],
    [['topic', 'create', 'cli-x', '-p', 'zero'], /^--partitions must be a whole number/],
    [['topic', 'alter-config', 'cli-events'], /^give at least one --set or --delete$/],
    [['topic', 'create', 'cli-events'], /already exists/],
  ];
  for (const [args, message] of cases) {
    const r = await cli(args, args[0] === 'produce' ? 'x\n' : undefined);
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.stderr.trim(), message, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  }
});

test('cluster health reports a healthy single broker, in text and JSON', async () => {
  assert.match(await ok(['cluster', 'health']), /^Healthy:\s+true\nController:\s+1\nLive brokers:\s+1\nBrokers down:\s+-\nLeaderless partitions:\s+-\nUnder-replicated partitions:\s+-\n$/);
  const h = JSON.parse(await ok(['cluster', 'health', '--json', '--exit-status'])) as { healthy: boolean; liveBrokers: number[] };
  assert.deepEqual([h.healthy, h.liveBrokers], [true, [1]]);
});

test('the bash completion script completes commands and options from the command tree', async () => {
  const { stdout } = await run(process.execPath, [CLI, 'completion', 'bash']);
  const complete = async (words: string[]) => {
    const script = `${stdout}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _tributary; echo "\${COMPREPLY[*]}"`;
    return (await run('/bin/bash', ['-c', script])).stdout.trim().split(' ').sort();
  };
  assert.deepEqual(await complete(['tributary', 'to']), ['topic']);
  assert.deepEqual(await complete(['tributary', 'topic', 'a']), ['add-partitions', 'alter-config']);
  assert.deepEqual(await complete(['tributary', 'consume', 'orders', '--ti']), ['--timestamp']);
  assert.deepEqual(await complete(['tributary', 'groups', 'res']), ['reset-offsets']);
});

test('config get shows the broker\'s keys with their sources; topic config a topic\'s; config set refuses a key read only at start', async () => {
  const broker = JSON.parse(await ok(['config', 'get', 'min.insync.replicas', 'group.initial.rebalance.delay.ms', '--json'])) as { resource: string; configs: { name: string; value: string; source: string }[] };
  assert.equal(broker.resource, '1');
  assert.deepEqual(broker.configs.map((c) => [c.name, c.value, c.source]).sort(), [['group.initial.rebalance.delay.ms', '0', 'static-broker'], ['min.insync.replicas', '1', 'default']]);
  await ok(['topic', 'create', 'cli-configured', '-c', 'retention.ms=5000']);
  assert.match(await ok(['topic', 'config', 'cli-configured', 'retention.ms', 'cleanup.policy']), /NAME\s+VALUE\s+SOURCE\ncleanup\.policy\s+delete\s+default\nretention\.ms\s+5000\s+dynamic-topic/);
  const missing = await cli(['config', 'get', 'no.such.key']);
  assert.notEqual(missing.code, 0);
  assert.equal(missing.stderr.trim(), 'no such config: no.such.key');
  const set = await cli(['config', 'set', 'log.dirs=/elsewhere']);
  assert.notEqual(set.code, 0);
  assert.match(set.stderr, /Cannot update these configs dynamically: Set\(log\.dirs\)/);
});
