// Every API the broker serves, called by a principal with no ACL at all (User:ANONYMOUS, the
// authorizer on, allow.everyone.if.no.acl.found=false): each is refused with Kafka's
// authorization error for what it names (TOPIC_, GROUP_, CLUSTER_ or TRANSACTIONAL_ID_
// AUTHORIZATION_FAILED), or, where Kafka filters instead of refusing, answers nothing it may not
// see. The table must name every registered API: a new handler without a row fails this test.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { supportedApis } from '../../src/api/registry.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
const T = 'acl-t';
const G = 'acl-g';
const TX = 'acl-tx';
const { TOPIC_AUTHORIZATION_FAILED: TOPIC, GROUP_AUTHORIZATION_FAILED: GROUP, CLUSTER_AUTHORIZATION_FAILED: CLUSTER, TRANSACTIONAL_ID_AUTHORIZATION_FAILED: TXN } = ErrorCode;

interface Attempt {
  readonly what: string;
  readonly apiKey: number;
  readonly version: number;
  readonly body: unknown;
  /** The non-zero error codes every attempt must answer (as a set), or a check of the answer (filtering APIs). */
  readonly refusedWith: readonly number[] | ((body: Record<string, unknown>) => void);
}

const aclFilter = { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 };
const offsetPartition = { partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, committedMetadata: null };

