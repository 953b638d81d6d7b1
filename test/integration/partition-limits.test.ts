// Partition limits: one request cannot make the broker create tens of thousands of partitions.
// tributary.topic.max.partitions bounds one topic (INVALID_PARTITIONS), tributary.broker.max.partitions
// all partitions of the broker (POLICY_VIOLATION), on CreateTopics, CreatePartitions and auto-creation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../helpers/broker.js';
import { RawAdmin } from '../helpers/raw-admin.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';

async function partitionDirCount(dataDir: string): Promise<number> {
  return (await readdir(dataDir, { withFileTypes: true })).filter((d) => d.isDirectory() && /-\d+$/.test(d.name)).length;
}

test('a topic of 65,535 partitions is refused with INVALID_PARTITIONS and nothing is created', async () => {
  const broker = await startBroker({ port: 0, config: { 'offsets.topic.num.partitions': '1' } });
  try {
    const admin = await RawAdmin.open(broker.bootstrap);
    const before = await partitionDirCount(broker.dataDir);
    const created = await admin.createTopic('huge', 65_535);
    assert.deepEqual([created.errorCode, created.errorMessage], [ErrorCode.INVALID_PARTITIONS, 'Topic huge would have 65535 partitions, more than tributary.topic.max.partitions (1000).']);
    assert.equal((await admin.createTopic('grown', 1)).errorCode, ErrorCode.NONE);
    const grown = await admin.createPartitions('grown', 65_535);
    assert.deepEqual([grown.errorCode, grown.errorMessage], [ErrorCode.INVALID_PARTITIONS, 'Topic grown would have 65535 partitions, more than tributary.topic.max.partitions (1000).']);
    assert.equal((await admin.createPartitions('grown', 65_535, true)).errorCode, ErrorCode.INVALID_PARTITIONS);
    assert.equal((await admin.createTopic('huge', 65_535, true)).errorCode, ErrorCode.INVALID_PARTITIONS);
    // Refused before any replica is assigned: laying out the largest count a request can carry took the heap.
    assert.equal((await admin.createTopic('huge', 2 ** 31 - 1)).errorCode, ErrorCode.INVALID_PARTITIONS);
    assert.equal(await partitionDirCount(broker.dataDir), before + 1);
    assert.deepEqual((await admin.metadata(['huge', 'grown'])).map((t) => [t.name, t.errorCode, t.partitions]), [
      ['huge', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 0],
      ['grown', ErrorCode.NONE, 1],
    ]);
    admin.close();
  } finally {
    await broker.stop();
  }
});

test('tributary.broker.max.partitions bounds the partitions of all topics, also auto-created ones and racing creations', async () => {
  // __consumer_offsets takes 1 of the 20.
  const broker = await startBroker({ port: 0, config: { 'offsets.topic.num.partitions': '1', 'tributary.broker.max.partitions': '20', 'num.partitions': '2' } });
  try {
    const admin = await RawAdmin.open(broker.bootstrap);
    assert.equal((await admin.createTopic('a', 10)).errorCode, ErrorCode.NONE);
    assert.equal((await admin.createTopic('b', 8)).errorCode, ErrorCode.NONE);
    const refused = await admin.createTopic('c', 2);
    assert.deepEqual([refused.errorCode, refused.errorMessage], [
      ErrorCode.POLICY_VIOLATION,
      'Creating 2 partitions would bring this broker to 21 partitions, more than tributary.broker.max.partitions (20).',
    ]);
    assert.equal((await admin.createTopic('c', 2, true)).errorCode, ErrorCode.POLICY_VIOLATION);
    assert.equal((await admin.createPartitions('a', 12)).errorCode, ErrorCode.POLICY_VIOLATION);
    // Auto-creation (num.partitions=2) is refused the same way, and the client sees why.
    assert.deepEqual((await admin.metadata(['auto'], true)).map((t) => [t.name, t.errorCode]), [['auto', ErrorCode.POLICY_VIOLATION]]);
    assert.equal((await admin.createTopic('c', 1)).errorCode, ErrorCode.NONE);
    // Deleting a topic gives its partitions back; racing creations cannot overshoot the limit together.
    assert.equal((await admin.deleteTopic('b')).errorCode, ErrorCode.NONE);
    const racers = await Promise.all(Array.from({ length: 6 }, () => RawAdmin.open(broker.bootstrap)));
    const answers = await Promise.all(racers.map((r, i) => r.createTopic(`racer-${i}`, 3)));
    assert.deepEqual(answers.map((a) => a.errorCode).sort((x, y) => x - y), [0, 0, ErrorCode.POLICY_VIOLATION, ErrorCode.POLICY_VIOLATION, ErrorCode.POLICY_VIOLATION, ErrorCode.POLICY_VIOLATION]);
    for (const r of racers) r.close();
    const all = await admin.metadata(null);
    assert.equal(all.reduce((n, t) => n + t.partitions, 0), 18);
    assert.equal(await partitionDirCount(broker.dataDir), 18);
    admin.close();
  } finally {
    await broker.stop();
  }
});

