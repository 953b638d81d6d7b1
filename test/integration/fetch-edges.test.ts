// Fetch's per-partition errors and odd limits, as Kafka answers them: leader epochs, offsets
// outside the log, unknown topic ids (v13+), and negative or huge max_bytes / max_wait_ms.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { kcat } from '../helpers/kcat.js';
import type { DeleteRecordsResponse, FetchRequestInput, FetchResponse, MetadataResponse } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { batchesIn } from '../../src/protocol/records/batch-records.js';

let broker: RunningBroker;
let client: RawClient;
let correlation = 1;

before(async () => {
  broker = await startBroker({ port: 0 });
  // Offsets 0..3 in four batches; DeleteRecords then moves the log start to 1.
  for (const v of ['a', 'b', 'c', 'd']) await kcat(['-b', broker.bootstrap, '-P', '-t', 'edges'], `${v}\n`);
  client = await RawClient.open(broker.bootstrap);
  client.sendRequest(21, 2, correlation++, { topics: [{ name: 'edges', partitions: [{ partitionIndex: 0, offset: 1n }] }], timeoutMs: 1000 });
  const deleted = (await client.response(21, 2))?.body as DeleteRecordsResponse;
  assert.equal(deleted.topics[0].partitions[0].lowWatermark, 1n);
});
after(async () => {
  client.close();
  await broker.stop();
});

const part = (fetchOffset: bigint, over: object = {}) => ({ partition: 0, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20, ...over });

async function fetch(body: Partial<FetchRequestInput>, version = 12): Promise<FetchResponse> {
  const request: FetchRequestInput = { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [], forgottenTopicsData: [], rackId: '', ...body };
  client.sendRequest(1, version, correlation++, request);
  const answer = await client.response(1, version);
  assert.ok(answer, 'the broker answered');
  return answer.body as FetchResponse;
}

const one = async (p: ReturnType<typeof part>) => (await fetch({ topics: [{ topic: 'edges', partitions: [p] }] })).responses[0].partitions[0];
const recordCount = (records: Buffer | null) => [...batchesIn(records ?? Buffer.alloc(0))].reduce((n, v) => n + v.recordCount, 0);

test('current_leader_epoch: -1 is not checked, the broker\'s epoch reads, a newer one is UNKNOWN_LEADER_EPOCH, an older one FENCED_LEADER_EPOCH', async () => {
  assert.equal((await one(part(1n))).errorCode, ErrorCode.NONE);
  assert.equal((await one(part(1n, { currentLeaderEpoch: 0 }))).errorCode, ErrorCode.NONE);
  assert.equal((await one(part(1n, { currentLeaderEpoch: 5 }))).errorCode, ErrorCode.UNKNOWN_LEADER_EPOCH);
  // The broker's epoch is 0, so "older" can only be a negative epoch other than -1; Kafka fences it too.
  assert.equal((await one(part(1n, { currentLeaderEpoch: -2 }))).errorCode, ErrorCode.FENCED_LEADER_EPOCH);
});

