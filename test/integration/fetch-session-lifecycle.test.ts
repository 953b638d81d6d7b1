// KIP-227 session id / epoch combinations on the wire, as Kafka's FetchManager reads them, and the
// bounded session cache. The Java client's FetchSessionHandler sends (session N, epoch 0) after any
// fetch error or reconnect: that must close N and open a new session, not fail again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { kcat } from '../helpers/kcat.js';
import type { FetchResponse, FetchRequestInput } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { batchesIn } from '../../src/protocol/records/batch-records.js';

let broker: RunningBroker;
let client: RawClient;
let correlation = 1;

before(async () => {
  broker = await startBroker({ port: 0, config: { 'num.partitions': '2' } });
  await kcat(['-b', broker.bootstrap, '-P', '-t', 'life', '-p', '0'], 'a\nb\n');
  await kcat(['-b', broker.bootstrap, '-P', '-t', 'life', '-p', '1'], 'c\n');
  client = await RawClient.open(broker.bootstrap);
});
after(async () => {
  client.close();
  await broker.stop();
});

const part = (partition: number, fetchOffset: bigint) => ({ partition, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 });
const both = [{ topic: 'life', partitions: [part(0, 0n), part(1, 0n)] }];

function request(body: Partial<FetchRequestInput>): FetchRequestInput {
  return { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [], forgottenTopicsData: [], rackId: '', ...body };
}

async function fetchOn(c: RawClient, body: Partial<FetchRequestInput>): Promise<FetchResponse> {
  c.sendRequest(1, 12, correlation++, request(body));
  return (await c.response(1, 12))?.body as FetchResponse;
}
const fetch = (body: Partial<FetchRequestInput>) => fetchOn(client, body);

/** [partition, records, high watermark] of every partition in the answer, in order. */
const records = (r: FetchResponse) => r.responses.flatMap((t) => t.partitions.map((p) => [p.partitionIndex, [...batchesIn(p.records ?? Buffer.alloc(0))].reduce((n, v) => n + v.recordCount, 0), Number(p.highWatermark)]));

test('(N, 0) closes session N and opens a new one with a full answer, as after a Java client saw an error', async () => {
  const first = await fetch({ sessionId: 0, sessionEpoch: 0, topics: both });
  assert.equal(first.errorCode, ErrorCode.NONE);
  assert.ok(first.sessionId > 0);
  // The client loses track (a wrong epoch), then does what FetchSessionHandler does: (N, 0) with every partition.
  assert.equal((await fetch({ sessionId: first.sessionId, sessionEpoch: 7 })).errorCode, ErrorCode.INVALID_FETCH_SESSION_EPOCH);
  const reopened = await fetch({ sessionId: first.sessionId, sessionEpoch: 0, topics: both });
  assert.equal(reopened.errorCode, ErrorCode.NONE, 'closing and reopening is not an error');
  assert.ok(reopened.sessionId > 0 && reopened.sessionId !== first.sessionId, 'a new session id');
  assert.deepEqual(records(reopened), [[0, 2, 2], [1, 1, 1]], 'a full answer: every partition');
  assert.equal((await fetch({ sessionId: first.sessionId, sessionEpoch: 1 })).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND, 'the old session is closed');
  const incremental = await fetch({ sessionId: reopened.sessionId, sessionEpoch: 1, topics: [{ topic: 'life', partitions: [part(0, 2n), part(1, 1n)] }] });
  assert.equal(incremental.errorCode, ErrorCode.NONE);
  assert.equal(incremental.sessionId, reopened.sessionId);
  assert.deepEqual(records(incremental), [], 'the new session is incremental from epoch 1');
  // (N, 0) for a session that does not exist (evicted, or another broker's) also just opens one.
  const unknown = await fetch({ sessionId: 987654, sessionEpoch: 0, topics: both });
  assert.equal(unknown.errorCode, ErrorCode.NONE);
  assert.ok(unknown.sessionId > 0);
});

