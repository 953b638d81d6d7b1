/** What kafkajs sends: its admin calls, producing with each codec (and idempotently), a consumer group. */
import kafkajs from 'kafkajs';
import { registerKafkajsCodecs } from '../../test/helpers/kafkajs-codecs.js';
import { CAPTURE_MESSAGES } from './fixture-format.js';
import { step, type RecordingProxy } from './recording-proxy.js';

export async function kafkajsSession(proxy: RecordingProxy, bootstrap: string): Promise<void> {
  proxy.client = 'kafkajs';
  registerKafkajsCodecs();
  const kafka = new kafkajs.Kafka({ clientId: 'golden', brokers: [bootstrap], logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.fetchTopicMetadata({ topics: ['golden-kcat'] });
  await step('kafkajs createTopics', () => admin.createTopics({ topics: [{ topic: 'golden-kafkajs', numPartitions: 1 }, { topic: 'golden-kafkajs-tmp', numPartitions: 1 }] }));
  await step('kafkajs createPartitions', () => admin.createPartitions({ topicPartitions: [{ topic: 'golden-kafkajs-tmp', count: 2 }] }));
  await step('kafkajs describeCluster', () => admin.describeCluster());
  await step('kafkajs describeConfigs', () => admin.describeConfigs({ resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: 'golden-kafkajs' }], includeSynonyms: true }));
  await step('kafkajs alterConfigs', () => admin.alterConfigs({ validateOnly: false, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: 'golden-kafkajs-tmp', configEntries: [{ name: 'retention.ms', value: '3600000' }] }] }));
  const producer = kafka.producer();
  await producer.connect();
  for (const [codec, type] of [['none', 0], ['gzip', 1], ['snappy', 2], ['lz4', 3], ['zstd', 4]] as const) {
    proxy.label = codec;
    await producer.send({ topic: 'golden-kafkajs', compression: type, messages: CAPTURE_MESSAGES.map((m) => ({ key: m.key, value: m.value, headers: { source: 'kafkajs' }, partition: 0 })) });
  }
  await producer.disconnect();
  proxy.label = 'idempotent';
  const idempotent = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await step('kafkajs idempotent producer', async () => {
    await idempotent.connect();
    await idempotent.send({ topic: 'golden-kafkajs-tmp', messages: CAPTURE_MESSAGES.map((m) => ({ key: m.key, value: m.value, headers: { source: 'kafkajs' }, partition: 0 })) });
    await idempotent.disconnect();
  });
  proxy.label = 'transactional';
  const transactional = kafka.producer({ transactionalId: 'golden-kafkajs-txn', idempotent: true, maxInFlightRequests: 1 });
  await step('kafkajs transactions', async () => {
    await transactional.connect();
    for (const commit of [true, false]) {
      const txn = await transactional.transaction();
      await txn.send({ topic: 'golden-kafkajs-tmp', messages: CAPTURE_MESSAGES.map((m) => ({ key: m.key, value: m.value, headers: { source: 'kafkajs' }, partition: 0 })) });
      await txn.sendOffsets({ consumerGroupId: 'golden-kafkajs-txn-group', topics: [{ topic: 'golden-kafkajs', partitions: [{ partition: 0, offset: '1' }] }] });
      await (commit ? txn.commit() : txn.abort());
    }
    await transactional.disconnect();
  });
  proxy.label = '';
  await step('kafkajs offsets', () => admin.fetchTopicOffsets('golden-kafkajs'));
  await step('kafkajs offsets by time', () => admin.fetchTopicOffsetsByTimestamp('golden-kafkajs', 1_000));

  const consumer = kafka.consumer({ groupId: 'golden-kafkajs-group', maxWaitTimeInMs: 100, heartbeatInterval: 100 });
  await step('kafkajs consumer group', async () => {
    await consumer.connect();
    await consumer.subscribe({ topics: ['golden-kafkajs'], fromBeginning: true });
    let seen = 0;
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async () => {
          if (++seen === CAPTURE_MESSAGES.length * 5) resolve();
        },
      });
    });
    await done;
    // Stay long enough for a heartbeat and an offset commit.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await consumer.disconnect();
  });
  await step('kafkajs listGroups', () => admin.listGroups());
  await step('kafkajs describeGroups', () => admin.describeGroups(['golden-kafkajs-group']));
  await step('kafkajs fetchOffsets', () => admin.fetchOffsets({ groupId: 'golden-kafkajs-group', topics: ['golden-kafkajs'] }));
  await step('kafkajs setOffsets', () => admin.setOffsets({ groupId: 'golden-kafkajs-group', topic: 'golden-kafkajs', partitions: [{ partition: 0, offset: '1' }] }));
  await step('kafkajs deleteGroups', () => admin.deleteGroups(['golden-kafkajs-group']));
  await step('kafkajs deleteTopics', () => admin.deleteTopics({ topics: ['golden-kafkajs-tmp'] }));
  await admin.disconnect();
}
