// Debian's Sarama 1.22.1 (golang-github-shopify-sarama-dev), built from test/go/sarama-check,
// against an in-process broker. Sarama never sends ApiVersions: it picks every request version
// from config.Version alone, so each scenario runs at the newest version it knows (V2_1_0_0;
// V2_2_0_0 sends the same requests) and at an old one (V0_10_2_0: Produce v2 with message format
// 1, Fetch v3, no headers), the broker serving both. Every request goes through a recording
// proxy, and the last test checks that each (API, version) Sarama sent is one the broker serves.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningBroker } from '../helpers/broker.js';
import { startRecordedBroker, type ApiVersionRecorder, formatUses, servedVersions, unserved } from '../helpers/api-version-recorder.js';
import { events, runGo, toJsonLines, type GoLine, type GoMessage } from '../helpers/go-programs.js';
import { assertConsumed, assertKcatCopy, kafkajsCommitted, sampleMessages } from '../helpers/go-fixtures.js';
import { kcatRecords } from '../helpers/kcat.js';

const NEW = '2.1.0';
const OLD = '0.10.2.0';
/** Sarama 1.22.1's default config.Version (MinVersion): what a user who sets none gets. */
const DEFAULT = '0.8.2.0';
const PRODUCE = 0;

let broker: RunningBroker;
let recorder: ApiVersionRecorder;
let stop: () => Promise<void>;

before(async () => {
  ({ broker, recorder, stop } = await startRecordedBroker());
});
after(() => stop());

/** Runs sarama-check at Sarama config.Version `version`, through the recording proxy. */
function sarama(version: string, scenario: string, args: string[], input = '') {
  recorder.label = `sarama ${version}`;
  return runGo('sarama-check', ['-broker', recorder.bootstrap, '-version', version, '-scenario', scenario, ...args], input);
}

/** Runs another client (kcat, kafkajs) with the recorder's label saying so: the broker sends it through the proxy too. */
async function other<T>(client: string, fn: () => Promise<T>): Promise<T> {
  recorder.label = client;
  return fn();
}

function kcatCopy(topic: string) {
  return other('kcat', () => kcatRecords(broker.bootstrap, topic));
}

function step(lines: GoLine[], name: string): GoLine {
  const found = lines.find((l) => l.event === 'step' && l.step === name);
  assert.ok(found, `no step ${name} in ${JSON.stringify(lines)}`);
  return found;
}

function errorCode(line: GoLine): number | null {
  const e = line.error as { code: number } | null;
  return e === null ? null : e.code;
}

/** Produces `messages` with Sarama and asserts each one was acknowledged at its expected offset. */
async function produce(version: string, topic: string, messages: GoMessage[], args: string[]): Promise<void> {
  const res = await sarama(version, 'produce', ['-topic', topic, ...args], toJsonLines(messages));
  const produced = events(res, 'produced');
  assert.equal(produced.length, messages.length, res.stdout);
  const next = new Map<number, number>();
  produced.forEach((p, i) => {
    assert.equal(p.error, null, `message ${i}: ${JSON.stringify(p)}`);
    const expected = next.get(messages[i].partition) ?? 0;
    assert.deepEqual([p.partition, p.offset], [messages[i].partition, expected], `message ${i} acknowledged at`);
    next.set(messages[i].partition, expected + 1);
  });
}

