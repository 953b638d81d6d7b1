// ACLs on a three-broker cluster on a real etcd: an ACL created through one broker is enforced by
// the others (each keeps an in-memory copy fed by the etcd watch), the same ACL created through
// two brokers at once is one record (per-entry keys), and a deletion reaches every broker.
// Brokers and clients are User:ANONYMOUS here (PLAINTEXT): allow.everyone.if.no.acl.found=true
// keeps topics without ACLs open, and an ALLOW ALL on the cluster keeps replication (CLUSTER_ACTION) working.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { startCluster } from '../../src/broker/cluster.js';
import { askBroker, waitUntil } from '../helpers/cluster-admin.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';

const { Kafka, logLevel } = kafkajs;
const ANON = 'User:ANONYMOUS';

interface MetadataBody {
  topics: { name: string | null; errorCode: number }[];
}
interface DescribeAclsBody {
  errorCode: number;
  resources: { resourceType: number; resourceName: string; patternType: number; acls: { principal: string; host: string; operation: number; permissionType: number }[] }[];
}
interface CreateAclsBody {
  results: { errorCode: number; errorMessage: string | null }[];
}
interface DeleteAclsBody {
  filterResults: { errorCode: number; matchingAcls: unknown[] }[];
}

const createAcl = (resourceType: number, resourceName: string, operation: number, permissionType: number) => ({
  creations: [{ resourceType, resourceName, resourcePatternType: 3, principal: ANON, host: '*', operation, permissionType }],
});
const topicError = async (bootstrap: string, topic: string) => (await askBroker<MetadataBody>(bootstrap, 3, 12, { topics: [{ name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })).topics[0].errorCode;
const describeTopicAcls = (bootstrap: string, topic: string) =>
  askBroker<DescribeAclsBody>(bootstrap, 29, 1, { resourceTypeFilter: 2, resourceNameFilter: topic, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 });

test('an ACL created on one broker is enforced on the others, and its deletion too', async () => {
  const cluster = await startCluster({
    brokers: 3,
    config: {
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'allow.everyone.if.no.acl.found': 'true',
      'replica.fetch.wait.max.ms': '100',
      'controlled.shutdown.retry.backoff.ms': '100',
    },
  });
  try {
    const [b1, b2, b3] = cluster.bootstrap.split(',');
    // The brokers' own principal (ANONYMOUS here) needs everything on the cluster once the cluster has ACLs.
    const cluster1 = await askBroker<CreateAclsBody>(b1, 30, 1, createAcl(4, 'kafka-cluster', 2, 3));
    assert.deepEqual(cluster1.results.map((r) => r.errorCode), [0]);

    const kafka = new Kafka({ brokers: [b1, b2, b3], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
    const admin = kafka.admin();
    await admin.connect();
    try {
      assert.equal(await admin.createTopics({ topics: [{ topic: 'secret', numPartitions: 3, replicationFactor: 3 }, { topic: 'open', numPartitions: 1, replicationFactor: 3 }] }), true);
    } finally {
      await admin.disconnect();
    }
    for (const b of [b1, b2, b3]) await waitUntil(`${b} serves secret`, async () => (await topicError(b, 'secret')) === ErrorCode.NONE);

    // The same DENY through broker 2 and broker 3 at once: one ACL (the same key, written twice).
    const [deny2, deny3] = await Promise.all([askBroker<CreateAclsBody>(b2, 30, 1, createAcl(2, 'secret', 2, 2)), askBroker<CreateAclsBody>(b3, 30, 1, createAcl(2, 'secret', 2, 2))]);
    assert.deepEqual([...deny2.results, ...deny3.results].map((r) => r.errorCode), [0, 0]);

    for (const b of [b1, b2, b3]) await waitUntil(`${b} refuses secret`, async () => (await topicError(b, 'secret')) === ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    for (const b of [b1, b2, b3]) {
      const described = await describeTopicAcls(b, 'secret');
      assert.deepEqual(described.resources, [{ resourceType: 2, resourceName: 'secret', patternType: 3, acls: [{ principal: ANON, host: '*', operation: 2, permissionType: 2 }] }], `broker ${b} holds one DENY`);
    }
    // A produce to the refused topic fails wherever its leaders are; the open topic (no ACL) replicates and takes writes.
    const producer = kafka.producer({ retry: { retries: 0 } });
    await producer.connect();
    try {
      await assert.rejects(producer.send({ topic: 'secret', messages: [{ value: 'x' }] }), (err: Error & { type?: string }) => /TOPIC_AUTHORIZATION_FAILED|authorized/i.test(`${err.type ?? ''} ${err.message}`));
      await producer.send({ topic: 'open', acks: -1, messages: [{ value: 'replicated' }] });
    } finally {
      await producer.disconnect();
    }

    const removed = await askBroker<DeleteAclsBody>(b3, 31, 1, { filters: [{ resourceTypeFilter: 2, resourceNameFilter: 'secret', patternTypeFilter: 3, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 }] });
    assert.deepEqual(removed.filterResults.map((r) => [r.errorCode, r.matchingAcls.length]), [[0, 1]]);
    for (const b of [b1, b2, b3]) await waitUntil(`${b} serves secret again`, async () => (await topicError(b, 'secret')) === ErrorCode.NONE);
  } finally {
    await cluster.stop();
  }
});
