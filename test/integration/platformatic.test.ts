// @platformatic/kafka against an in-process broker: admin, producing with each codec it has on
// Node 20 (its zstd needs Node 22's zlib), and reading back without a group through its raw
// Fetch and ListOffsets calls (it picks flexible versions: Metadata 12, Produce 11, Fetch 17).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin, Consumer, Producer, stringSerializers } from '@platformatic/kafka';
import { startBroker, type RunningBroker } from '../helpers/broker.js';

let broker: RunningBroker;
const clientOptions = () => ({ clientId: 'platformatic-test', bootstrapBrokers: [broker.bootstrap], retries: 0 });

before(async () => {
  broker = await startBroker({ port: 0 });
});
after(async () => {
  await broker.stop();
});

test('platformatic admin creates, lists, describes and deletes topics', async () => {
  const admin = new Admin(clientOptions());
  try {
    const created = await admin.createTopics({ topics: ['pf-admin'], partitions: 4, replicas: 1 });
    assert.equal(created[0].name, 'pf-admin');
    assert.equal(created[0].partitions, 4);
    assert.ok((await admin.listTopics()).includes('pf-admin'));
    const md = await admin.metadata({ topics: ['pf-admin'] });
    assert.equal(md.topics.get('pf-admin')?.partitionsCount, 4);
    assert.equal(md.controllerId, 1);
    assert.equal(md.id, broker.clusterId);
    await admin.deleteTopics({ topics: ['pf-admin'] });
    assert.ok(!(await admin.listTopics()).includes('pf-admin'));
  } finally {
    await admin.close();
  }
});

for (const compression of ['none', 'gzip', 'snappy', 'lz4'] as const) {
  test(`platformatic produces with ${compression} and fetches it back`, async () => {
    const topic = `pf-${compression}`;
    const admin = new Admin(clientOptions());
    await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
    const md = await admin.metadata({ topics: [topic] });
    await admin.close();
    const topicId = md.topics.get(topic)?.id;
    assert.ok(topicId);

    const producer = new Producer({ ...clientOptions(), serializers: stringSerializers, compression });
    const messages = Array.from({ length: 50 }, (_, i) => ({ topic, partition: 0, key: `key-${i}`, value: `${compression} value ${i}`, headers: { n: String(i) } }));
    try {
      for (let i = 0; i < 50; i += 10) {
        const result = await producer.send({ messages: messages.slice(i, i + 10), acks: -1 });
        assert.equal(result.offsets?.[0].offset, BigInt(i));
      }
    } finally {
      await producer.close();
    }

    const consumer = new Consumer({ ...clientOptions(), groupId: `pf-${compression}-group` });
    try {
      const offsets = await consumer.listOffsets({ topics: [topic] });
      assert.deepEqual(offsets.get(topic), [50n]);
      const response = await consumer.fetch({
        node: 1,
        maxWaitTime: 100,
        topics: [{ topicId, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, partitionMaxBytes: 1048576 }] }],
      });
      const partition = response.responses[0].partitions[0];
      assert.equal(partition.errorCode, 0);
      assert.equal(partition.highWatermark, 50n);
      const records = (partition.records ?? []).flatMap((batch) => batch.records.map((r) => ({ offset: batch.firstOffset + BigInt(r.offsetDelta), key: r.key?.toString(), value: r.value?.toString(), headers: r.headers.map(([k, v]) => `${k?.toString()}=${v?.toString()}`) })));
      assert.equal(records.length, 50);
      records.forEach((r, i) => assert.deepEqual(r, { offset: BigInt(i), key: `key-${i}`, value: `${compression} value ${i}`, headers: [`n=${i}`] }));
    } finally {
      await consumer.close();
    }
  });
}