test('fetch offsets below the log start or past the log end are OFFSET_OUT_OF_RANGE; the log end itself answers empty', async () => {
  const below = await one(part(0n));
  assert.equal(below.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
  assert.equal(recordCount(below.records), 0);
  const start = await one(part(1n));
  assert.equal(start.errorCode, ErrorCode.NONE);
  assert.equal(start.logStartOffset, 1n);
  assert.equal(start.highWatermark, 4n);
  assert.equal(recordCount(start.records), 3, 'offsets 1, 2 and 3');
  const end = await one(part(4n));
  assert.equal(end.errorCode, ErrorCode.NONE);
  assert.equal(recordCount(end.records), 0);
  assert.equal((await one(part(5n))).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
  assert.equal((await one(part(-1n))).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
});

test('v13+: a known topic id reads; unknown ids are UNKNOWN_TOPIC_ID each under its own id, also in a session', async () => {
  client.sendRequest(3, 12, correlation++, { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'edges' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  const topicId = ((await client.response(3, 12))?.body as MetadataResponse).topics[0].topicId;
  const unknownA = 'AAAAAAAAAAAAAAAAAAAAAQ';
  const unknownB = 'AAAAAAAAAAAAAAAAAAAAAg';
  const res = await fetch(
    {
      sessionId: 0,
      sessionEpoch: 0,
      topics: [
        { topicId, partitions: [part(1n)] },
        { topicId: unknownA, partitions: [part(0n)] },
        { topicId: unknownB, partitions: [part(0n)] },
      ],
    },
    13,
  );
  assert.equal(res.errorCode, ErrorCode.NONE);
  assert.deepEqual(
    res.responses.map((t) => [t.topicId, t.partitions[0].errorCode, recordCount(t.partitions[0].records)]),
    [
      [topicId, ErrorCode.NONE, 3],
      [unknownA, ErrorCode.UNKNOWN_TOPIC_ID, 0],
      [unknownB, ErrorCode.UNKNOWN_TOPIC_ID, 0],
    ],
  );
  assert.ok(res.sessionId > 0);
  const incremental = await fetch({ sessionId: res.sessionId, sessionEpoch: 1, topics: [{ topicId, partitions: [part(4n)] }] }, 13);
  assert.deepEqual(
    incremental.responses.map((t) => [t.topicId, t.partitions[0].errorCode]),
    [
      [unknownA, ErrorCode.UNKNOWN_TOPIC_ID],
      [unknownB, ErrorCode.UNKNOWN_TOPIC_ID],
    ],
    'errors are news in every incremental answer; the known partition at its end has none',
  );
  // A session opened by name (v12) cannot go on by id (v13), and the other way round.
  assert.equal((await fetch({ sessionId: res.sessionId, sessionEpoch: 2 }, 12)).errorCode, ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
  // Before v13 a topic is named: an unknown name, even an empty one, is UNKNOWN_TOPIC_OR_PARTITION.
  const byName = await fetch({ topics: [{ topic: '', partitions: [part(0n)] }] });
  assert.equal(byName.responses[0].partitions[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
});

test('negative max_wait_ms answers at once; negative max_bytes and partition_max_bytes still return one whole batch (KIP-74)', async () => {
  const waitLess = await fetch({ maxWaitMs: -5, minBytes: 1, topics: [{ topic: 'edges', partitions: [part(4n)] }] });
  assert.equal(waitLess.responses[0].partitions[0].errorCode, ErrorCode.NONE);
  assert.equal(recordCount(waitLess.responses[0].partitions[0].records), 0);
  const tiny = await fetch({ maxBytes: -1, topics: [{ topic: 'edges', partitions: [part(1n, { partitionMaxBytes: -100 })] }] });
  assert.equal(tiny.responses[0].partitions[0].errorCode, ErrorCode.NONE);
  assert.equal(recordCount(tiny.responses[0].partitions[0].records), 1, 'the first batch only');
});

test('max_wait_ms 2^31-1 with min_bytes never reached is answered within connections.max.idle.ms, not held for 24 days', async () => {
  // The raw client gives up after 5 s; connections.max.idle.ms is 300 ms on this broker.
  const idle = await startBroker({ port: 0, config: { 'connections.max.idle.ms': '300' } });
  await kcat(['-b', idle.bootstrap, '-P', '-t', 'still'], 'only\n');
  const c = await RawClient.open(idle.bootstrap);
  try {
    c.sendRequest(1, 12, 1, {
      replicaId: -1, maxWaitMs: 2 ** 31 - 1, minBytes: 2 ** 31 - 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: 'still', partitions: [part(1n)] }], forgottenTopicsData: [], rackId: '',
    });
    const held = (await c.response(1, 12))?.body as FetchResponse | undefined;
    assert.ok(held, 'answered before the client gave up');
    assert.equal(held.errorCode, ErrorCode.NONE);
    assert.equal(held.responses[0].partitions[0].errorCode, ErrorCode.NONE);
    assert.equal(recordCount(held.responses[0].partitions[0].records), 0);
  } finally {
    c.close();
    await idle.stop();
  }
});

test('a long poll stops waiting when its client disconnects (no timer or listener held for the rest of max_wait_ms)', async () => {
  const b = await startBroker({ port: 0 });
  await kcat(['-b', b.bootstrap, '-P', '-t', 'gone'], 'only\n');
  const c = await RawClient.open(b.bootstrap);
  try {
    c.sendRequest(1, 12, 1, {
      replicaId: -1, maxWaitMs: 600_000, minBytes: 1 << 20, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: 'gone', partitions: [part(1n)] }], forgottenTopicsData: [], rackId: '',
    });
    // Bounded waits for the broker to reach each state; what is asserted is the count, not a time.
    const until = async (what: string, ok: () => boolean) => {
      for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(ok(), what);
    };
    await until('the fetch waits for data', () => b.waitingFetches() === 1);
    c.close();
    await until('the fetch stopped waiting once its connection closed', () => b.waitingFetches() === 0);
  } finally {
    c.close();
    await b.stop();
  }
});

test('zstd batches: Fetch below v10 answers UNSUPPORTED_COMPRESSION_TYPE (KIP-110), v10+ reads them', async () => {
  const { buildBatch } = await import('../../src/protocol/records/batch-records.js');
  const { CompressionType } = await import('../../src/protocol/records/record-batch.js');
  const b = await startBroker({ port: 0 });
  const c = await RawClient.open(b.bootstrap);
  try {
    await kcat(['-b', b.bootstrap, '-L', '-t', 'zstd-old']);
    const records = await buildBatch([{ key: null, value: Buffer.from('squeezed'), timestamp: Date.now() }], { compression: CompressionType.Zstd });
    c.sendRequest(0, 9, 1, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'zstd-old', partitionData: [{ index: 0, records }] }] });
    assert.ok(await c.response(0, 9));
    const fetchAt = async (version: number) => {
      c.sendRequest(1, version, 2, {
        replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic: 'zstd-old', partitions: [part(0n)] }], forgottenTopicsData: [], rackId: '',
      });
      return ((await c.response(1, version))?.body as FetchResponse).responses[0].partitions[0];
    };
    const old = await fetchAt(9);
    assert.equal(old.errorCode, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    assert.equal(recordCount(old.records), 0);
    const modern = await fetchAt(10);
    assert.equal(modern.errorCode, ErrorCode.NONE);
    assert.equal(recordCount(modern.records), 1);
  } finally {
    c.close();
    await b.stop();
  }
});
