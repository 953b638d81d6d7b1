// A secured three-broker cluster as the README describes it: brokers replicate over an SSL
// inter-broker listener with client certificates (their principal User:CN=localhost is the super
// user), clients connect over PLAINTEXT as User:ANONYMOUS with no rights but what ACLs grant.
// An acks=all produce with min.insync.replicas=3 succeeds only if the followers' fetches
// (CLUSTER_ACTION) are authorized; a topic without ACLs stays closed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { startCluster } from '../../src/broker/cluster.js';
import { mutualTlsClusterConfig, makeTestCerts } from '../helpers/test-certs.js';

const { Kafka, logLevel, AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes } = kafkajs;

test('brokers as super users over mutual TLS replicate; PLAINTEXT clients get only what ACLs grant', async () => {
  const certs = makeTestCerts();
  const cluster = await startCluster({
    brokers: 3,
    config: {
      ...mutualTlsClusterConfig(certs),
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'super.users': 'User:CN=localhost',
      'allow.everyone.if.no.acl.found': 'false',
      'offsets.topic.num.partitions': '3',
      'replica.fetch.wait.max.ms': '100',
      'controlled.shutdown.retry.backoff.ms': '100',
    },
  });
  try {
    const brokers = [1, 2, 3].map((id) => cluster.brokers.get(id)!);
    const sslBootstrap = brokers.map((b) => `127.0.0.1:${b.listeners[1].port}`);
    // The operator connects over SSL with the brokers' certificate: a super user.
    const operator = new Kafka({ brokers: sslBootstrap, ssl: { ca: [certs.ca], cert: certs.server.cert, key: certs.server.key }, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
    const admin = operator.admin();
    await admin.connect();
    try {
      assert.equal(
        await admin.createTopics({
          topics: ['secure', 'closed'].map((topic) => ({ topic, numPartitions: 3, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '3' }] })),
        }),
        true,
      );
      await admin.createAcls({
        acl: [AclOperationTypes.WRITE, AclOperationTypes.READ].map((operation) => ({
          resourceType: AclResourceTypes.TOPIC,
          resourceName: 'secure',
          resourcePatternType: ResourcePatternTypes.LITERAL,
          principal: 'User:ANONYMOUS',
          host: '*',
          operation,
          permissionType: AclPermissionTypes.ALLOW,
        })),
      });
    } finally {
      await admin.disconnect();
    }

    const client = new Kafka({ brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
    const producer = client.producer();
    await producer.connect();
    try {
      const sent = Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));
      await producer.send({ topic: 'secure', acks: -1, messages: sent });
      await assert.rejects(producer.send({ topic: 'closed', acks: -1, messages: [{ value: 'x' }] }), (err: Error & { type?: string }) => /TOPIC_AUTHORIZATION_FAILED|authoriz/i.test(`${err.type ?? ''} ${err.message}`));
    } finally {
      await producer.disconnect();
    }
    for (let p = 0; p < 3; p++) {
      const ends = brokers.map((b) => b.partitionForTests('secure', p)?.logEndOffset);
      assert.equal(new Set(ends).size, 1, `partition ${p}: every replica holds the same records (${ends.join(',')})`);
    }
    const total = [0, 1, 2].reduce((sum, p) => sum + (brokers[0].partitionForTests('secure', p)?.logEndOffset ?? 0), 0);
    assert.equal(total, 30);
  } finally {
    await cluster.stop();
    certs.cleanup();
  }
});
