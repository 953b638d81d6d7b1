// The lowest versions clients that never send ApiVersions pin (Sarama 1.22, kafka-go 0.2,
// kafka-python with api_version set, librdkafka with api.version.request=false), sent as raw
// frames and checked field by field: ListOffsets v0, Metadata v0/v1, CreateTopics v0,
// OffsetCommit v0/v1 with OffsetFetch v0/v1, JoinGroup v0 with SyncGroup/Heartbeat/LeaveGroup v0.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { kcat } from '../helpers/kcat.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type {
  CreateTopicsResponse,
  HeartbeatResponse,
  JoinGroupResponse,
  LeaveGroupResponse,
  ListOffsetsResponse,
  MetadataResponse,
  OffsetCommitResponse,
  OffsetFetchResponse,
  SyncGroupResponse,
} from '../../src/protocol/generated/index.js';

/** A single broker is node 1 unless told otherwise. */
const NODE = 1;
let broker: RunningBroker;
let raw: RawClient;
let correlation = 1;

async function call<T>(apiKey: number, version: number, body: unknown): Promise<T> {
  const id = correlation++;
  raw.sendRequest(apiKey, version, id, body);
  const answer = await raw.response(apiKey, version);
  assert.equal(answer?.correlationId, id, `API ${apiKey} v${version} is answered`);
  return answer?.body as T;
}

before(async () => {
  broker = await startBroker({ port: 0, config: { 'auto.create.topics.enable': 'false', 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '1' } });
  raw = await RawClient.open(broker.bootstrap);
});
after(async () => {
  raw.close();
  await broker.stop();
});

test('CreateTopics v0 creates, and answers TOPIC_ALREADY_EXISTS the second time; Metadata v0 and v1 describe the topic', async () => {
  const create = { topics: [{ name: 'old-v0', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 };
  const first = await call<CreateTopicsResponse>(19, 0, create);
  assert.deepEqual(first.topics.map((t) => [t.name, t.errorCode]), [['old-v0', ErrorCode.NONE]]);
  const second = await call<CreateTopicsResponse>(19, 0, create);
  assert.deepEqual(second.topics.map((t) => [t.name, t.errorCode]), [['old-v0', ErrorCode.TOPIC_ALREADY_EXISTS]]);

  const v0 = await call<MetadataResponse>(3, 0, { topics: [{ name: 'old-v0' }] });
  assert.deepEqual(v0.brokers.map((b) => b.nodeId), [NODE]);
  assert.deepEqual(v0.topics.map((t) => [t.name, t.errorCode, t.partitions.map((p) => [p.partitionIndex, p.leaderId, p.replicaNodes])]), [['old-v0', 0, [[0, NODE, [NODE]], [1, NODE, [NODE]]]]]);
  // v0: an empty list means every topic.
  const all = await call<MetadataResponse>(3, 0, { topics: [] });
  assert.ok(all.topics.some((t) => t.name === 'old-v0'));
  // v1: the controller and is_internal; null is every topic, an empty list none.
  const v1 = await call<MetadataResponse>(3, 1, { topics: null });
  assert.equal(v1.controllerId, NODE);
  assert.deepEqual(v1.topics.filter((t) => t.name === 'old-v0').map((t) => [t.isInternal, t.partitions.length]), [[false, 2]]);
  assert.deepEqual((await call<MetadataResponse>(3, 1, { topics: [] })).topics, []);
  assert.deepEqual((await call<MetadataResponse>(3, 1, { topics: [{ name: 'missing' }] })).topics.map((t) => [t.name, t.errorCode]), [['missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
});

test('ListOffsets v0 answers old_style_offsets: latest, earliest, several, none before the log was written', async () => {
  const p = await kcat(['-b', broker.bootstrap, '-P', '-t', 'old-v0', '-p', '0'], 'a\nb\nc\n');
  assert.equal(p.code, 0, p.stderr);
  const list = async (timestamp: bigint, maxNumOffsets: number, topic = 'old-v0') => (await call<ListOffsetsResponse>(2, 0, { replicaId: -1, topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp, maxNumOffsets }] }] })).topics[0].partitions[0];
  const pick = (r: Awaited<ReturnType<typeof list>>) => [r.errorCode, r.oldStyleOffsets];
  assert.deepEqual(pick(await list(-1n, 1)), [0, [3n]]);
  assert.deepEqual(pick(await list(-2n, 1)), [0, [0n]]);
  assert.deepEqual(pick(await list(-1n, 10)), [0, [3n, 0n]], 'the log end, then the one segment\'s start');
  assert.deepEqual(pick(await list(BigInt(Date.now() + 3_600_000), 1)), [0, [3n]]);
  assert.deepEqual(pick(await list(1n, 10)), [0, []], 'no segment was written before 1970');
  // Special timestamps newer than v0 (-3 max timestamp) are refused, as Kafka does.
  assert.deepEqual(pick(await list(-3n, 1)), [ErrorCode.UNSUPPORTED_VERSION, []]);
  assert.deepEqual(pick(await list(-1n, 1, 'missing')), [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, []]);
  // The empty partition 1: its start and end are both 0.
  const empty = (await call<ListOffsetsResponse>(2, 0, { replicaId: -1, topics: [{ name: 'old-v0', partitions: [{ partitionIndex: 1, timestamp: -1n, maxNumOffsets: 5 }] }] })).topics[0].partitions[0];
  assert.deepEqual([empty.errorCode, empty.oldStyleOffsets], [0, [0n]]);
});

test('OffsetCommit v0 and v1 store offsets that OffsetFetch v0 and v1 read back, metadata included', async () => {
  await call(10, 0, { key: 'old-commits' });
  const commitV0 = await call<OffsetCommitResponse>(8, 0, { groupId: 'old-commits', topics: [{ name: 'old-v0', partitions: [{ partitionIndex: 0, committedOffset: 2n, committedMetadata: 'v0 meta' }] }] });
  assert.deepEqual(commitV0.topics.map((t) => t.partitions.map((p) => p.errorCode)), [[0]]);
  // v1: generation -1 and no member id commit for a group without members; it carries a timestamp.
  const commitV1 = await call<OffsetCommitResponse>(8, 1, { groupId: 'old-commits', generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: 'old-v0', partitions: [{ partitionIndex: 1, committedOffset: 0n, commitTimestamp: -1n, committedMetadata: null }, { partitionIndex: 9, committedOffset: 1n, commitTimestamp: -1n, committedMetadata: null }] }] });
  assert.deepEqual(commitV1.topics.map((t) => t.partitions.map((p) => [p.partitionIndex, p.errorCode])), [[[1, 0], [9, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]]);
  for (const version of [0, 1]) {
    const fetched = await call<OffsetFetchResponse>(9, version, { groupId: 'old-commits', topics: [{ name: 'old-v0', partitionIndexes: [0, 1] }] });
    assert.deepEqual(fetched.topics.map((t) => t.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.metadata, p.errorCode])), [[[0, 2n, 'v0 meta', 0], [1, 0n, '', 0]]], `OffsetFetch v${version}`);
  }
});

