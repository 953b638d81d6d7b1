// The console's API when the broker under it fails: a log read that throws (a disk error) is a JSON
// 500 with its message, and the server goes on answering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { startAdminServer } from '../../../src/http/admin-server.js';
import { BrokerObservation, type BrokerParts } from '../../../src/broker/observed.js';

test('a failing log read is a JSON 500 with the reason; the next request is answered', async () => {
  const partition = {
    topic: 't',
    index: 0,
    highWatermark: 10,
    log: { logStartOffset: 0 },
    read: () => Promise.reject(new Error('EIO: the disk is on fire')),
  };
  const parts = {
    config: { nodeId: 1, dataDir: '/nonexistent', etcdEndpoints: [], get: () => null },
    view: { topic: (name: string) => (name === 't' ? { name: 't', topicId: 'x', partitions: 1, configs: {} } : undefined) },
    replicas: { get: (topic: string, index: number) => (topic === 't' && index === 0 ? partition : undefined) },
  } as unknown as BrokerParts;
  const server = await startAdminServer('127.0.0.1', 0, new BrokerObservation(parts), pino({ level: 'silent' }));
  try {
    const res = await fetch(`http://127.0.0.1:${server.port}/v1/topics/t/partitions/0/records`);
    assert.equal(res.status, 500);
    assert.deepEqual(await res.json(), { error: 'EIO: the disk is on fire' });
    const missing = await fetch(`http://127.0.0.1:${server.port}/v1/topics/t/partitions/1/records`);
    assert.equal(missing.status, 404);
    assert.equal((await fetch(`http://127.0.0.1:${server.port}/health`)).status, 200);
  } finally {
    await server.close();
  }
});