const ATTEMPTS: readonly Attempt[] = [
  { what: 'Produce', apiKey: 0, version: 9, body: { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: T, partitionData: [{ index: 0, records: null }] }] }, refusedWith: [TOPIC] },
  { what: 'Produce, transactional', apiKey: 0, version: 9, body: { transactionalId: TX, acks: 1, timeoutMs: 1000, topicData: [{ name: T, partitionData: [{ index: 0, records: null }] }] }, refusedWith: [TXN] },
  {
    what: 'Fetch, consumer',
    apiKey: 1,
    version: 12,
    body: { replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1000, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: T, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1000, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1n }] }], forgottenTopicsData: [], rackId: '' },
    refusedWith: [TOPIC],
  },
  {
    what: 'Fetch, follower (needs CLUSTER_ACTION)',
    apiKey: 1,
    version: 12,
    body: { replicaId: 2, maxWaitMs: 0, minBytes: 1, maxBytes: 1000, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: T, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1000, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1n }] }], forgottenTopicsData: [], rackId: '' },
    refusedWith: [TOPIC],
  },
  { what: 'ListOffsets', apiKey: 2, version: 7, body: { replicaId: -1, isolationLevel: 0, topics: [{ name: T, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }] }, refusedWith: [TOPIC] },
  { what: 'Metadata, a named topic (auto-creation on)', apiKey: 3, version: 12, body: { topics: [{ topicId: ZERO_UUID, name: T }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false }, refusedWith: [TOPIC] },
  { what: 'Metadata, all topics: none visible', apiKey: 3, version: 12, body: { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }, refusedWith: (b) => assert.deepEqual(b.topics, []) },
  { what: 'OffsetCommit', apiKey: 8, version: 8, body: { groupId: G, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: T, partitions: [offsetPartition] }] }, refusedWith: [GROUP] },
  { what: 'OffsetFetch', apiKey: 9, version: 8, body: { groups: [{ groupId: G, topics: null }], requireStable: false }, refusedWith: [GROUP] },
  { what: 'FindCoordinator, group', apiKey: 10, version: 4, body: { keyType: 0, coordinatorKeys: [G] }, refusedWith: [GROUP] },
  { what: 'FindCoordinator, transaction', apiKey: 10, version: 4, body: { keyType: 1, coordinatorKeys: [TX] }, refusedWith: [TXN] },
  { what: 'JoinGroup', apiKey: 11, version: 7, body: { groupId: G, sessionTimeoutMs: 10000, rebalanceTimeoutMs: 10000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] }, refusedWith: [GROUP] },
  { what: 'Heartbeat', apiKey: 12, version: 4, body: { groupId: G, generationId: 1, memberId: 'm', groupInstanceId: null }, refusedWith: [GROUP] },
  { what: 'LeaveGroup', apiKey: 13, version: 4, body: { groupId: G, members: [{ memberId: 'm', groupInstanceId: null }] }, refusedWith: [GROUP] },
  { what: 'SyncGroup', apiKey: 14, version: 5, body: { groupId: G, generationId: 1, memberId: 'm', groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] }, refusedWith: [GROUP] },
  { what: 'DescribeGroups', apiKey: 15, version: 5, body: { groups: [G], includeAuthorizedOperations: false }, refusedWith: [GROUP] },
  { what: 'ListGroups: only describable groups', apiKey: 16, version: 4, body: { statesFilter: [] }, refusedWith: (b) => assert.deepEqual(b.groups, []) },
  { what: 'CreateTopics', apiKey: 19, version: 7, body: { topics: [{ name: T, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false }, refusedWith: [TOPIC] },
  { what: 'DeleteTopics', apiKey: 20, version: 6, body: { topics: [{ name: T, topicId: ZERO_UUID }], timeoutMs: 1000 }, refusedWith: [TOPIC] },
  { what: 'DeleteRecords', apiKey: 21, version: 2, body: { topics: [{ name: T, partitions: [{ partitionIndex: 0, offset: 0n }] }], timeoutMs: 1000 }, refusedWith: [TOPIC] },
  { what: 'InitProducerId, idempotent', apiKey: 22, version: 4, body: { transactionalId: null, transactionTimeoutMs: 1000, producerId: -1n, producerEpoch: -1 }, refusedWith: [CLUSTER] },
  { what: 'InitProducerId, transactional', apiKey: 22, version: 4, body: { transactionalId: TX, transactionTimeoutMs: 1000, producerId: -1n, producerEpoch: -1 }, refusedWith: [TXN] },
  { what: 'OffsetForLeaderEpoch', apiKey: 23, version: 4, body: { replicaId: -1, topics: [{ topic: T, partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }] }, refusedWith: [TOPIC] },
  { what: 'AddPartitionsToTxn v3 (producer)', apiKey: 24, version: 3, body: { v3AndBelowTransactionalId: TX, v3AndBelowProducerId: 1n, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [{ name: T, partitions: [0] }] }, refusedWith: [TXN] },
  { what: 'AddPartitionsToTxn v4 (broker verification)', apiKey: 24, version: 4, body: { transactions: [{ transactionalId: TX, producerId: 1n, producerEpoch: 0, verifyOnly: true, topics: [{ name: T, partitions: [0] }] }] }, refusedWith: [CLUSTER] },
  { what: 'AddOffsetsToTxn', apiKey: 25, version: 3, body: { transactionalId: TX, producerId: 1n, producerEpoch: 0, groupId: G }, refusedWith: [TXN] },
  { what: 'EndTxn', apiKey: 26, version: 3, body: { transactionalId: TX, producerId: 1n, producerEpoch: 0, committed: true }, refusedWith: [TXN] },
  { what: 'WriteTxnMarkers', apiKey: 27, version: 1, body: { markers: [{ producerId: 1n, producerEpoch: 0, transactionResult: true, topics: [{ name: T, partitionIndexes: [0] }], coordinatorEpoch: 0 }] }, refusedWith: [CLUSTER] },
  { what: 'TxnOffsetCommit', apiKey: 28, version: 3, body: { transactionalId: TX, groupId: G, producerId: 1n, producerEpoch: 0, generationId: -1, memberId: '', groupInstanceId: null, topics: [{ name: T, partitions: [offsetPartition] }] }, refusedWith: [TXN] },
  { what: 'DescribeAcls', apiKey: 29, version: 3, body: aclFilter, refusedWith: [CLUSTER] },
  { what: 'CreateAcls', apiKey: 30, version: 3, body: { creations: [{ resourceType: 2, resourceName: T, resourcePatternType: 3, principal: 'User:ANONYMOUS', host: '*', operation: 2, permissionType: 3 }] }, refusedWith: [CLUSTER] },
  { what: 'DeleteAcls', apiKey: 31, version: 3, body: { filters: [aclFilter] }, refusedWith: [CLUSTER] },
  {
    what: 'DescribeConfigs, a topic and a broker',
    apiKey: 32,
    version: 4,
    body: { resources: [{ resourceType: 2, resourceName: T, configurationKeys: null }, { resourceType: 4, resourceName: '1', configurationKeys: null }, { resourceType: 4, resourceName: '', configurationKeys: null }], includeSynonyms: false, includeDocumentation: false },
    refusedWith: [TOPIC, CLUSTER],
  },
  { what: 'AlterConfigs, a topic and a broker', apiKey: 33, version: 2, body: { resources: [{ resourceType: 2, resourceName: T, configs: [{ name: 'retention.ms', value: '1000' }] }, { resourceType: 4, resourceName: '1', configs: [] }], validateOnly: false }, refusedWith: [TOPIC, CLUSTER] },
  { what: 'DescribeLogDirs', apiKey: 35, version: 4, body: { topics: null }, refusedWith: [CLUSTER] },
  { what: 'CreatePartitions', apiKey: 37, version: 3, body: { topics: [{ name: T, count: 2, assignments: null }], timeoutMs: 1000, validateOnly: false }, refusedWith: [TOPIC] },
  { what: 'DeleteGroups', apiKey: 42, version: 2, body: { groupsNames: [G] }, refusedWith: [GROUP] },
  { what: 'ElectLeaders', apiKey: 43, version: 2, body: { electionType: 0, topicPartitions: null, timeoutMs: 1000 }, refusedWith: [CLUSTER] },
  {
    what: 'IncrementalAlterConfigs, a topic and the cluster-wide broker default',
    apiKey: 44,
    version: 1,
    body: { resources: [{ resourceType: 2, resourceName: T, configs: [{ name: 'retention.ms', configOperation: 0, value: '1' }] }, { resourceType: 4, resourceName: '', configs: [{ name: 'log.retention.ms', configOperation: 0, value: '1' }] }], validateOnly: false },
    refusedWith: [TOPIC, CLUSTER],
  },
  { what: 'AlterPartitionReassignments', apiKey: 45, version: 0, body: { timeoutMs: 1000, topics: [{ name: T, partitions: [{ partitionIndex: 0, replicas: [1] }] }] }, refusedWith: [CLUSTER] },
  { what: 'ListPartitionReassignments', apiKey: 46, version: 0, body: { timeoutMs: 1000, topics: null }, refusedWith: [CLUSTER] },
  { what: 'OffsetDelete', apiKey: 47, version: 0, body: { groupId: G, topics: [{ name: T, partitions: [{ partitionIndex: 0 }] }] }, refusedWith: [GROUP] },
  { what: 'DescribeClientQuotas', apiKey: 48, version: 1, body: { components: [], strict: false }, refusedWith: [CLUSTER] },
  { what: 'AlterClientQuotas', apiKey: 49, version: 1, body: { entries: [{ entity: [{ entityType: 'user', entityName: 'x' }], ops: [{ key: 'producer_byte_rate', value: 1024, remove: false }] }], validateOnly: false }, refusedWith: [CLUSTER] },
  { what: 'DescribeUserScramCredentials', apiKey: 50, version: 0, body: { users: null }, refusedWith: [CLUSTER] },
  { what: 'AlterUserScramCredentials', apiKey: 51, version: 0, body: { deletions: [{ name: 'x', mechanism: 1 }], upsertions: [] }, refusedWith: [CLUSTER] },
  { what: 'DescribeCluster: served (as Kafka), with no cluster operations', apiKey: 60, version: 1, body: { includeClusterAuthorizedOperations: true, endpointType: 1 }, refusedWith: (b) => assert.equal(b.clusterAuthorizedOperations, 0) },
  { what: 'DescribeProducers', apiKey: 61, version: 0, body: { topics: [{ name: T, partitionIndexes: [0] }] }, refusedWith: [TOPIC] },
  { what: 'DescribeTransactions', apiKey: 65, version: 0, body: { transactionalIds: [TX] }, refusedWith: [TXN] },
  { what: 'ListTransactions: only describable ids', apiKey: 66, version: 1, body: { stateFilters: [], producerIdFilters: [], durationFilter: -1n }, refusedWith: (b) => assert.deepEqual(b.transactionStates, []) },
];

/** APIs every client may call before and without any right (Kafka checks none for them). */
const UNCHECKED = new Map([
  [17, 'SaslHandshake'],
  [18, 'ApiVersions'],
  [36, 'SaslAuthenticate'],
]);

function errorCodes(value: unknown, out: number[] = []): number[] {
  if (Array.isArray(value)) for (const v of value) errorCodes(v, out);
  else if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const [k, v] of Object.entries(value)) {
      if ((k === 'errorCode' || k.endsWith('ErrorCode')) && typeof v === 'number') out.push(v);
      else errorCodes(v, out);
    }
  }
  return out;
}

