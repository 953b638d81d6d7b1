// Concurrent admin calls for the same topic names: every answer is a Kafka error code the call
// allows (never UNKNOWN_SERVER_ERROR), and afterwards Metadata, the partition directories on disk
// and the open logs agree, also after a restart. The order of the storm comes from a printed seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { RawAdmin, type TopicAnswer } from '../helpers/raw-admin.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { kcat, parseJsonLines } from '../helpers/kcat.js';
import { Prng } from '../helpers/prng.js';

const { Kafka, logLevel } = kafkajs;
const SMALL = { 'offsets.topic.num.partitions': '1' };

async function partitionDirs(dataDir: string): Promise<string[]> {
  return (await readdir(dataDir, { withFileTypes: true }))
    .filter((d) => d.isDirectory() && /-\d+$/.test(d.name) && !d.name.startsWith('__'))
    .map((d) => d.name)
    .sort();
}

async function openAdmins(broker: RunningBroker, n: number): Promise<RawAdmin[]> {
  return Promise.all(Array.from({ length: n }, () => RawAdmin.open(broker.bootstrap)));
}

function codes(answers: TopicAnswer[]): number[] {
  return answers.map((a) => a.errorCode).sort((a, b) => a - b);
}

test('concurrent CreateTopics of one name: one creates it, every other call answers TOPIC_ALREADY_EXISTS', async () => {
  const broker = await startBroker({ port: 0, config: SMALL });
  const admins = await openAdmins(broker, 12);
  try {
    // Each request first creates a topic of its own, so the contended creations meet while the
    // broker is busy writing the topic table.
    const answers = await Promise.all(admins.map(async (a, i) => (await a.createTopics([`own-${i}`, 'contended'], 3))[1]));
    assert.deepEqual(codes(answers), [ErrorCode.NONE, ...Array<number>(11).fill(ErrorCode.TOPIC_ALREADY_EXISTS)]);
    for (const a of answers.filter((x) => x.errorCode !== ErrorCode.NONE)) assert.equal(a.errorMessage, "Topic 'contended' already exists.");
    assert.deepEqual((await admins[0].metadata(['contended'])).map((t) => t.partitions), [3]);
    assert.deepEqual((await partitionDirs(broker.dataDir)).filter((d) => d.startsWith('contended')), ['contended-0', 'contended-1', 'contended-2']);
  } finally {
    for (const a of admins) a.close();
    await broker.stop();
  }
});

test('concurrent CreatePartitions to one count: one grows the topic, the others are told it already has that many, and the data stays', async () => {
  const broker = await startBroker({ port: 0, config: SMALL });
  const admins = await openAdmins(broker, 10);
  const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  try {
    assert.equal((await admins[0].createTopic('growing', 1)).errorCode, ErrorCode.NONE);
    const producer = kafka.producer();
    await producer.connect();
    for (const value of ['x', 'y', 'z']) await producer.send({ topic: 'growing', acks: -1, messages: [{ value, partition: 0 }] });
    for (let i = 0; i < admins.length; i++) assert.equal((await admins[0].createTopic(`own-${i}`, 1)).errorCode, ErrorCode.NONE);
    const answers = await Promise.all(admins.map(async (a, i) => (await a.createPartitionsOf([`own-${i}`, 'growing'], 5))[1]));
    assert.deepEqual(codes(answers), [ErrorCode.NONE, ...Array<number>(9).fill(ErrorCode.INVALID_PARTITIONS)]);
    for (const a of answers.filter((x) => x.errorCode !== ErrorCode.NONE)) assert.equal(a.errorMessage, 'Topic already has 5 partitions.');
    await producer.send({ topic: 'growing', acks: -1, messages: [{ value: 'w', partition: 0 }] });
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets('growing');
    await admin.disconnect();
    assert.deepEqual(offsets.sort((a, b) => a.partition - b.partition).map((o) => `${o.partition}:${o.low}-${o.high}`), ['0:0-4', '1:0-0', '2:0-0', '3:0-0', '4:0-0']);
  } finally {
    for (const a of admins) a.close();
    await broker.stop();
  }
});

test('concurrent IncrementalAlterConfigs of one topic never lose one another', async () => {
  const broker = await startBroker({ port: 0, config: SMALL });
  const admins = await openAdmins(broker, 6);
  try {
    assert.equal((await admins[0].createTopic('tuned', 1)).errorCode, ErrorCode.NONE);
    const edits: Record<string, string>[] = [
      { 'retention.ms': '111111' },
      { 'segment.bytes': '2222222' },
      { 'max.message.bytes': '333333' },
      { 'retention.bytes': '4444444' },
      { 'segment.ms': '5555555' },
      { 'delete.retention.ms': '666666' },
    ];
    const answers = await Promise.all(admins.map((a, i) => a.setTopicConfigs('tuned', edits[i])));
    assert.deepEqual(answers.map((a) => a.errorCode), edits.map(() => ErrorCode.NONE));
    const kadmin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await kadmin.connect();
    const described = await kadmin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: 'tuned', configNames: edits.flatMap((e) => Object.keys(e)) }] });
    await kadmin.disconnect();
    const got = Object.fromEntries(described.resources[0].configEntries.map((e) => [e.configName, e.configValue]));
    assert.deepEqual(got, Object.assign({}, ...edits));
  } finally {
    for (const a of admins) a.close();
    await broker.stop();
  }
});

