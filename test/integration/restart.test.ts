// Stop the broker and start it again on the same data directory: topics, topic ids, configs and
// every acknowledged record are still there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { startBroker } from '../helpers/broker.js';
import { kcat, parseJsonLines } from '../helpers/kcat.js';

const { Kafka, ConfigResourceTypes, logLevel } = kafkajs;

test('topics, configs and records survive a restart', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'tributary-restart-'));
  try {
    let broker = await startBroker({ port: 0, dataDir });
    let kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'durable', numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '123456789' }] }] });
    const before = await admin.fetchTopicMetadata({ topics: ['durable'] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < 30; i++) await producer.send({ topic: 'durable', acks: -1, messages: [{ key: `k${i}`, value: `v${i}`, partition: i % 3 }] });
    await producer.disconnect();
    const clusterId = broker.clusterId;
    await broker.stop();

    broker = await startBroker({ port: 0, dataDir });
    try {
      assert.equal(broker.clusterId, clusterId);
      kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
      const admin2 = kafka.admin();
      await admin2.connect();
      const md = await admin2.fetchTopicMetadata({ topics: ['durable'] });
      assert.equal(md.topics[0].partitions.length, 3);
      const configs = await admin2.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'durable', configNames: ['retention.ms'] }] });
      assert.equal(configs.resources[0].configEntries[0].configValue, '123456789');
      const offsets = await admin2.fetchTopicOffsets('durable');
      assert.deepEqual(offsets.map((o) => o.high).sort(), ['10', '10', '10']);
      await admin2.disconnect();
      assert.deepEqual(md.topics[0].partitions.length, before.topics[0].partitions.length);
      const res = await kcat(['-b', broker.bootstrap, '-C', '-t', 'durable', '-o', 'beginning', '-e', '-J']);
      const got = parseJsonLines(res.stdout).map((m) => `${m.partition}:${m.offset}:${m.key}:${m.payload}`).sort();
      const expected = Array.from({ length: 30 }, (_, i) => `${i % 3}:${Math.floor(i / 3)}:k${i}:v${i}`).sort();
      assert.deepEqual(got, expected);
    } finally {
      await broker.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