let broker: RunningBroker;

before(async () => {
  broker = await startBroker({ port: 0, config: { 'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer', 'allow.everyone.if.no.acl.found': 'false' } });
});
after(async () => {
  await broker?.stop();
});

test('the table names every API the broker serves', () => {
  const covered = new Set([...ATTEMPTS.map((a) => a.apiKey), ...UNCHECKED.keys()]);
  assert.deepEqual(supportedApis().map((a) => a.apiKey).filter((k) => !covered.has(k)), []);
  for (const a of ATTEMPTS) {
    const api = supportedApis().find((s) => s.apiKey === a.apiKey);
    assert.ok(api && a.version >= api.minVersion && a.version <= api.maxVersion, `${a.what} v${a.version} is served`);
  }
});

test(`every API refuses a principal without ACLs (${ATTEMPTS.length} attempts), and the broker keeps serving`, async () => {
  const raw = await RawClient.open(broker.bootstrap);
  let refused = 0;
  try {
    let correlationId = 1;
    for (const a of ATTEMPTS) {
      raw.sendRequest(a.apiKey, a.version, correlationId, a.body);
      const answer = await raw.response(a.apiKey, a.version, 30_000);
      assert.ok(answer, `${a.what}: the broker answered`);
      assert.equal(answer.correlationId, correlationId++);
      const body = answer.body as Record<string, unknown>;
      if (typeof a.refusedWith === 'function') {
        a.refusedWith(body);
      } else {
        const codes = errorCodes(body).filter((c) => c !== ErrorCode.NONE);
        assert.deepEqual([...new Set(codes)].sort(), [...a.refusedWith].sort(), `${a.what}: ${JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`);
      }
      refused++;
    }
    // Still serving: ApiVersions answers.
    raw.sendRequest(18, 3, correlationId, { clientSoftwareName: 'acl-test', clientSoftwareVersion: '1' });
    const versions = await raw.response(18, 3, 10_000);
    assert.equal((versions?.body as { errorCode: number }).errorCode, 0);
  } finally {
    raw.socket.destroy();
  }
  assert.equal(refused, ATTEMPTS.length);
});
