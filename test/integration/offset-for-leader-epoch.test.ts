// OffsetForLeaderEpoch (key 23) against a real broker with raw frames: Kafka's answers per
// partition for each version 0-4, as a follower (replica_id >= 0) and a consumer (-1) ask it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { RawAdmin } from '../helpers/raw-admin.js';
import { kcat } from '../helpers/kcat.js';
import type { ApiVersionsResponse, OffsetForLeaderEpochRequestInput, OffsetForLeaderEpochResponse } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';

const API_KEY = 23;
let broker: RunningBroker;
let client: RawClient;
let correlation = 1;

before(async () => {
  broker = await startBroker({ port: 0 });
  // Three records in three batches, all written at the broker's leader epoch 0.
  for (const v of ['a', 'b', 'c']) await kcat(['-b', broker.bootstrap, '-P', '-t', 'epochs'], `${v}\n`);
  const admin = await RawAdmin.open(broker.bootstrap);
  assert.equal((await admin.createTopic('empty-epochs', 1)).errorCode, ErrorCode.NONE);
  admin.close();
  client = await RawClient.open(broker.bootstrap);
});
after(async () => {
  client.close();
  await broker.stop();
});

type Asked = { partition: number; currentLeaderEpoch?: number; leaderEpoch: number };

async function ask(topics: { topic: string; partitions: Asked[] }[], version = 4, replicaId = -1): Promise<OffsetForLeaderEpochResponse> {
  const body: OffsetForLeaderEpochRequestInput = { replicaId, topics };
  client.sendRequest(API_KEY, version, correlation++, body);
  const answer = await client.response(API_KEY, version);
  assert.ok(answer, 'the broker answered');
  return answer.body as OffsetForLeaderEpochResponse;
}

const one = async (asked: Asked, version = 4, topic = 'epochs', replicaId = -1) => {
  const r = await ask([{ topic, partitions: [asked] }], version, replicaId);
  const p = r.topics[0].partitions[0];
  return { errorCode: p.errorCode, leaderEpoch: p.leaderEpoch, endOffset: Number(p.endOffset) };
};

test('ApiVersions advertises OffsetForLeaderEpoch 0-4, as Kafka 3.x does', async () => {
  client.sendRequest(18, 3, correlation++, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
  const versions = (await client.response(18, 3))?.body as ApiVersionsResponse;
  const entry = versions.apiKeys.find((k) => k.apiKey === API_KEY);
  assert.deepEqual(entry && [entry.minVersion, entry.maxVersion], [0, 4]);
});

test('the current epoch ends at the log end; an epoch above every known one, or -1, is undefined', async () => {
  assert.deepEqual(await one({ partition: 0, leaderEpoch: 0 }), { errorCode: ErrorCode.NONE, leaderEpoch: 0, endOffset: 3 });
  assert.deepEqual(await one({ partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0 }), { errorCode: ErrorCode.NONE, leaderEpoch: 0, endOffset: 3 });
  assert.deepEqual(await one({ partition: 0, leaderEpoch: 4 }), { errorCode: ErrorCode.NONE, leaderEpoch: -1, endOffset: -1 });
  assert.deepEqual(await one({ partition: 0, leaderEpoch: -1 }), { errorCode: ErrorCode.NONE, leaderEpoch: -1, endOffset: -1 });
  // A partition with no record yet: its current epoch still begins (and ends) at the log end.
  assert.deepEqual(await one({ partition: 0, leaderEpoch: 0 }, 4, 'empty-epochs'), { errorCode: ErrorCode.NONE, leaderEpoch: 0, endOffset: 0 });
});

test('current_leader_epoch fences: newer than the broker\'s is UNKNOWN_LEADER_EPOCH, older is FENCED_LEADER_EPOCH', async () => {
  assert.deepEqual(await one({ partition: 0, currentLeaderEpoch: 1, leaderEpoch: 0 }), { errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH, leaderEpoch: -1, endOffset: -1 });
  assert.deepEqual(await one({ partition: 0, currentLeaderEpoch: 1, leaderEpoch: 1 }), { errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH, leaderEpoch: -1, endOffset: -1 });
  // The broker's epoch is 0, so "older" can only be a negative epoch other than -1; Kafka fences it too.
  assert.deepEqual(await one({ partition: 0, currentLeaderEpoch: -2, leaderEpoch: 0 }), { errorCode: ErrorCode.FENCED_LEADER_EPOCH, leaderEpoch: -1, endOffset: -1 });
});

test('an unknown topic or partition is UNKNOWN_TOPIC_OR_PARTITION, per partition, beside answered ones', async () => {
  const r = await ask([
    { topic: 'epochs', partitions: [{ partition: 0, leaderEpoch: 0 }, { partition: 9, leaderEpoch: 0 }] },
    { topic: 'no-such-topic', partitions: [{ partition: 0, leaderEpoch: 0 }] },
  ]);
  assert.deepEqual(
    r.topics.map((t) => [t.topic, t.partitions.map((p) => [p.partition, p.errorCode, p.leaderEpoch, Number(p.endOffset)])]),
    [
      ['epochs', [[0, ErrorCode.NONE, 0, 3], [9, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1]]],
      ['no-such-topic', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1]]],
    ],
  );
});

test('every version answers alike (v0-1 carry no current epoch, v0 no epoch in the answer); a follower gets what a consumer gets', async () => {
  for (const version of [0, 1, 2, 3, 4]) {
    const got = await one({ partition: 0, currentLeaderEpoch: version >= 2 ? 0 : -1, leaderEpoch: 0 }, version);
    assert.deepEqual(got, { errorCode: ErrorCode.NONE, leaderEpoch: version === 0 ? -1 : 0, endOffset: 3 }, `v${version}`);
  }
  // Kafka does not cap a consumer's answer at the high watermark, nor treat a follower differently.
  assert.deepEqual(await one({ partition: 0, leaderEpoch: 0 }, 3, 'epochs', 1), await one({ partition: 0, leaderEpoch: 0 }, 3, 'epochs', -1));
});
