// Deleting a topic as Kafka does: its partition directories are closed and renamed to
// `<topic>-<partition>.<uuid>-delete`, removed later in the background, and a new topic of the
// same name (a new topic id) starts empty at offset 0, also after restarts with checkpoints that
// still named the old incarnation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { RawAdmin } from '../helpers/raw-admin.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { buildBatch } from '../../src/protocol/records/batch-records.js';

const { Kafka, logLevel } = kafkajs;
const SMALL = { 'offsets.topic.num.partitions': '1' };
const DELETE_DIR = /^(.+)-(\d+)\.([0-9a-f]{32})-delete$/;

async function dirsOf(dataDir: string, topic: string): Promise<{ live: string[]; deleting: string[] }> {
  const names = (await readdir(dataDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  const live = names.filter((n) => new RegExp(`^${topic}-\\d+$`).test(n)).sort();
  const deleting = names.filter((n) => DELETE_DIR.exec(n)?.[1] === topic).sort();
  return { live, deleting };
}

async function offsets(broker: RunningBroker, topic: string): Promise<string[]> {
  const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const o = await admin.fetchTopicOffsets(topic);
    return o.sort((a, b) => a.partition - b.partition).map((p) => `${p.partition}:${p.low}-${p.high}`);
  } finally {
    await admin.disconnect();
  }
}

async function produce(broker: RunningBroker, topic: string, partition: number, values: string[]): Promise<string[]> {
  const producer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  try {
    const out: string[] = [];
    for (const value of values) {
      const [meta] = await producer.send({ topic, acks: -1, messages: [{ value, partition }] });
      out.push(meta.baseOffset ?? '?');
    }
    return out;
  } finally {
    await producer.disconnect();
  }
}

/** Waits (bounded) until the directories being deleted are gone: the background deletion is an event to wait for. */
async function waitForNoDeleteDirs(dataDir: string, topic: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await dirsOf(dataDir, topic)).deleting.length > 0) {
    if (Date.now() > deadline) assert.fail(`delete dirs of ${topic} still there: ${(await dirsOf(dataDir, topic)).deleting.join(', ')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a deleted topic is renamed aside, and a recreated topic of its name starts empty at offset 0 (also after restarts)', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'tributary-delete-'));
  const started: RunningBroker[] = [];
  const start = async () => {
    const b = await startBroker({ port: 0, dataDir, config: SMALL });
    started.push(b);
    return b;
  };
  try {
    let broker = await start();
    const admin = await RawAdmin.open(broker.bootstrap);
    assert.equal((await admin.createTopic('recycled', 2)).errorCode, ErrorCode.NONE);
    assert.deepEqual(await produce(broker, 'recycled', 0, ['a', 'b', 'c', 'd', 'e']), ['0', '1', '2', '3', '4']);
    const kafkaAdmin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await kafkaAdmin.connect();
    await kafkaAdmin.fetchTopicMetadata({ topics: ['recycled'] });
    await kafkaAdmin.deleteTopicRecords({ topic: 'recycled', partitions: [{ partition: 0, offset: '3' }] });
    await kafkaAdmin.disconnect();
    const [oldTopic] = await admin.metadata(['recycled']);
    admin.close();
    // A clean stop writes the recovery-point and log-start checkpoints naming recycled-0 (3..5).
    await broker.stop();

    broker = await start();
    const admin2 = await RawAdmin.open(broker.bootstrap);
    assert.deepEqual(await offsets(broker, 'recycled'), ['0:3-5', '1:0-0']);
    const deleted = await admin2.deleteTopic('recycled');
    assert.deepEqual([deleted.errorCode, deleted.errorMessage], [ErrorCode.NONE, null]);
    // Kafka's layout: the directories are renamed, not removed in place, and not loaded again.
    const afterDelete = await dirsOf(dataDir, 'recycled');
    assert.deepEqual(afterDelete.live, []);
    assert.deepEqual(afterDelete.deleting.map((n) => DELETE_DIR.exec(n)?.[2]).sort(), ['0', '1']);
    assert.deepEqual((await admin2.metadata(['recycled']))[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    // Kafka answers a second DeleteTopics of a deleted topic with UNKNOWN_TOPIC_OR_PARTITION.
    assert.equal((await admin2.deleteTopic('recycled')).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

    assert.equal((await admin2.createTopic('recycled', 1)).errorCode, ErrorCode.NONE);
    const [newTopic] = await admin2.metadata(['recycled']);
    assert.notEqual(newTopic.topicId, oldTopic.topicId);
    assert.equal(newTopic.partitions, 1);
    assert.deepEqual(await offsets(broker, 'recycled'), ['0:0-0']);
    assert.deepEqual(await produce(broker, 'recycled', 0, ['new']), ['0']);
    assert.deepEqual((await dirsOf(dataDir, 'recycled')).live, ['recycled-0']);
    admin2.close();
    await broker.stop();

    // The deletions still pending at the stop are finished at the next start, never loaded as partitions.
    broker = await start();
    assert.deepEqual(await offsets(broker, 'recycled'), ['0:0-1']);
    await waitForNoDeleteDirs(dataDir, 'recycled');
    assert.deepEqual((await dirsOf(dataDir, 'recycled')).live, ['recycled-0']);
    const admin3 = await RawAdmin.open(broker.bootstrap);
    assert.deepEqual((await admin3.metadata(['recycled'])).map((t) => [t.topicId, t.partitions]), [[newTopic.topicId, 1]]);
    admin3.close();
  } finally {
    for (const b of started) await b.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('deleted topic directories are removed after log.segment.delete.delay.ms', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'tributary-delete-delay-'));
  try {
    const broker = await startBroker({ port: 0, dataDir, config: { ...SMALL, 'log.segment.delete.delay.ms': '0' } });
    try {
      const admin = await RawAdmin.open(broker.bootstrap);
      assert.equal((await admin.createTopic('brief', 3)).errorCode, ErrorCode.NONE);
      assert.equal((await admin.deleteTopic('brief')).errorCode, ErrorCode.NONE);
      assert.deepEqual((await dirsOf(dataDir, 'brief')).live, []);
      await waitForNoDeleteDirs(dataDir, 'brief');
      admin.close();
    } finally {
      await broker.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('DeleteTopics by topic id deletes only that incarnation', async () => {
  const broker = await startBroker({ port: 0, config: SMALL });
  try {
    const admin = await RawAdmin.open(broker.bootstrap);
    assert.equal((await admin.createTopic('by-id', 1)).errorCode, ErrorCode.NONE);
    const [first] = await admin.metadata(['by-id']);
    assert.equal((await admin.deleteTopicById(first.topicId)).errorCode, ErrorCode.NONE);
    assert.equal((await admin.createTopic('by-id', 1)).errorCode, ErrorCode.NONE);
    // The old id names no topic any more; the new incarnation stays.
    assert.equal((await admin.deleteTopicById(first.topicId)).errorCode, ErrorCode.UNKNOWN_TOPIC_ID);
    const [second] = await admin.metadata(['by-id']);
    assert.equal(second.errorCode, ErrorCode.NONE);
    assert.notEqual(second.topicId, first.topicId);
    admin.close();
  } finally {
    await broker.stop();
  }
});

test('concurrent DeleteTopics of one name: one deletes it, the others answer UNKNOWN_TOPIC_OR_PARTITION as Kafka does', async () => {
  const broker = await startBroker({ port: 0, config: SMALL });
  const admins = await Promise.all(Array.from({ length: 5 }, () => RawAdmin.open(broker.bootstrap)));
  try {
    assert.equal((await admins[0].createTopic('doomed', 4)).errorCode, ErrorCode.NONE);
    const answers = await Promise.all(admins.map((a) => a.deleteTopic('doomed')));
    assert.deepEqual(answers.map((a) => a.errorCode).sort((x, y) => x - y), [ErrorCode.NONE, ...Array<number>(4).fill(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)]);
    assert.deepEqual((await dirsOf(broker.dataDir, 'doomed')).live, []);
    assert.equal((await dirsOf(broker.dataDir, 'doomed')).deleting.length, 4);
  } finally {
    for (const a of admins) a.close();
    await broker.stop();
  }
});

test('DeleteTopics answers INVALID_REQUEST for a topic named twice in one request, as Kafka does', async () => {
  const broker = await startBroker({ port: 0, config: SMALL });
  const admin = await RawAdmin.open(broker.bootstrap);
  try {
    assert.equal((await admin.createTopic('twice', 1)).errorCode, ErrorCode.NONE);
    const answers = await admin.deleteTopics(['twice', 'twice']);
    assert.deepEqual(answers.map((a) => [a.name, a.errorCode, a.errorMessage]), [
      ['twice', ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'],
      ['twice', ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'],
    ]);
    assert.equal((await admin.metadata(['twice']))[0].errorCode, ErrorCode.NONE);
  } finally {
    admin.close();
    await broker.stop();
  }
});

test('produce racing a deletion is answered with a retriable not-hosted error, never a storage error', async () => {
  const broker = await startBroker({ port: 0, config: SMALL });
  const producers = await Promise.all(Array.from({ length: 4 }, () => RawAdmin.open(broker.bootstrap)));
  const admin = await RawAdmin.open(broker.bootstrap);
  try {
    assert.equal((await admin.createTopic('busy', 2)).errorCode, ErrorCode.NONE);
    const records = await buildBatch([{ key: null, value: Buffer.from('v'), timestamp: 1_700_000_000_000 }]);
    let deleted = false;
    const seen = new Set<number>();
    const streams = producers.map(async (p, i) => {
      // Each stream goes on until it has had two answers after the deletion was acknowledged.
      for (let after = 0; after < 2; ) {
        seen.add(await p.produce('busy', i % 2, Buffer.from(records)));
        if (deleted) after++;
      }
    });
    await producers[0].metadata(['busy']);
    assert.equal((await admin.deleteTopic('busy')).errorCode, ErrorCode.NONE);
    deleted = true;
    await Promise.all(streams);
    const allowed = new Set<number>([ErrorCode.NONE, ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    assert.deepEqual([...seen].filter((c) => !allowed.has(c)), []);
    assert.ok(seen.has(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
  } finally {
    for (const p of producers) p.close();
    admin.close();
    await broker.stop();
  }
});