test('JoinGroup v0 (the session timeout is the rebalance timeout), SyncGroup, Heartbeat and LeaveGroup v0', async () => {
  await call(10, 0, { key: 'old-group' });
  const metadata = Buffer.from([0, 0, 0, 0, 0, 1, 0, 6, ...Buffer.from('old-v0'), 0, 0, 0, 0]);
  const join = await call<JoinGroupResponse>(11, 0, { groupId: 'old-group', sessionTimeoutMs: 10_000, memberId: '', protocolType: 'consumer', protocols: [{ name: 'range', metadata }] });
  assert.equal(join.errorCode, ErrorCode.NONE);
  assert.equal(join.generationId, 1);
  assert.equal(join.protocolName, 'range');
  assert.equal(join.leader, join.memberId);
  assert.deepEqual(join.members.map((m) => [m.memberId, m.metadata]), [[join.memberId, metadata]]);
  const assignment = Buffer.from('assigned');
  const sync = await call<SyncGroupResponse>(14, 0, { groupId: 'old-group', generationId: 1, memberId: join.memberId, assignments: [{ memberId: join.memberId, assignment }] });
  assert.deepEqual([sync.errorCode, sync.assignment], [0, assignment]);
  assert.equal((await call<HeartbeatResponse>(12, 0, { groupId: 'old-group', generationId: 1, memberId: join.memberId })).errorCode, 0);
  assert.equal((await call<HeartbeatResponse>(12, 0, { groupId: 'old-group', generationId: 2, memberId: join.memberId })).errorCode, ErrorCode.ILLEGAL_GENERATION);
  assert.equal((await call<LeaveGroupResponse>(13, 0, { groupId: 'old-group', memberId: join.memberId })).errorCode, 0);
  assert.equal((await call<HeartbeatResponse>(12, 0, { groupId: 'old-group', generationId: 1, memberId: join.memberId })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
});
