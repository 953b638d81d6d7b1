// kafkajs 2.2.4 against an in-process broker: admin (topics, partitions, configs, offsets,
// delete records) and the producer with every compression codec. kafkajs consumes only through
// consumer groups, so what it produced is read back with kcat.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { kcat, parseJsonLines } from '../helpers/kcat.js';
import { registerKafkajsCodecs } from '../helpers/kafkajs-codecs.js';

const { Kafka, CompressionTypes, ConfigResourceTypes, logLevel } = kafkajs;

/** kafkajs wraps per-topic failures in an aggregate error: check the Kafka error type inside. */
function firstErrorType(type: string): (err: unknown) => boolean {
  return (err) => (err as { errors?: { type?: string }[] }).errors?.[0]?.type === type;
}

let broker: RunningBroker;
let client: InstanceType<typeof Kafka>;

before(async () => {
  registerKafkajsCodecs();
  broker = await startBroker({ port: 0 });
  client = new Kafka({ clientId: 'kafkajs-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
});
after(async () => {
  await broker.stop();
});

test('kafkajs admin creates, lists, describes, grows and deletes topics', async () => {
  const admin = client.admin();
  await admin.connect();
  try {
    assert.equal(await admin.createTopics({ topics: [{ topic: 'admin-a', numPartitions: 3 }, { topic: 'admin-b', configEntries: [{ name: 'retention.ms', value: '3600000' }] }] }), true);
    assert.equal(await admin.createTopics({ topics: [{ topic: 'admin-a', numPartitions: 3 }] }), false, 'an existing topic is not created again');
    await assert.rejects(admin.createTopics({ topics: [{ topic: 'bad/name' }] }), firstErrorType('INVALID_TOPIC_EXCEPTION'));
    await assert.rejects(admin.createTopics({ topics: [{ topic: 'rf3', replicationFactor: 3 }] }), firstErrorType('INVALID_REPLICATION_FACTOR'));
    const topics = (await admin.listTopics()).sort();
    assert.ok(topics.includes('admin-a') && topics.includes('admin-b'));
    const md = await admin.fetchTopicMetadata({ topics: ['admin-a'] });
    assert.deepEqual(md.topics[0].partitions.map((p) => p.partitionId).sort(), [0, 1, 2]);

    await admin.createPartitions({ topicPartitions: [{ topic: 'admin-a', count: 5 }] });
    const grown = await admin.fetchTopicMetadata({ topics: ['admin-a'] });
    assert.equal(grown.topics[0].partitions.length, 5);
    await assert.rejects(admin.createPartitions({ topicPartitions: [{ topic: 'admin-a', count: 2 }] }), /partition/i);

    const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'admin-b' }] });
    const entries = described.resources[0].configEntries;
    const retention = entries.find((e) => e.configName === 'retention.ms');
    assert.equal(retention?.configValue, '3600000');
    assert.equal(retention?.isDefault, false);
    assert.equal(entries.find((e) => e.configName === 'cleanup.policy')?.configValue, 'delete');

    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'admin-b', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
    const after = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'admin-b', configNames: ['cleanup.policy', 'retention.ms'] }] });
    const values = Object.fromEntries(after.resources[0].configEntries.map((e) => [e.configName, e.configValue]));
    // AlterConfigs replaces the whole set of overrides, as in Kafka.
    assert.deepEqual(values, { 'cleanup.policy': 'compact', 'retention.ms': '604800000' });
    await assert.rejects(
      admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'admin-b', configEntries: [{ name: 'retention.ms', value: 'soon' }] }] }),
      /invalid/i,
    );

    await admin.deleteTopics({ topics: ['admin-a'] });
    assert.ok(!(await admin.listTopics()).includes('admin-a'));
  } finally {
    await admin.disconnect();
  }
});

const CODECS = [
  ['none', CompressionTypes.None],
  ['gzip', CompressionTypes.GZIP],
  ['snappy', CompressionTypes.Snappy],
  ['lz4', CompressionTypes.LZ4],
  ['zstd', CompressionTypes.ZSTD],
] as const;

for (const [name, compression] of CODECS) {
  test(`kafkajs produces with ${name}; kcat reads it back with keys, headers and order`, async () => {
    const topic = `kafkajs-${name}`;
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    await admin.disconnect();
    const producer = client.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const sent: { key: string | null; value: string; partition: number }[] = [];
    for (let batch = 0; batch < 5; batch++) {
      const messages = Array.from({ length: 200 }, (_, i) => {
        const n = batch * 200 + i;
        return { key: n % 10 === 0 ? null : `k${n}`, value: `${name}-${n}-${'v'.repeat(n % 37)}`, partition: n % 2, headers: { n: String(n), codec: name } };
      });
      const result = await producer.send({ topic, compression, acks: -1, messages });
      assert.equal(result.length, 2);
      sent.push(...messages.map((m) => ({ key: m.key, value: m.value, partition: m.partition })));
    }
    await producer.disconnect();
    const res = await kcat(['-b', broker.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-J']);
    assert.equal(res.code, 0, res.stderr);
    const got = parseJsonLines(res.stdout);
    assert.equal(got.length, sent.length);
    for (const partition of [0, 1]) {
      const expected = sent.filter((m) => m.partition === partition);
      const actual = got.filter((m) => m.partition === partition);
      assert.deepEqual(actual.map((m) => m.offset), expected.map((_, i) => i), `offsets of partition ${partition}`);
      assert.deepEqual(actual.map((m) => [m.key, m.payload]), expected.map((m) => [m.key, m.value]));
    }
    const first = got.find((m) => m.partition === 0 && m.offset === 0);
    assert.deepEqual(first?.headers, ['n', '0', 'codec', name]);
  });
}

test('kafkajs admin reads offsets by timestamp and deletes records', async () => {
  const topic = 'kafkajs-offsets';
  const producer = client.producer();
  await producer.connect();
  const t0 = Date.now() - 10_000;
  await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}`, timestamp: String(t0 + i * 1000) })) });
  await producer.disconnect();
  const admin = client.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    assert.deepEqual(offsets.map((o) => [o.partition, o.low, o.high]), [[0, '0', '10']]);
    const byTime = await admin.fetchTopicOffsetsByTimestamp(topic, t0 + 4500);
    assert.deepEqual(byTime, [{ partition: 0, offset: '5' }]);
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '4' }] });
    const after = await admin.fetchTopicOffsets(topic);
    assert.deepEqual(after.map((o) => [o.low, o.high]), [['4', '10']]);
  } finally {
    await admin.disconnect();
  }
});
