// The broker's connection and memory bounds, on real sockets, checked by counts: max.connections,
// max.connections.per.ip (+ overrides), queued.max.request.bytes (broker-wide), and a
// connection's own request and byte limits (tributary.connection.max.inflight.*), where answers
// built but waiting behind a slow request count too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { buildBatch } from '../../src/protocol/records/batch-records.js';
import { encodeRequestFrame } from '../../src/protocol/request-codec.js';
import type { ServerLoad } from '../../src/server/listener.js';
import type { ApiVersionsResponse, FetchResponse, FetchRequestInput, ProduceResponse } from '../../src/protocol/generated/index.js';

async function withLimits(config: Record<string, string>, fn: (broker: RunningBroker) => Promise<void>): Promise<void> {
  const broker = await startBroker({ port: 0, config: { 'auto.create.topics.enable': 'false', ...config } });
  try {
    await fn(broker);
  } finally {
    await broker.stop();
  }
}

/** Waits until the broker's load satisfies `ok` (checked as the broker's state changes, with a deadline). */
async function loadWhen(broker: RunningBroker, ok: (l: ServerLoad) => boolean, what: string): Promise<ServerLoad> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const load = broker.serverLoad();
    if (ok(load)) return load;
    if (Date.now() > deadline) throw new Error(`the broker never reached: ${what}; load is ${JSON.stringify(load)}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Opens a connection and asks ApiVersions: true if served, false if the broker closed it. */
async function served(broker: RunningBroker): Promise<{ client: RawClient; served: boolean }> {
  const client = await RawClient.open(broker.bootstrap);
  client.sendRequest(18, 3, 1, { clientSoftwareName: 'limits', clientSoftwareVersion: '1' });
  const res = await client.response(18, 3);
  return { client, served: res !== null && (res.body as ApiVersionsResponse).errorCode === 0 };
}

async function createTopic(broker: RunningBroker, name: string): Promise<void> {
  const c = await RawClient.open(broker.bootstrap);
  c.sendRequest(19, 4, 1, { topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  assert.ok(await c.response(19, 4));
  c.close();
}

function fetchRequest(topic: string, opts: { maxWaitMs: number; maxBytes: number }): FetchRequestInput {
  return { replicaId: -1, maxWaitMs: opts.maxWaitMs, minBytes: 1, maxBytes: opts.maxBytes, isolationLevel: 0, topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: opts.maxBytes }] }] };
}

function frames(requests: { correlationId: number; apiKey: number; version: number; body: unknown }[]): Buffer {
  return Buffer.concat(requests.flatMap((r) => encodeRequestFrame(r.apiKey, r.version, r.correlationId, 'limits', r.body)));
}

async function correlationIds(c: RawClient, count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const frame = await c.nextFrame();
    assert.ok(frame, `response ${i + 1} of ${count}`);
    ids.push(frame.readInt32BE(0));
  }
  return ids;
}

test('max.connections: a connection above the limit is closed at once; a freed slot admits the next', async () => {
  await withLimits({ 'max.connections': '3' }, async (broker) => {
    const open = [await served(broker), await served(broker), await served(broker)];
    assert.deepEqual(open.map((o) => o.served), [true, true, true]);
    const fourth = await served(broker);
    assert.equal(fourth.served, false, 'the fourth connection is closed unanswered');
    open[0].client.close();
    await loadWhen(broker, (l) => l.connections === 2, 'the closed connection is counted out');
    const again = await served(broker);
    assert.equal(again.served, true);
    const load = broker.serverLoad();
    assert.equal(load.connections, 3);
    assert.equal(load.connectionsRefused, 1);
    for (const o of [...open, again]) o.client.close();
  });
});

test('max.connections.per.ip refuses the address over its limit; max.connections.per.ip.overrides changes it for one address', async () => {
  await withLimits({ 'max.connections.per.ip': '2' }, async (broker) => {
    const results = [await served(broker), await served(broker), await served(broker)];
    assert.deepEqual(results.map((r) => r.served), [true, true, false]);
    for (const r of results) r.client.close();
  });
  await withLimits({ 'max.connections.per.ip': '1', 'max.connections.per.ip.overrides': 'example-host:7,127.0.0.1:4' }, async (broker) => {
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await served(broker));
    assert.deepEqual(results.map((r) => r.served), [true, true, true, true, false]);
    assert.equal(broker.serverLoad().connectionsRefused, 1);
    for (const r of results) r.client.close();
  });
});

test('tributary.connection.max.inflight.requests: pipelined requests beyond it wait unstarted, and all are answered in order', async () => {
  await withLimits({ 'tributary.connection.max.inflight.requests': '3' }, async (broker) => {
    await createTopic(broker, 'empty');
    const c = await RawClient.open(broker.bootstrap);
    const polls = Array.from({ length: 10 }, (_, i) => ({ correlationId: i + 1, apiKey: 1, version: 4, body: fetchRequest('empty', { maxWaitMs: 150, maxBytes: 1024 }) }));
    c.send(frames(polls));
    const load = await loadWhen(broker, (l) => l.requestsInFlight + l.requestsWaitingToStart === 10, 'all ten requests read');
    assert.equal(load.requestsInFlight, 3);
    assert.equal(load.requestsWaitingToStart, 7);
    assert.equal(load.connectionsReadingPaused, 1);
    assert.deepEqual(await correlationIds(c, 10), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    c.close();
  });
});

test('tributary.connection.max.inflight.bytes: answers waiting behind a slow request count, so further requests wait unstarted', async () => {
  const limit = 32 * 1024;
  const fetchBytes = 8 * 1024;
  await withLimits({ 'tributary.connection.max.inflight.bytes': String(limit) }, async (broker) => {
    await createTopic(broker, 'empty');
    await createTopic(broker, 'full');
    const producer = await RawClient.open(broker.bootstrap);
    for (let i = 0; i < 12; i++) {
      const records = await buildBatch([0, 1].map((k) => ({ key: null, value: Buffer.alloc(1000, 97 + k), timestamp: 1_000 })));
      producer.sendRequest(0, 7, i, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'full', partitionData: [{ index: 0, records }] }] });
      assert.equal(((await producer.response(0, 7))?.body as ProduceResponse).responses[0].partitionResponses[0].errorCode, 0);
    }
    producer.close();

    const c = await RawClient.open(broker.bootstrap);
    const slow = { correlationId: 1, apiKey: 1, version: 4, body: fetchRequest('empty', { maxWaitMs: 1000, maxBytes: 1024 }) };
    const fast = Array.from({ length: 10 }, (_, i) => ({ correlationId: i + 2, apiKey: 1, version: 4, body: fetchRequest('full', { maxWaitMs: 0, maxBytes: fetchBytes }) }));
    c.send(frames([slow, ...fast]));
    // Every started fast Fetch is answered at once, but its answer waits behind the slow one; the
    // connection stops starting more once those answers fill its budget.
    const stuck = await loadWhen(broker, (l) => l.requestsInFlight === 1 && l.requestsWaitingToStart > 0 && l.responseBytesWaiting > 0, 'only the slow request still running');
    const started = 10 - stuck.requestsWaitingToStart;
    assert.ok(started >= 3 && started < 10, `${started} fast fetches started`);
    assert.ok(stuck.responseBytesWaiting < limit + fetchBytes, `${stuck.responseBytesWaiting} bytes of answers wait (limit ${limit})`);
    assert.ok(stuck.responseBytesWaiting >= limit - 2 * fetchBytes, `${stuck.responseBytesWaiting} bytes wait: the budget was used`);
    const answers: number[] = [];
    for (let i = 0; i < 11; i++) {
      const res = await c.response(1, 4);
      assert.ok(res);
      answers.push(res.correlationId);
      const records = (res.body as FetchResponse).responses[0].partitions[0].records;
      if (res.correlationId > 1) assert.ok(records && records.length > 2000, `fetch ${res.correlationId} carries records`);
    }
    assert.deepEqual(answers, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    c.close();
  });
});

test('queued.max.request.bytes: while the broker-wide request bytes are used up, no connection is read', async () => {
  await withLimits({ 'queued.max.request.bytes': '1000' }, async (broker) => {
    await createTopic(broker, 'empty');
    const a = await RawClient.open(broker.bootstrap);
    const polls = frames(Array.from({ length: 20 }, (_, i) => ({ correlationId: i + 1, apiKey: 1, version: 4, body: fetchRequest('empty', { maxWaitMs: 400, maxBytes: 1024 }) })));
    a.send(polls);
    // The twenty frames came in one read: all are admitted (the bound is soft by what was read).
    const full = await loadWhen(broker, (l) => l.requestsInFlight === 20, 'twenty long polls running');
    assert.equal(full.queuedRequestBytes, polls.length - 20 * 4);
    assert.equal(full.connectionsReadingPaused, 1);
    const b = await RawClient.open(broker.bootstrap);
    const paused = await loadWhen(broker, (l) => l.connections === 2, 'the second connection accepted');
    assert.equal(paused.connectionsReadingPaused, 2, 'a new connection does not read while the pool is used up');
    b.sendRequest(18, 3, 99, { clientSoftwareName: 'limits', clientSoftwareVersion: '1' });
    assert.deepEqual(await correlationIds(a, 20), Array.from({ length: 20 }, (_, i) => i + 1));
    assert.equal((await b.response(18, 3))?.correlationId, 99, 'served once the long polls are answered');
    const after = await loadWhen(broker, (l) => l.requestsInFlight === 0, 'nothing running');
    assert.equal(after.queuedRequestBytes, 0);
    assert.equal(after.connectionsReadingPaused, 0);
    a.close();
    b.close();
  });
});

test('queued.max.request.bytes: a connection that closes with requests running gives its bytes back at once', async () => {
  await withLimits({ 'queued.max.request.bytes': '1000' }, async (broker) => {
    await createTopic(broker, 'empty');
    const a = await RawClient.open(broker.bootstrap);
    a.send(frames(Array.from({ length: 20 }, (_, i) => ({ correlationId: i + 1, apiKey: 1, version: 4, body: fetchRequest('empty', { maxWaitMs: 60_000, maxBytes: 1024 }) }))));
    await loadWhen(broker, (l) => l.requestsInFlight === 20 && l.connectionsReadingPaused === 1, 'twenty long polls running');
    a.close();
    const freed = await loadWhen(broker, (l) => l.connections === 0, 'the connection gone');
    assert.equal(freed.queuedRequestBytes, 0, 'its requests no longer count, though their long polls still wait');
    const check = await served(broker);
    assert.equal(check.served, true);
    check.client.close();
  });
});

test('queued.max.requests is accepted and ignored (it sizes a queue Tributary does not have)', async () => {
  await withLimits({ 'queued.max.requests': '1' }, async (broker) => {
    await createTopic(broker, 'empty');
    const c = await RawClient.open(broker.bootstrap);
    c.send(frames(Array.from({ length: 5 }, (_, i) => ({ correlationId: i + 1, apiKey: 1, version: 4, body: fetchRequest('empty', { maxWaitMs: 150, maxBytes: 1024 }) }))));
    const load = await loadWhen(broker, (l) => l.requestsInFlight + l.requestsWaitingToStart === 5, 'all five requests read');
    assert.equal(load.requestsInFlight, 5, 'all five run at once');
    assert.deepEqual(await correlationIds(c, 5), [1, 2, 3, 4, 5]);
    c.close();
  });
});