test('while a topic grows by many partitions, Metadata answers other clients and shows only partitions whose logs are open', async () => {
  const broker = await startBroker({ port: 0, config: { 'offsets.topic.num.partitions': '1' } });
  try {
    const grower = await RawAdmin.open(broker.bootstrap);
    const observer = await RawAdmin.open(broker.bootstrap);
    assert.equal((await grower.createTopic('wide', 1)).errorCode, ErrorCode.NONE);
    assert.equal((await grower.createTopic('other', 1)).errorCode, ErrorCode.NONE);
    let grown = false;
    const growing = grower.createPartitions('wide', 300).then((a) => {
      grown = true;
      return a;
    });
    // Metadata for the other topic is answered while the partitions are being created; the growing
    // topic keeps its old count until every new log is open.
    const during = await observer.metadata(['other', 'wide']);
    assert.equal(grown, false);
    assert.deepEqual(during.map((t) => [t.name, t.partitions]), [['other', 1], ['wide', 1]]);
    assert.equal((await growing).errorCode, ErrorCode.NONE);
    assert.deepEqual((await observer.metadata(['wide'])).map((t) => t.partitions), [300]);
    grower.close();
    observer.close();
  } finally {
    await broker.stop();
  }
});

test('stopping the broker during a large CreatePartitions leaves the topic table and the directories agreeing', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'tributary-stop-grow-'));
  const config = { 'offsets.topic.num.partitions': '1' };
  try {
    const broker = await startBroker({ port: 0, dataDir, config });
    const admin = await RawAdmin.open(broker.bootstrap);
    assert.equal((await admin.createTopic('halted', 1)).errorCode, ErrorCode.NONE);
    const growing = admin.createPartitions('halted', 400).catch(() => null);
    const probe = await RawAdmin.open(broker.bootstrap);
    await probe.metadata(['halted']);
    probe.close();
    await broker.stop();
    const answer = await growing;
    t.diagnostic(`answer during stop: ${JSON.stringify(answer)}`);
    // Either the growth finished before the stop or it was undone; never half of it.
    assert.ok(answer === null || [ErrorCode.NONE, ErrorCode.BROKER_NOT_AVAILABLE].includes(answer.errorCode), JSON.stringify(answer));
    admin.close();

    const again = await startBroker({ port: 0, dataDir, config });
    try {
      const admin2 = await RawAdmin.open(again.bootstrap);
      const [topic] = await admin2.metadata(['halted']);
      assert.ok([1, 400].includes(topic.partitions), `partitions: ${topic.partitions}`);
      const live = (await readdir(dataDir, { withFileTypes: true })).filter((d) => d.isDirectory() && /^halted-\d+$/.test(d.name));
      assert.equal(live.length, topic.partitions);
      admin2.close();
    } finally {
      await again.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
