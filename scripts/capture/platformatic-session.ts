/** What @platformatic/kafka sends (flexible versions throughout): admin calls, producing, raw Fetch, a consumer group. */
import { Admin, Consumer, Producer, stringSerializers } from '@platformatic/kafka';
import { CAPTURE_MESSAGES } from './fixture-format.js';
import { step, type RecordingProxy } from './recording-proxy.js';

const TOPIC_RESOURCE = 2;

export async function platformaticSession(proxy: RecordingProxy, bootstrap: string): Promise<void> {
  proxy.client = 'platformatic';
  const options = { clientId: 'golden', bootstrapBrokers: [bootstrap] };
  const admin = new Admin(options);
  await admin.createTopics({ topics: ['golden-platformatic', 'golden-platformatic-tmp'], partitions: 1, replicas: 1 });
  const md = await admin.metadata({ topics: ['golden-platformatic'] });
  await step('platformatic createPartitions', () => admin.createPartitions({ topics: [{ name: 'golden-platformatic-tmp', count: 2 }] }));
  await step('platformatic describeConfigs', () => admin.describeConfigs({ resources: [{ resourceType: TOPIC_RESOURCE, resourceName: 'golden-platformatic' }] }));
  await step('platformatic alterConfigs', () => admin.alterConfigs({ resources: [{ resourceType: TOPIC_RESOURCE, resourceName: 'golden-platformatic-tmp', configs: [{ name: 'retention.ms', value: '3600000' }] }] }));
  await step('platformatic incrementalAlterConfigs', () =>
    admin.incrementalAlterConfigs({ resources: [{ resourceType: TOPIC_RESOURCE, resourceName: 'golden-platformatic-tmp', configs: [{ name: 'retention.ms', configOperation: 0, value: '7200000' }] }] }),
  );
  for (const codec of ['none', 'gzip', 'snappy', 'lz4'] as const) {
    proxy.label = codec;
    const p = new Producer({ ...options, serializers: stringSerializers, compression: codec });
    await p.send({ messages: CAPTURE_MESSAGES.map((m) => ({ topic: 'golden-platformatic', partition: 0, key: m.key, value: m.value, headers: { source: 'platformatic' } })) });
    await p.close();
  }
  proxy.label = 'idempotent';
  await step('platformatic idempotent producer', async () => {
    const p = new Producer({ ...options, serializers: stringSerializers, idempotent: true });
    await p.send({ messages: CAPTURE_MESSAGES.map((m) => ({ topic: 'golden-platformatic-tmp', partition: 0, key: m.key, value: m.value, headers: { source: 'platformatic' } })) });
    await p.close();
  });
  proxy.label = '';
  const consumer = new Consumer({ ...options, groupId: 'golden-platformatic-group', deserializers: stringSerializers as never, heartbeatInterval: 100, maxWaitTime: 100 });
  await consumer.fetch({ node: 1, maxWaitTime: 10, topics: [{ topicId: md.topics.get('golden-platformatic')?.id ?? '', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, partitionMaxBytes: 1 << 20 }] }] });
  await step('platformatic listOffsets', () => consumer.listOffsets({ topics: ['golden-platformatic'] }));
  await step('platformatic consumer group', async () => {
    const stream = await consumer.consume({ topics: ['golden-platformatic'], mode: 'earliest', autocommit: 100 });
    let seen = 0;
    for await (const _message of stream) {
      if (++seen === CAPTURE_MESSAGES.length * 4) break;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await stream.close();
  });
  await consumer.close();
  await step('platformatic listGroups', () => admin.listGroups());
  await step('platformatic describeGroups', () => admin.describeGroups({ groups: ['golden-platformatic-group'] }));
  await step('platformatic listConsumerGroupOffsets', () => admin.listConsumerGroupOffsets({ groups: ['golden-platformatic-group'] }));
  await step('platformatic deleteRecords', () => admin.deleteRecords({ topics: [{ name: 'golden-platformatic-tmp', partitions: [{ partition: 0, offset: 1n }] }] }));
  await step('platformatic deleteGroups', () => admin.deleteGroups({ groups: ['golden-platformatic-group'] }));
  await step('platformatic deleteTopics', () => admin.deleteTopics({ topics: ['golden-platformatic-tmp'] }));
  await admin.close();
}
