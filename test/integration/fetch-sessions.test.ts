// Fetch sessions (KIP-227) and long polling on the wire: a full fetch opens a session, incremental
// fetches name only what changed and get only partitions with news, epochs are checked.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { kcat } from '../helpers/kcat.js';
import type { FetchResponse, FetchRequestInput, ListOffsetsResponse } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { batchesIn } from '../../src/protocol/records/batch-records.js';

let broker: RunningBroker;
let client: RawClient;
let correlation = 100;

before(async () => {
  broker = await startBroker({ port: 0, config: { 'num.partitions': '2' } });
  await kcat(['-b', broker.bootstrap, '-P', '-t', 'sessions', '-p', '0'], 'a\nb\n');
  await kcat(['-b', broker.bootstrap, '-P', '-t', 'sessions', '-p', '1'], 'c\n');
  client = await RawClient.open(broker.bootstrap);
});
after(async () => {
  client.close();
  await broker.stop();
});

async function fetch(body: Partial<FetchRequestInput>): Promise<FetchResponse> {
  const request: FetchRequestInput = { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [], forgottenTopicsData: [], rackId: '', ...body };
  client.sendRequest(1, 12, correlation++, request);
  return (await client.response(1, 12))?.body as FetchResponse;
}

const part = (partition: number, fetchOffset: bigint) => ({ partition, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 });
const records = (r: FetchResponse) => r.responses.flatMap((t) => t.partitions.map((p) => [p.partitionIndex, [...batchesIn(p.records ?? Buffer.alloc(0))].reduce((n, v) => n + v.recordCount, 0), Number(p.highWatermark)]));

test('a session is opened by a full fetch, then incremental fetches carry only changes', async () => {
  const full = await fetch({ sessionId: 0, sessionEpoch: 0, topics: [{ topic: 'sessions', partitions: [part(0, 0n), part(1, 0n)] }] });
  assert.equal(full.errorCode, 0);
  assert.ok(full.sessionId > 0);
  assert.deepEqual(records(full), [[0, 2, 2], [1, 1, 1]]);
  // Epoch 1: positions moved to the end of both partitions; nothing new there yet.
  const inc1 = await fetch({ sessionId: full.sessionId, sessionEpoch: 1, topics: [{ topic: 'sessions', partitions: [part(0, 2n), part(1, 1n)] }] });
  assert.equal(inc1.errorCode, 0);
  assert.deepEqual(records(inc1), [], 'nothing changed: the answer names no partition');
  await kcat(['-b', broker.bootstrap, '-P', '-t', 'sessions', '-p', '1'], 'd\n');
  const inc2 = await fetch({ sessionId: full.sessionId, sessionEpoch: 2 });
  assert.deepEqual(records(inc2), [[1, 1, 2]], 'only the partition with a new record is in the answer');
  assert.equal((await fetch({ sessionId: full.sessionId, sessionEpoch: 2 })).errorCode, ErrorCode.INVALID_FETCH_SESSION_EPOCH);
  assert.equal((await fetch({ sessionId: 123456, sessionEpoch: 1 })).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  // Forgetting partition 0 and advancing partition 1: new data on 0 is no longer reported.
  await kcat(['-b', broker.bootstrap, '-P', '-t', 'sessions', '-p', '0'], 'e\n');
  const inc3 = await fetch({ sessionId: full.sessionId, sessionEpoch: 3, topics: [{ topic: 'sessions', partitions: [part(1, 2n)] }], forgottenTopicsData: [{ topic: 'sessions', partitions: [0] }] });
  assert.deepEqual(records(inc3), []);
  const closed = await fetch({ sessionId: full.sessionId, sessionEpoch: -1, topics: [{ topic: 'sessions', partitions: [part(0, 2n)] }] });
  assert.equal(closed.sessionId, 0);
  assert.deepEqual(records(closed), [[0, 1, 3]]);
  assert.equal((await fetch({ sessionId: full.sessionId, sessionEpoch: 4 })).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND, 'a closed session is gone');
});

test('a long poll waits for min_bytes and answers as soon as data arrives; out-of-range offsets are errors', async () => {
  const list = await (async () => {
    client.sendRequest(2, 5, correlation++, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'sessions', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }] });
    return (await client.response(2, 5))?.body as ListOffsetsResponse;
  })();
  const end = list.topics[0].partitions[0].offset;
  const waiting = fetch({ maxWaitMs: 10_000, minBytes: 1, topics: [{ topic: 'sessions', partitions: [part(0, end)] }] });
  await new Promise((r) => setTimeout(r, 200));
  await kcat(['-b', broker.bootstrap, '-P', '-t', 'sessions', '-p', '0'], 'late\n');
  const answered = await waiting;
  assert.deepEqual(records(answered), [[0, 1, Number(end) + 1]], 'the fetch returned with the new record, long before its 10 s wait');
  const far = await fetch({ topics: [{ topic: 'sessions', partitions: [part(0, 1000n)] }] });
  assert.equal(far.responses[0].partitions[0].errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
  const unknown = await fetch({ topics: [{ topic: 'no-such-topic', partitions: [part(0, 0n)] }] });
  assert.equal(unknown.responses[0].partitions[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
});

test('the broker\'s fetch.max.bytes bounds an answer whatever the client asks', async () => {
  const small = await startBroker({ port: 0, config: { 'fetch.max.bytes': '4096' } });
  try {
    for (let i = 0; i < 10; i++) await kcat(['-b', small.bootstrap, '-P', '-t', 'big'], `${'x'.repeat(1000)}${i}\n`);
    const raw = await RawClient.open(small.bootstrap);
    raw.sendRequest(1, 12, 1, {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 2 ** 31 - 1, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: 'big', partitions: [{ ...part(0, 0n), partitionMaxBytes: 2 ** 31 - 1 }] }], forgottenTopicsData: [], rackId: '',
    });
    const res = (await raw.response(1, 12))?.body as FetchResponse;
    const bytes = res.responses[0].partitions[0].records?.length ?? 0;
    assert.ok(bytes > 0 && bytes <= 4096, `${bytes} bytes returned`);
    raw.close();
  } finally {
    await small.stop();
  }
});