test('(0, -1) and (N, -1) answer in full without a session; (0, k>0) is FETCH_SESSION_ID_NOT_FOUND as in Kafka', async () => {
  const sessionless = await fetch({ sessionId: 0, sessionEpoch: -1, topics: both });
  assert.equal(sessionless.errorCode, ErrorCode.NONE);
  assert.equal(sessionless.sessionId, 0);
  assert.deepEqual(records(sessionless), [[0, 2, 2], [1, 1, 1]]);
  const open = await fetch({ sessionId: 0, sessionEpoch: 0, topics: both });
  const closed = await fetch({ sessionId: open.sessionId, sessionEpoch: -1, topics: [{ topic: 'life', partitions: [part(1, 0n)] }] });
  assert.equal(closed.errorCode, ErrorCode.NONE);
  assert.equal(closed.sessionId, 0);
  assert.deepEqual(records(closed), [[1, 1, 1]], 'exactly the partitions asked for');
  assert.equal((await fetch({ sessionId: open.sessionId, sessionEpoch: 1 })).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  assert.equal((await fetch({ sessionId: 0, sessionEpoch: 3, topics: both })).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
});

test('forgetting every partition ends the session; a later incremental fetch finds no session', async () => {
  const open = await fetch({ sessionId: 0, sessionEpoch: 0, topics: both });
  const emptied = await fetch({ sessionId: open.sessionId, sessionEpoch: 1, forgottenTopicsData: [{ topic: 'life', partitions: [0, 1] }] });
  assert.equal(emptied.errorCode, ErrorCode.NONE);
  assert.equal(emptied.sessionId, 0, 'answered without a session');
  assert.equal((await fetch({ sessionId: open.sessionId, sessionEpoch: 2 })).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
});

test('a fetch overtaken by a newer one in the same session answers INVALID_FETCH_SESSION_EPOCH, the newer one its data', async () => {
  const open = await fetch({ sessionId: 0, sessionEpoch: 0, topics: [{ topic: 'life', partitions: [part(0, 2n)] }] });
  // Pipelined: epoch 1 long-polls (nothing new at offset 2), epoch 2 arrives meanwhile and answers at once.
  client.sendRequest(1, 12, 501, request({ sessionId: open.sessionId, sessionEpoch: 1, maxWaitMs: 300, minBytes: 1 }));
  client.sendRequest(1, 12, 502, request({ sessionId: open.sessionId, sessionEpoch: 2, topics: [{ topic: 'life', partitions: [part(0, 0n)] }] }));
  const overtaken = await client.response(1, 12);
  const newer = await client.response(1, 12);
  assert.equal(overtaken?.correlationId, 501);
  assert.equal((overtaken?.body as FetchResponse).errorCode, ErrorCode.INVALID_FETCH_SESSION_EPOCH);
  assert.equal(newer?.correlationId, 502);
  assert.equal((newer?.body as FetchResponse).errorCode, ErrorCode.NONE);
  assert.deepEqual(records(newer?.body as FetchResponse), [[0, 2, 2]]);
});

test('the session cache is bounded: past max.incremental.fetch.session.cache.slots a fetch is answered without a session and the others keep theirs', async () => {
  const small = await startBroker({ port: 0, config: { 'max.incremental.fetch.session.cache.slots': '2' } });
  const c = await RawClient.open(small.bootstrap);
  try {
    await kcat(['-b', small.bootstrap, '-P', '-t', 'few'], 'x\n');
    const topics = [{ topic: 'few', partitions: [part(0, 0n)] }];
    const a = await fetchOn(c, { sessionId: 0, sessionEpoch: 0, topics });
    const b = await fetchOn(c, { sessionId: 0, sessionEpoch: 0, topics });
    assert.ok(a.sessionId > 0 && b.sessionId > 0 && a.sessionId !== b.sessionId);
    for (let i = 0; i < 20; i++) {
      const extra = await fetchOn(c, { sessionId: 0, sessionEpoch: 0, topics });
      assert.equal(extra.errorCode, ErrorCode.NONE);
      assert.equal(extra.sessionId, 0, 'no room: a sessionless answer');
      assert.deepEqual(records(extra), [[0, 1, 1]], 'still a full answer');
    }
    // Young sessions in use are not pushed out by a client opening sessions in a loop.
    assert.equal((await fetchOn(c, { sessionId: a.sessionId, sessionEpoch: 1 })).errorCode, ErrorCode.NONE);
    assert.equal((await fetchOn(c, { sessionId: b.sessionId, sessionEpoch: 1 })).errorCode, ErrorCode.NONE);
  } finally {
    c.close();
    await small.stop();
  }
});

test('max.incremental.fetch.session.cache.slots=0 turns sessions off', async () => {
  const none = await startBroker({ port: 0, config: { 'max.incremental.fetch.session.cache.slots': '0' } });
  const c = await RawClient.open(none.bootstrap);
  try {
    const r = await fetchOn(c, { sessionId: 0, sessionEpoch: 0, topics: [{ topic: 'absent', partitions: [part(0, 0n)] }] });
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.equal(r.sessionId, 0);
  } finally {
    c.close();
    await none.stop();
  }
});