test(`Sarama ${NEW} ClusterAdmin: create, list, describe, add partitions, describe and alter configs, delete`, async () => {
  const res = await sarama(NEW, 'admin', ['-topic', 'sarama-admin']);
  const lines = events(res, 'step');
  assert.deepEqual(step(lines, 'describe-cluster').brokers, [1]);
  assert.equal(step(lines, 'create').error, null);
  assert.equal(errorCode(step(lines, 'create-again')), 36, 'TOPIC_ALREADY_EXISTS');
  assert.equal(step(lines, 'create-validate-only').error, null);
  const list = step(lines, 'list');
  assert.deepEqual([list.error, list.present, list.partitions, list.replicationFactor, list.validatedPresent], [null, true, 3, 1, false]);
  assert.deepEqual(list.configs, { 'retention.ms': '3600000' }, 'ListTopics shows the one config set at creation');
  const partitionIds = (l: GoLine) => ((l.topics as { partitions: { id: number; leader: number; error: number }[] }[])[0].partitions).map((p) => [p.id, p.leader, p.error]);
  assert.deepEqual(partitionIds(step(lines, 'describe')), [[0, 1, 0], [1, 1, 0], [2, 1, 0]]);
  assert.equal(step(lines, 'create-partitions').error, null);
  assert.equal(errorCode(step(lines, 'create-partitions-fewer')), 37, 'INVALID_PARTITIONS');
  assert.deepEqual(partitionIds(step(lines, 'describe-after-partitions')), [[0, 1, 0], [1, 1, 0], [2, 1, 0], [3, 1, 0], [4, 1, 0]]);
  const configs = (name: string) => step(lines, name).configs as Record<string, { value: string; default: boolean }>;
  assert.deepEqual(configs('describe-config')['retention.ms'], { value: '3600000', default: false, readOnly: false, sensitive: false });
  assert.deepEqual(configs('describe-config')['cleanup.policy'], { value: 'delete', default: true, readOnly: false, sensitive: false });
  assert.equal(step(lines, 'alter-config').error, null);
  assert.deepEqual(configs('describe-config-after-alter')['retention.ms'], { value: '7200000', default: false, readOnly: false, sensitive: false });
  assert.deepEqual(configs('describe-config-after-alter')['cleanup.policy'], { value: 'compact', default: false, readOnly: false, sensitive: false });
  assert.match(JSON.stringify(step(lines, 'alter-config-unknown').error), /no\.such\.config/);
  assert.equal(step(lines, 'describe-broker-config').error, null);
  assert.ok(Object.keys(configs('describe-broker-config')).length > 0, 'the broker resource has configs');
  assert.equal(step(lines, 'delete').error, null);
  assert.equal(errorCode(step(lines, 'delete-again')), 3, 'UNKNOWN_TOPIC_OR_PARTITION');
  assert.equal((step(lines, 'describe-after-delete').topics as { error: number }[])[0].error, 3, 'described after deletion: UNKNOWN_TOPIC_OR_PARTITION');
  assert.deepEqual([step(lines, 'list-after-delete').error, step(lines, 'list-after-delete').present], [null, false]);
});

test(`Sarama ${OLD} ClusterAdmin: create (CreateTopics v0), describe, delete; the APIs Kafka 0.10.2 lacked are refused by Sarama itself`, async () => {
  const res = await sarama(OLD, 'admin', ['-topic', 'sarama-admin-old']);
  const lines = events(res, 'step');
  assert.equal(step(lines, 'create').error, null);
  assert.equal(errorCode(step(lines, 'create-again')), 36);
  const described = (name: string) => (step(lines, name).topics as { name: string; error: number; partitions: unknown[] | null }[]).map((t) => [t.name, t.error, t.partitions?.length ?? 0]);
  assert.deepEqual(described('describe'), [['sarama-admin-old', 0, 3]]);
  // CreatePartitions needs V1_0_0_0 and DescribeConfigs/AlterConfigs V0_11_0_0 in Sarama (and
  // ListTopics uses DescribeConfigs): it answers ErrUnsupportedVersion (35) without sending
  // anything (the wire check at the end shows no such request at this version).
  for (const s of ['list', 'create-partitions', 'describe-config', 'alter-config']) assert.equal(errorCode(step(lines, s)), 35, s);
  assert.deepEqual(described('describe-after-partitions'), [['sarama-admin-old', 0, 3]]);
  assert.equal(step(lines, 'delete').error, null);
  assert.equal(errorCode(step(lines, 'delete-again')), 3, 'UNKNOWN_TOPIC_OR_PARTITION');
  // Sarama describes with Metadata v0 at this version, and Metadata below v4 asks for auto-creation
  // (auto.create.topics.enable is on): the deleted topic comes back with num.partitions, as in Kafka.
  assert.deepEqual(described('describe-after-delete'), [['sarama-admin-old', 0, 1]]);
});

for (const version of [NEW, OLD]) {
  for (const codec of ['none', 'gzip', 'snappy', 'lz4']) {
    for (const producer of ['sync', 'async']) {
      test(`Sarama ${version} ${producer} producer with ${codec}: read back identical by Sarama ${version} and by kcat`, async () => {
        const topic = `sarama-${version}-${codec}-${producer}`;
        const headers = version === NEW;
        const messages = sampleMessages(60, 3, { headers, tag: topic });
        await produce(version, topic, messages, ['-partitions', '3', '-codec', codec, '-producer', producer]);
        const consumed = await sarama(version, 'consume', ['-topic', topic]);
        assertConsumed(events(consumed, 'consumed'), messages, { headers, what: `Sarama ${version}` });
        assertKcatCopy(await kcatCopy(topic), messages, { headers, what: topic });
      });
    }
  }
}

