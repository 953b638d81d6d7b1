// A three-broker cluster (real etcd) whose inter-broker listener is SSL with client certificates
// required, and whose clients use a PLAINTEXT listener: followers replicate an RF=3 topic over TLS
// (a plaintext link to the SSL port, or one without the client certificate, would be refused),
// and Metadata over each listener lists every broker at that listener's ports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { startCluster } from '../../src/broker/cluster.js';
import { mutualTlsClusterConfig, makeTestCerts } from '../helpers/test-certs.js';
import { openTls } from '../helpers/tls-probe.js';
import type { MetadataResponse } from '../../src/protocol/generated/index.js';

const { Kafka, logLevel } = kafkajs;

test('followers replicate over the SSL inter-broker listener (mutual TLS); clients of each listener see its ports', async () => {
  const certs = makeTestCerts();
  const cluster = await startCluster({
    brokers: 3,
    config: {
      ...mutualTlsClusterConfig(certs),
      'offsets.topic.num.partitions': '3',
      'replica.fetch.wait.max.ms': '100',
    },
  });
  try {
    const brokers = [1, 2, 3].map((id) => cluster.brokers.get(id)!);
    const kafka = new Kafka({ brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
    const admin = kafka.admin();
    await admin.connect();
    assert.equal(await admin.createTopics({ topics: [{ topic: 'tls-replicated', numPartitions: 3, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '3' }] }] }), true);
    const producer = kafka.producer();
    await producer.connect();
    const sent = Array.from({ length: 60 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));
    // acks=all with min.insync.replicas=3: acknowledged only once both followers fetched it over TLS.
    await producer.send({ topic: 'tls-replicated', acks: -1, messages: sent });
    await producer.disconnect();
    const offsets = await admin.fetchTopicOffsets('tls-replicated');
    assert.equal(offsets.reduce((sum, o) => sum + Number(o.high), 0), sent.length);
    for (let p = 0; p < 3; p++) {
      const ends = brokers.map((b) => b.partitionForTests('tls-replicated', p)?.logEndOffset);
      assert.equal(new Set(ends).size, 1, `partition ${p}: every replica holds the same records (${ends.join(',')})`);
      assert.equal(ends[0], Number(offsets.find((o) => o.partition === p)?.high));
    }
    const md = await admin.fetchTopicMetadata({ topics: ['tls-replicated'] });
    for (const part of md.topics[0].partitions) assert.deepEqual([...part.isr].sort(), [1, 2, 3]);
    await admin.disconnect();

    const plainPorts = brokers.map((b) => b.listeners[0].port).sort();
    const sslPorts = brokers.map((b) => b.listeners[1].port).sort();
    const described = await kafka.admin();
    await described.connect();
    assert.deepEqual((await described.describeCluster()).brokers.map((b) => b.port).sort(), plainPorts);
    await described.disconnect();
    const conn = await openTls(`127.0.0.1:${sslPorts[0]}`, certs.ca, { cert: certs.client.cert, key: certs.client.key });
    const overSsl = await conn.request<MetadataResponse>(3, 12, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    conn.close();
    assert.deepEqual(overSsl.brokers.map((b) => b.port).sort(), sslPorts);
  } finally {
    await cluster.stop();
    certs.cleanup();
  }
});
