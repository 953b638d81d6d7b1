// A clean shutdown answers requests in flight: a fetch long-polling for ten seconds gets its
// (empty) answer instead of a closed connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { kcat } from '../helpers/kcat.js';
import type { FetchResponse } from '../../src/protocol/generated/index.js';

test('stop answers a waiting long poll before closing', async () => {
  const broker = await startBroker({ port: 0 });
  await kcat(['-b', broker.bootstrap, '-P', '-t', 'quiet'], 'one\n');
  const c = await RawClient.open(broker.bootstrap);
  c.sendRequest(1, 11, 7, {
    replicaId: -1,
    maxWaitMs: 10_000,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic: 'quiet', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 1n, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [],
    rackId: '',
  });
  await new Promise((r) => setTimeout(r, 200));
  const stopped = broker.stop();
  const res = await c.response(1, 11);
  await stopped;
  assert.ok(res, 'the fetch was answered, not cut off');
  assert.equal(res.correlationId, 7);
  assert.equal((res.body as FetchResponse).responses[0].partitions[0].highWatermark, 1n);
  assert.ok(await c.waitClosed(), 'then the connection closes');
});