test(`Sarama ${OLD}'s consumer (Fetch v3) reads what Sarama ${NEW} produced, down-converted: headers dropped, all else identical`, async () => {
  for (const codec of ['none', 'gzip', 'snappy', 'lz4']) {
    const topic = `sarama-downconverted-${codec}`;
    const messages = sampleMessages(40, 2, { headers: true, tag: topic });
    await produce(NEW, topic, messages, ['-partitions', '2', '-codec', codec]);
    const consumed = await sarama(OLD, 'consume', ['-topic', topic]);
    assertConsumed(events(consumed, 'consumed'), messages, { headers: false, what: `${topic} read by Sarama ${OLD}` });
  }
});

test(`Sarama ${NEW}'s consumer reads what Sarama ${OLD} produced (message format 1, up-converted)`, async () => {
  const topic = 'sarama-upconverted';
  const messages = sampleMessages(40, 2, { headers: false, tag: topic });
  await produce(OLD, topic, messages, ['-partitions', '2', '-codec', 'gzip']);
  const consumed = await sarama(NEW, 'consume', ['-topic', topic]);
  assertConsumed(events(consumed, 'consumed'), messages, { headers: false, what: `${topic} read by Sarama ${NEW}` });
});

test(`message.downconversion.enable=false: Sarama ${OLD}'s Fetch v3 is refused with UNSUPPORTED_VERSION, Sarama ${NEW} reads the topic`, async () => {
  const topic = 'sarama-no-downconversion';
  const messages = sampleMessages(20, 1, { headers: true, tag: topic });
  await produce(NEW, topic, messages, ['-partitions', '1', '-topic-config', 'message.downconversion.enable=false']);
  const refused = await sarama(OLD, 'consume', ['-topic', topic]);
  const fatal = refused.lines.find((l) => l.event === 'fatal');
  assert.equal(fatal?.step, 'consume', refused.stdout);
  assert.equal(errorCode(fatal), 35, 'UNSUPPORTED_VERSION, in a Fetch v3 answer Sarama could read');
  assert.equal(events({ ...refused, lines: refused.lines.filter((l) => l !== fatal) }, 'consumed').length, 0);
  const consumed = await sarama(NEW, 'consume', ['-topic', topic]);
  assertConsumed(events(consumed, 'consumed'), messages, { headers: true, what: `${topic} read by Sarama ${NEW}` });
});

test(`Sarama's default config.Version (${DEFAULT}: Produce v0, Fetch v0, ListOffsets v0, message format 0) round trip`, async () => {
  // Sarama refuses LZ4 below V0_10_0_0 itself; message format 0 has no timestamps (read as -1).
  for (const codec of ['none', 'gzip', 'snappy']) {
    const topic = `sarama-default-version-${codec}`;
    // Sarama's ClusterAdmin needs V0_10_0_0, so the topic is created at the new version.
    await produce(NEW, topic, [], ['-partitions', '2']);
    const messages = sampleMessages(40, 2, { headers: false, tag: topic });
    await produce(DEFAULT, topic, messages, ['-codec', codec]);
    const stored = messages.map((m) => ({ ...m, timestamp: -1 }));
    const consumed = await sarama(DEFAULT, 'consume', ['-topic', topic]);
    assertConsumed(events(consumed, 'consumed'), stored, { headers: false, what: `${topic} read by Sarama ${DEFAULT}` });
    assertKcatCopy(await kcatCopy(topic), stored, { headers: false, what: topic });
    const offsets = await sarama(DEFAULT, 'offsets', ['-topic', topic, '-queries', '0:-2,0:-1,1:-2,1:-1']);
    assert.deepEqual(events(offsets, 'offset').map((o) => [o.partition, o.time, o.offset, o.error]), [[0, -2, 0, null], [0, -1, 20, null], [1, -2, 0, null], [1, -1, 20, null]]);
  }
});

