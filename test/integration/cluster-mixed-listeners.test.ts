// Two brokers with different listeners (broker 1: PLAINTEXT and SSL, broker 2: PLAINTEXT only), as
// part way through a listener change: a client of the SSL listener is told only broker 1, a
// partition broker 2 leads is LISTENER_NOT_FOUND (Metadata v6+) with no leader, and the PLAINTEXT
// listener still lists both brokers and both leaders, as Kafka answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { startEtcd } from '../helpers/etcd.js';
import { makeTestCerts } from '../helpers/test-certs.js';
import { openTls } from '../helpers/tls-probe.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import type { CreateTopicsResponse, FindCoordinatorResponse, MetadataResponse } from '../../src/protocol/generated/index.js';

const LISTENER_NOT_FOUND = 72;

test('a broker without the listener a client is on is left out of its answers', async () => {
  const certs = makeTestCerts();
  const etcd = await startEtcd();
  const shared = { 'tributary.metadata.etcd.endpoints': etcd.endpoint, 'tributary.metadata.etcd.prefix': `/tributary/mixed-${randomBytes(4).toString('hex')}`, 'offsets.topic.num.partitions': '2', 'inter.broker.listener.name': 'PLAINTEXT' };
  const brokers: RunningBroker[] = [];
  try {
    brokers.push(await startBroker({ port: 0, nodeId: 1, config: { ...shared, listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0', 'ssl.keystore.location': certs.server.pemFile } }));
    brokers.push(await startBroker({ port: 0, nodeId: 2, config: { ...shared, listeners: 'PLAINTEXT://127.0.0.1:0' } }));
    const plain = await KafkaConnection.open(brokers[0].bootstrap);
    const created = await plain.request<CreateTopicsResponse>(19, 5, { topics: [{ name: 'mixed', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1] }, { partitionIndex: 1, brokerIds: [2] }], configs: [] }], timeoutMs: 10_000, validateOnly: false });
    assert.equal(created.topics[0].errorCode, 0, created.topics[0].errorMessage ?? '');
    const request = (conn: KafkaConnection, version: number) => conn.request<MetadataResponse>(3, version, { topics: [{ name: 'mixed', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    const ask = async (conn: KafkaConnection, version: number) => {
      for (const deadline = Date.now() + 10_000; ; ) {
        const md = await request(conn, version);
        const parts = md.topics[0]?.partitions ?? [];
        // Until both partitions have their leaders in this broker's view.
        if ((parts.length === 2 && parts.every((p) => p.errorCode !== 5)) || Date.now() > deadline) return md;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const overPlain = await ask(plain, 12);
    // Group coordinators as PLAINTEXT clients see them (the offsets topic is made at the first ask).
    const groups = Array.from({ length: 12 }, (_, i) => `group-${i}`);
    const findCoordinators = (conn: KafkaConnection) => conn.request<FindCoordinatorResponse>(10, 4, { keyType: 0, coordinatorKeys: groups });
    let plainCoordinators = await findCoordinators(plain);
    for (const deadline = Date.now() + 15_000; plainCoordinators.coordinators.some((c) => c.errorCode !== 0) && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 100));
      plainCoordinators = await findCoordinators(plain);
    }
    plain.close();
    assert.ok(plainCoordinators.coordinators.every((c) => c.errorCode === 0));
    assert.deepEqual(new Set(plainCoordinators.coordinators.map((c) => c.nodeId)), new Set([1, 2]), 'each broker coordinates some of the groups');
    assert.deepEqual(overPlain.brokers.map((b) => [b.nodeId, b.port]), [[1, brokers[0].port], [2, brokers[1].port]]);
    assert.deepEqual(overPlain.topics[0].partitions.map((p) => [p.partitionIndex, p.errorCode, p.leaderId]).sort(), [[0, 0, 1], [1, 0, 2]]);

    const ssl = await openTls(`127.0.0.1:${brokers[0].listeners[1].port}`, certs.ca);
    const overSsl = await ask(ssl, 12);
    const overSslV5 = await request(ssl, 5);
    const sslCoordinators = await findCoordinators(ssl);
    ssl.close();
    // A group broker 2 coordinates has no coordinator an SSL client could reach: COORDINATOR_NOT_AVAILABLE.
    assert.deepEqual(
      sslCoordinators.coordinators.map((c) => [c.key, c.errorCode, c.errorCode === 0 ? c.port : -1]),
      plainCoordinators.coordinators.map((c) => [c.key, c.nodeId === 1 ? 0 : 15, c.nodeId === 1 ? brokers[0].listeners[1].port : -1]),
    );
    assert.deepEqual(overSsl.brokers.map((b) => [b.nodeId, b.port]), [[1, brokers[0].listeners[1].port]]);
    assert.deepEqual(overSsl.topics[0].partitions.map((p) => [p.partitionIndex, p.errorCode, p.leaderId]).sort(), [[0, 0, 1], [1, LISTENER_NOT_FOUND, -1]]);
    assert.deepEqual(overSslV5.topics[0].partitions.map((p) => [p.partitionIndex, p.errorCode, p.leaderId]).sort(), [[0, 0, 1], [1, 5, -1]], 'before v6: LEADER_NOT_AVAILABLE');
  } finally {
    for (const b of brokers.reverse()) await b.stop();
    await etcd.stop();
    certs.cleanup();
  }
});
