// acks=0 gets no answer (and the next request on the connection still gets its own), acks other
// than 0, 1 and -1 get INVALID_REQUIRED_ACKS, and LogAppendTime topics stamp the broker's time.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { kcat, parseJsonLines } from '../helpers/kcat.js';
import { buildBatch } from '../../src/protocol/records/batch-records.js';
import type { ApiVersionsResponse, ProduceResponse } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';

let broker: RunningBroker;
before(async () => {
  broker = await startBroker({ port: 0 });
  await kcat(['-b', broker.bootstrap, '-L', '-t', 'acks-topic']);
});
after(async () => {
  await broker.stop();
});

const produce = async (acks: number, value: string) => ({
  transactionalId: null,
  acks,
  timeoutMs: 5000,
  topicData: [{ name: 'acks-topic', partitionData: [{ index: 0, records: await buildBatch([{ key: null, value: Buffer.from(value), timestamp: 1_000 }]) }] }],
});

test('acks=0 is not answered; acks=2 is INVALID_REQUIRED_ACKS; the records of acks=0 are stored', async () => {
  const c = await RawClient.open(broker.bootstrap);
  c.sendRequest(0, 9, 1, await produce(0, 'fire and forget'));
  c.sendRequest(0, 9, 2, await produce(2, 'bad acks'));
  c.sendRequest(18, 3, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
  const second = await c.response(0, 9);
  assert.equal(second?.correlationId, 2, 'the acks=0 request got no response');
  assert.equal((second?.body as ProduceResponse).responses[0].partitionResponses[0].errorCode, ErrorCode.INVALID_REQUIRED_ACKS);
  const third = await c.response(18, 3);
  assert.equal(third?.correlationId, 3);
  assert.equal((third?.body as ApiVersionsResponse).errorCode, 0);
  c.close();
  const got = parseJsonLines((await kcat(['-b', broker.bootstrap, '-C', '-t', 'acks-topic', '-o', 'beginning', '-e', '-J'])).stdout);
  assert.deepEqual(got.map((m) => m.payload), ['fire and forget']);
});

test('clients cannot write to __consumer_offsets', async () => {
  const c = await RawClient.open(broker.bootstrap);
  const req = await produce(-1, 'sneaky');
  req.topicData[0].name = '__consumer_offsets';
  c.sendRequest(0, 9, 1, req);
  const res = (await c.response(0, 9))?.body as ProduceResponse;
  assert.equal(res.responses[0].partitionResponses[0].errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
  c.close();
});

test('a LogAppendTime topic stamps the broker\'s time on every record', async () => {
  await kcat(['-b', broker.bootstrap, '-L']);
  const c = await RawClient.open(broker.bootstrap);
  c.sendRequest(19, 5, 1, { topics: [{ name: 'append-time', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] }], timeoutMs: 5000, validateOnly: false });
  await c.response(19, 5);
  const before = Date.now();
  const req = await produce(-1, 'stamped');
  req.topicData[0].name = 'append-time';
  c.sendRequest(0, 9, 2, req);
  const res = (await c.response(0, 9))?.body as ProduceResponse;
  const stamp = Number(res.responses[0].partitionResponses[0].logAppendTimeMs);
  assert.ok(stamp >= before && stamp <= Date.now(), 'the response carries the append time');
  c.close();
  const [m] = parseJsonLines((await kcat(['-b', broker.bootstrap, '-C', '-t', 'append-time', '-o', 'beginning', '-e', '-J'])).stdout);
  assert.equal(m.tstype, 'logappend');
  assert.equal(m.ts, stamp);
});