for (const version of [NEW, OLD]) {
  test(`Sarama ${version} ConsumerGroup: two members split four partitions, each message consumed once, offsets committed`, async () => {
    const topic = `sarama-group-${version}`;
    const group = `sarama-group-${version}`;
    const messages = sampleMessages(80, 4, { headers: false, tag: topic });
    await produce(NEW, topic, messages, ['-partitions', '4']);
    const res = await sarama(version, 'group', ['-topic', topic, '-group', group, '-expect', '80']);
    assert.deepEqual(res.lines.filter((l) => /error|timeout/.test(l.event)), [], 'no errors');
    const sessions = events(res, 'session');
    const last = Math.max(...sessions.map((s) => Number(s.generation)));
    const final = sessions.filter((s) => s.generation === last);
    assert.deepEqual(final.map((s) => s.member).sort(), ['a', 'b'], 'both members are in the last generation');
    const claims = new Map(final.map((s) => [s.member as string, (s.claims as Record<string, number[]>)[topic] ?? []]));
    assert.ok(claims.get('a')!.length > 0 && claims.get('b')!.length > 0, `each member has partitions: ${JSON.stringify([...claims])}`);
    assert.deepEqual([...claims.get('a')!, ...claims.get('b')!].sort(), [0, 1, 2, 3], 'the members split the partitions');
    const consumed = events(res, 'consumed');
    for (const c of consumed) {
      assert.equal(c.generation, last, 'consumed only once both members held their partitions');
      assert.ok(claims.get(c.member as string)!.includes(Number(c.partition)), `member ${c.member} owns partition ${c.partition}`);
    }
    const ordered = [...consumed].sort((x, y) => Number(x.partition) - Number(y.partition) || Number(x.offset) - Number(y.offset));
    assertConsumed(ordered, messages, { headers: false, what: `group at ${version}` });
    const committed = new Map(events(res, 'committed').map((c) => [Number(c.partition), Number(c.offset)]));
    assert.deepEqual([...committed].sort(), [[0, 20], [1, 20], [2, 20], [3, 20]], 'Sarama reads its commits back');
    assert.deepEqual([...(await other('kafkajs', () => kafkajsCommitted(broker.bootstrap, group, topic)))].sort(), [[0, 20], [1, 20], [2, 20], [3, 20]], 'kafkajs reads the same commits');
  });
}

test('Sarama GetOffset by timestamp finds the first offset at or after each time, in multi-record batches', async () => {
  // Sarama 1.22.1 leaves each batch's max_timestamp at -1: the broker must compute it from the records.
  for (const producedAt of [NEW, OLD]) {
    const topic = `sarama-by-time-${producedAt}`;
    const messages = sampleMessages(60, 3, { headers: producedAt === NEW, tag: topic });
    await produce(producedAt, topic, messages, ['-partitions', '3', '-codec', 'lz4']);
    const queries: string[] = [];
    const expected: [number, number, number][] = [];
    for (const partition of [0, 1, 2]) {
      const mine = messages.filter((m) => m.partition === partition);
      mine.forEach((m, offset) => {
        queries.push(`${partition}:${m.timestamp}`, `${partition}:${m.timestamp - 1}`);
        expected.push([partition, m.timestamp, offset], [partition, m.timestamp - 1, offset]);
      });
      const lastTs = mine[mine.length - 1].timestamp;
      queries.push(`${partition}:${lastTs + 1}`, `${partition}:-1`, `${partition}:-2`);
      expected.push([partition, lastTs + 1, -1], [partition, -1, mine.length], [partition, -2, 0]);
    }
    for (const version of [NEW, OLD]) {
      const res = await sarama(version, 'offsets', ['-topic', topic, '-queries', queries.join(',')]);
      const got = events(res, 'offset');
      assert.deepEqual(got.filter((o) => o.error !== null), [], `no errors (${topic} at ${version})`);
      assert.deepEqual(got.map((o) => [o.partition, o.time, o.offset]), expected, `${topic} asked by Sarama ${version}`);
    }
  }
});

test(`Sarama ${NEW} DeleteRecords moves each partition's start; consumers and kcat start there`, async () => {
  const topic = 'sarama-delete-records';
  const messages = sampleMessages(30, 3, { headers: true, tag: topic });
  await produce(NEW, topic, messages, ['-partitions', '3', '-codec', 'gzip']);
  const res = await sarama(NEW, 'delete-records', ['-topic', topic, '-queries', '0:4,1:10']);
  assert.equal(step(events(res, 'step'), 'delete-records').error, null);
  assert.deepEqual(events(res, 'earliest').map((e) => [e.partition, e.offset, e.error]), [[0, 4, null], [1, 10, null]]);
  const consumed = await sarama(NEW, 'consume', ['-topic', topic]);
  assert.deepEqual(events(consumed, 'partition').map((p) => [p.partition, p.first, p.end]), [[0, 4, 10], [1, 10, 10], [2, 0, 10]]);
  const kept = messages.filter((m, i) => !(m.partition === 0 && i < 12) && m.partition !== 1);
  assertConsumed(events(consumed, 'consumed'), kept, { headers: true, firstOffsets: new Map([[0, 4]]), what: 'after DeleteRecords' });
  const kcat = await kcatCopy(topic);
  const offsets = (p: number) => kcat.filter((r) => r.partition === p).map((r) => r.offset).sort((a, b) => a - b);
  assert.deepEqual([offsets(0), offsets(1), offsets(2)], [[4, 5, 6, 7, 8, 9], [], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]], 'kcat reads from the new starts');
});

