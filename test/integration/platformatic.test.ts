// @platformatic/kafka against an in-process broker: admin, producing with each codec it has on
// Node 20 (its zstd needs Node 22's zlib), and reading back without a group through its raw
// Fetch and ListOffsets calls (it picks flexible versions: Metadata 12, Produce 11, Fetch 17), and
// its transactions (commit and abort, read back by a read_committed kafkajs consumer).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin, Consumer, Producer, stringSerializers } from '@platformatic/kafka';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { consumeCommitted } from '../helpers/txn-reads.js';
import kafkajs from 'kafkajs';

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

test('platformatic transactions: committed records are read under read_committed, aborted ones never', async () => {
  const admin = new Admin(clientOptions());
  await admin.createTopics({ topics: ['pf-txn'], partitions: 2, replicas: 1 });
  await admin.close();
  const producer = new Producer({ ...clientOptions(), idempotent: true, transactionalId: 'pf-txn-producer', serializers: stringSerializers });
  try {
    const send = async (values: [number, string][], commit: boolean) => {
      const txn = await producer.beginTransaction();
      await txn.send({ messages: values.map(([partition, value]) => ({ topic: 'pf-txn', key: value, value, partition })) });
      await (commit ? txn.commit() : txn.abort());
    };
    await send([[0, 'c1'], [1, 'c2']], true);
    await send([[0, 'a1'], [1, 'a2']], false);
    await send([[0, 'c3']], true);
  } finally {
    await producer.close();
  }
  // Partition 0: c1, commit marker, a1, abort marker, c3, commit marker; read_committed skips a1.
  const kafka = new kafkajs.Kafka({ brokers: [broker.bootstrap], logLevel: kafkajs.logLevel.NOTHING });
  assert.deepEqual((await consumeCommitted(kafka, 'pf-txn', 'pf-txn-reader', 3)).sort(), ['0:c1', '0:c3', '1:c2']);
  const offsets = await kafka.admin();
  await offsets.connect();
  const ends = await offsets.fetchTopicOffsets('pf-txn');
  await offsets.disconnect();
  assert.deepEqual(ends.map((p) => [p.partition, p.high]).sort(), [[0, '6'], [1, '4']], 'each transaction end took one offset (a marker) per partition');
});
