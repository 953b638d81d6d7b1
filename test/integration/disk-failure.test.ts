// A disk that fails under a running broker (the simulated file system under its logs): the
// partition whose write failed answers KAFKA_STORAGE_ERROR to Produce and Fetch, the rest of the
// broker keeps serving, and what was acknowledged before is still there after a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { kcat, parseJsonLines } from '../helpers/kcat.js';
import { SimFileSystem } from '../helpers/sim-fs.js';
import { buildBatch } from '../../src/protocol/records/batch-records.js';
import type { DeleteRecordsResponse, FetchResponse, ListOffsetsResponse, ProduceResponse } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';

async function produce(c: RawClient, topic: string, value: string): Promise<number> {
  const records = await buildBatch([{ key: null, value: Buffer.from(value), timestamp: Date.now() }]);
  c.sendRequest(0, 9, 1, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
  return ((await c.response(0, 9))?.body as ProduceResponse).responses[0].partitionResponses[0].errorCode;
}

async function fetchError(c: RawClient, topic: string, version = 11): Promise<number> {
  c.sendRequest(1, version, 2, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, rackId: '',
    topics: [{ topic, topicId: '', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [],
  });
  return ((await c.response(1, version))?.body as FetchResponse).responses[0].partitions[0].errorCode;
}

test('ENOSPC under a running broker: that partition answers KAFKA_STORAGE_ERROR, others keep working, acknowledged data survives', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'tributary-diskfail-'));
  const fs = new SimFileSystem({ seed: 11, maxDelayTurns: 0 });
  try {
    let broker = await startBroker({ port: 0, dataDir, fileSystem: fs });
    const c = await RawClient.open(broker.bootstrap);
    try {
      await kcat(['-b', broker.bootstrap, '-L', '-t', 'full']);
      await kcat(['-b', broker.bootstrap, '-L', '-t', 'fine']);
      assert.equal(await produce(c, 'full', 'before'), ErrorCode.NONE);
      fs.failWhen = (call, path) => (call === 'writev' && path.includes('/full-0/') ? 'ENOSPC' : null);
      assert.equal(await produce(c, 'full', 'lost'), ErrorCode.KAFKA_STORAGE_ERROR);
      fs.failWhen = null;
      // Room again, but the partition stays offline until a restart recovers it.
      assert.equal(await produce(c, 'full', 'after'), ErrorCode.KAFKA_STORAGE_ERROR);
      assert.equal(await fetchError(c, 'full'), ErrorCode.KAFKA_STORAGE_ERROR);
      // Fetch v5 and older predate the code: as Kafka does, they get one they retry after a metadata refresh.
      for (const version of [1, 5]) assert.equal(await fetchError(c, 'full', version), ErrorCode.NOT_LEADER_OR_FOLLOWER, `Fetch v${version}`);
      assert.equal(await fetchError(c, 'full', 6), ErrorCode.KAFKA_STORAGE_ERROR);
      c.sendRequest(2, 7, 3, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'full', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -3n }] }] });
      assert.equal(((await c.response(2, 7))?.body as ListOffsetsResponse).topics[0].partitions[0].errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
      c.sendRequest(21, 2, 4, { topics: [{ name: 'full', partitions: [{ partitionIndex: 0, offset: 1n }] }], timeoutMs: 1000 });
      assert.equal(((await c.response(21, 2))?.body as DeleteRecordsResponse).topics[0].partitions[0].errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
      assert.equal(await produce(c, 'fine', 'other partition'), ErrorCode.NONE);
      assert.equal(await fetchError(c, 'fine'), ErrorCode.NONE);
    } finally {
      c.close();
      await broker.stop();
    }
    broker = await startBroker({ port: 0, dataDir, fileSystem: fs });
    try {
      const full = parseJsonLines((await kcat(['-b', broker.bootstrap, '-C', '-t', 'full', '-o', 'beginning', '-e', '-J'])).stdout);
      assert.deepEqual(full.map((m) => m.payload), ['before']);
      const c2 = await RawClient.open(broker.bootstrap);
      assert.equal(await produce(c2, 'full', 'recovered'), ErrorCode.NONE);
      c2.close();
      const again = parseJsonLines((await kcat(['-b', broker.bootstrap, '-C', '-t', 'full', '-o', 'beginning', '-e', '-J'])).stdout);
      assert.deepEqual(again.map((m) => m.payload), ['before', 'recovered']);
    } finally {
      await broker.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