test(`Sarama ${NEW} idempotent producer: a batch whose response is lost is retried and stored once`, async () => {
  const topic = 'sarama-idempotent';
  const messages = sampleMessages(50, 2, { headers: true, tag: topic });
  recorder.mark();
  const before = recorder.lostResponses;
  // The broker stores the first Produce request's batches, but its answer never reaches Sarama.
  recorder.loseResponse(PRODUCE, 1);
  const res = await sarama(NEW, 'produce', ['-topic', topic, '-partitions', '2', '-producer', 'idempotent'], toJsonLines(messages));
  assert.equal(recorder.lostResponses, before + 1, 'one Produce response was lost');
  const produced = events(res, 'produced');
  assert.deepEqual(produced.filter((p) => p.error !== null), [], 'every message acknowledged');
  const uses = recorder.usesSinceMark().map((u) => `${u.name} v${u.apiVersion}`);
  assert.ok(uses.includes('InitProducerId v0'), `Sarama asked for a producer id: ${uses.join(', ')}`);
  const produceCount = recorder.usesSinceMark().find((u) => u.apiKey === PRODUCE)?.count ?? 0;
  assert.ok(produceCount >= 2, 'the lost batch was sent again');
  const consumed = await sarama(NEW, 'consume', ['-topic', topic]);
  assertConsumed(events(consumed, 'consumed'), messages, { headers: true, what: 'idempotent, stored once' });
});

test(`Sarama ${NEW} zstd (sent in Produce v3) is refused with UNSUPPORTED_COMPRESSION_TYPE and nothing is stored`, async () => {
  const topic = 'sarama-zstd';
  const messages = sampleMessages(10, 2, { headers: true, tag: topic });
  recorder.mark();
  const res = await sarama(NEW, 'produce', ['-topic', topic, '-partitions', '2', '-codec', 'zstd'], toJsonLines(messages));
  const produced = events(res, 'produced');
  assert.equal(produced.length, 10);
  for (const p of produced) assert.equal(errorCode(p), 76, JSON.stringify(p));
  assert.deepEqual(recorder.usesSinceMark().filter((u) => u.apiKey === PRODUCE).map((u) => u.apiVersion), [3], 'Sarama sent zstd in Produce v3');
  const consumed = await sarama(NEW, 'consume', ['-topic', topic]);
  assert.deepEqual(events(consumed, 'partition').map((p) => [p.partition, p.first, p.end]), [[0, 0, 0], [1, 0, 0]], 'nothing stored');
});

test('every (API, version) Sarama sent is one the broker serves (listed below)', async (t) => {
  recorder.label = 'table';
  const uses = recorder.uses().filter((u) => u.client.startsWith('sarama'));
  for (const line of `Sarama 1.22.1 sent (through the recording proxy):\n${formatUses(uses)}`.split('\n')) t.diagnostic(line);
  const sent = new Set(uses.map((u) => `${u.client}: ${u.name} v${u.apiVersion}`));
  // The versions that make these clients different: if one is missing, the proxy was bypassed or Sarama changed.
  for (const expected of [
    `sarama ${DEFAULT}: Produce v0`, `sarama ${DEFAULT}: Fetch v0`, `sarama ${DEFAULT}: ListOffsets v0`, `sarama ${DEFAULT}: Metadata v0`,
    `sarama ${OLD}: Produce v2`, `sarama ${OLD}: Fetch v3`, `sarama ${OLD}: Metadata v1`, `sarama ${OLD}: CreateTopics v0`, `sarama ${OLD}: JoinGroup v1`,
    `sarama ${NEW}: Produce v3`, `sarama ${NEW}: Fetch v4`, `sarama ${NEW}: ListOffsets v1`, `sarama ${NEW}: Metadata v5`, `sarama ${NEW}: InitProducerId v0`,
  ]) assert.ok(sent.has(expected), `recorded ${expected}`);
  assert.ok(!uses.some((u) => u.name === 'ApiVersions'), 'Sarama 1.22.1 never sends ApiVersions');
  assert.deepEqual(unserved(uses, await servedVersions(broker.bootstrap)), [], 'every version sent is advertised');
});