/** What each call may answer when other calls for the same name race it. */
const ALLOWED = {
  create: [ErrorCode.NONE, ErrorCode.TOPIC_ALREADY_EXISTS],
  grow: [ErrorCode.NONE, ErrorCode.INVALID_PARTITIONS, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
  delete: [ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
} as const;

/** Metadata, directories and logs agree: every topic has exactly its partition directories, each empty and writable. */
async function checkConsistent(broker: RunningBroker, names: string[], expectedHigh: number): Promise<Map<string, { id: string; partitions: number }>> {
  const admin = await RawAdmin.open(broker.bootstrap);
  const listed = (await admin.metadata(null)).filter((t) => t.name !== null && names.includes(t.name));
  admin.close();
  const survivors = new Map(listed.map((t) => [t.name as string, { id: t.topicId, partitions: t.partitions }]));
  const expectedDirs = [...survivors].flatMap(([name, t]) => Array.from({ length: t.partitions }, (_, p) => `${name}-${p}`)).sort();
  assert.deepEqual(await partitionDirs(broker.dataDir), expectedDirs);
  if (survivors.size === 0) return survivors;
  const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const kadmin = kafka.admin();
  await kadmin.connect();
  for (const [name, t] of survivors) {
    const offsets = await kadmin.fetchTopicOffsets(name);
    assert.deepEqual(
      offsets.sort((a, b) => a.partition - b.partition).map((o) => `${o.partition}:${o.low}-${o.high}`),
      Array.from({ length: t.partitions }, (_, p) => `${p}:0-${expectedHigh}`),
      `offsets of ${name}`,
    );
  }
  await kadmin.disconnect();
  return survivors;
}

test('a seeded storm of CreateTopics, CreatePartitions and DeleteTopics for a few names leaves a consistent broker', async (t) => {
  const seed = Number(process.env.TOPIC_STORM_SEED ?? Date.now() % 1_000_000);
  t.diagnostic(`seed ${seed} (replay with TOPIC_STORM_SEED=${seed})`);
  const prng = new Prng(seed);
  const random = () => prng.next();
  const names = ['storm-a', 'storm-b', 'storm-c'];
  const dataDir = await mkdtemp(join(tmpdir(), 'tributary-storm-'));
  const started: RunningBroker[] = [];
  const start = async () => {
    const b = await startBroker({ port: 0, dataDir, config: SMALL });
    started.push(b);
    return b;
  };
  try {
    let broker = await start();
    const admins = await openAdmins(broker, 8);
    const unexpected: string[] = [];
    try {
      // Each connection runs its own seeded sequence; the connections race each other.
      const plans = admins.map(() =>
        Array.from({ length: 30 }, () => {
          const name = names[Math.floor(random() * names.length)];
          const r = random();
          const kind: keyof typeof ALLOWED = r < 0.4 ? 'create' : r < 0.7 ? 'grow' : 'delete';
          return { kind, name, count: 1 + Math.floor(random() * 6) };
        }),
      );
      await Promise.all(
        admins.map(async (admin, i) => {
          for (const op of plans[i]) {
            const answer = op.kind === 'create' ? await admin.createTopic(op.name, op.count) : op.kind === 'grow' ? await admin.createPartitions(op.name, op.count) : await admin.deleteTopic(op.name);
            if (!(ALLOWED[op.kind] as readonly number[]).includes(answer.errorCode)) unexpected.push(`${op.kind} ${op.name} ${op.count}: ${answer.errorCode} ${answer.errorMessage}`);
          }
        }),
      );
    } finally {
      for (const a of admins) a.close();
    }
    assert.deepEqual(unexpected, [], `seed ${seed}`);
    const survivors = await checkConsistent(broker, names, 0).catch((err: unknown) => assert.fail(`seed ${seed}: ${String(err)}`));

    // Every surviving partition takes a record.
    const producer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    for (const [name, t] of survivors) {
      for (let p = 0; p < t.partitions; p++) await producer.send({ topic: name, acks: -1, messages: [{ value: `${name}/${p}`, partition: p }] });
    }
    await producer.disconnect();
    await broker.stop();

    broker = await start();
    const again = await checkConsistent(broker, names, 1).catch((err: unknown) => assert.fail(`seed ${seed} after restart: ${String(err)}`));
    assert.deepEqual([...again].sort(), [...survivors].sort(), `seed ${seed}`);
    // And a consumer (librdkafka) reads back exactly the record each surviving partition took.
    for (const [name, t] of again) {
      const read = await kcat(['-b', broker.bootstrap, '-C', '-t', name, '-o', 'beginning', '-e', '-J']);
      const got = parseJsonLines(read.stdout).map((m) => `${m.partition}:${m.offset}:${m.payload}`).sort();
      assert.deepEqual(got, Array.from({ length: t.partitions }, (_, p) => `${p}:0:${name}/${p}`).sort(), `seed ${seed}: records of ${name}`);
    }
  } finally {
    for (const b of started) await b.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});
