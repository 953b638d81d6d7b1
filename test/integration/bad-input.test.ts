// Garbage, oversized, truncated and unknown frames on raw sockets: the broker answers with an
// error or closes that one connection, and keeps serving everyone else.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { kcat } from '../helpers/kcat.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { ApiVersionsResponse, MetadataResponse, ProduceResponse } from '../../src/protocol/generated/index.js';

let broker: RunningBroker;
/** The broker's warnings and errors, one entry per log line. */
const logLines: string[] = [];

before(async () => {
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(...chunk.toString().split('\n').filter((l) => l !== ''));
      done();
    },
  });
  broker = await startBroker({ port: 0, logger: pino({ level: 'warn' }, stream), config: { 'socket.request.max.bytes': '1048576', 'auto.create.topics.enable': 'false' } });
});
after(async () => {
  await broker.stop();
});

function sizePrefixed(body: Buffer): Buffer {
  const b = Buffer.alloc(4 + body.length);
  b.writeInt32BE(body.length, 0);
  body.copy(b, 4);
  return b;
}

async function assertStillServes(): Promise<void> {
  const c = await RawClient.open(broker.bootstrap);
  c.sendRequest(18, 3, 99, { clientSoftwareName: 'check', clientSoftwareVersion: '1' });
  const res = await c.response(18, 3);
  assert.equal(res?.correlationId, 99);
  assert.equal((res?.body as ApiVersionsResponse).errorCode, 0);
  c.close();
}

test('a frame larger than socket.request.max.bytes closes the connection', async () => {
  const c = await RawClient.open(broker.bootstrap);
  const header = Buffer.alloc(4);
  header.writeInt32BE(2 * 1024 * 1024);
  c.send(header);
  assert.equal(await c.waitClosed(), true);
  await assertStillServes();
});

test('a negative frame size closes the connection', async () => {
  const c = await RawClient.open(broker.bootstrap);
  c.send(Buffer.from([0xff, 0xff, 0xff, 0xf0, 1, 2, 3]));
  assert.equal(await c.waitClosed(), true);
  await assertStillServes();
});

test('random garbage frames close the connection, never the broker', async () => {
  for (let i = 0; i < 50; i++) {
    const c = await RawClient.open(broker.bootstrap);
    const body = Buffer.alloc(1 + ((i * 37) % 300));
    for (let k = 0; k < body.length; k++) body[k] = (k * 131 + i * 7) & 0xff;
    c.send(sizePrefixed(body));
    const frame = await c.nextFrame().catch(() => 'timeout');
    assert.notEqual(frame, 'timeout', 'the broker neither answered nor closed');
    c.close();
  }
  await assertStillServes();
});

test('a truncated request body closes the connection', async () => {
  const c = await RawClient.open(broker.bootstrap);
  // Metadata v1 header, then a topic count of 5 with no topics.
  const body = Buffer.from('0003000100000007ffff00000005', 'hex');
  c.send(sizePrefixed(body));
  assert.equal(await c.nextFrame(), null);
  await assertStillServes();
});

test('an unknown API key, a version the broker does not serve and one no codec knows close the connection with one log line each', async () => {
  const closings = () => logLines.filter((l) => l.includes('closing connection')).length;
  const attempts: [string, (c: RawClient) => void][] = [
    ['unknown API key 10000', (c) => c.send(sizePrefixed(Buffer.from('2710000000000001ffff', 'hex')))],
    // ListOffsets v9 is in the codecs but not served: an error body would read as an answer.
    ['ListOffsets v9', (c) => c.sendRequest(2, 9, 5, { replicaId: -1, isolationLevel: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }] })],
    // Fetch v99: past every version the codecs know (the header is read, the body cannot be).
    ['Fetch v99', (c) => c.send(sizePrefixed(Buffer.from('0001006300000006ffff' + '00'.repeat(32), 'hex')))],
  ];
  for (const [what, send] of attempts) {
    const before = closings();
    const c = await RawClient.open(broker.bootstrap);
    send(c);
    assert.equal(await c.nextFrame(), null, `${what}: closed without an answer`);
    assert.equal(closings(), before + 1, `${what}: one log line; got ${logLines.slice(-3).join(' | ')}`);
    await assertStillServes();
  }
  assert.match(logLines.find((l) => l.includes('ListOffsets v9')) ?? '', /not supported \(this broker serves v0-8\)/);
});

test('ApiVersions at a version from the future is answered in v0 format with error 35, and the connection stays open', async () => {
  const c = await RawClient.open(broker.bootstrap);
  // ApiVersions v99 with a v2 header and some body the broker cannot know.
  c.send(sizePrefixed(Buffer.from('0012006300000011000474657374' + '00' + 'deadbeef', 'hex')));
  const res = await c.response(18, 0);
  assert.equal(res?.correlationId, 0x11);
  const body = res?.body as ApiVersionsResponse;
  assert.equal(body.errorCode, ErrorCode.UNSUPPORTED_VERSION);
  assert.ok(body.apiKeys.some((k) => k.apiKey === 18 && k.maxVersion === 4));
  c.sendRequest(18, 3, 12, { clientSoftwareName: 'retry', clientSoftwareVersion: '1' });
  const retry = await c.response(18, 3);
  assert.equal((retry?.body as ApiVersionsResponse).errorCode, 0);
  c.close();
});

test('bad produce input gets per-partition Kafka errors', async () => {
  const c = await RawClient.open(broker.bootstrap);
  c.sendRequest(19, 4, 1, { topics: [{ name: 'bad-input', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false });
  await c.response(19, 4);
  c.sendRequest(0, 7, 2, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 1000,
    topicData: [
      { name: 'bad-input', partitionData: [{ index: 0, records: Buffer.alloc(80, 1) }, { index: 7, records: Buffer.alloc(10) }] },
      { name: 'no-such-topic', partitionData: [{ index: 0, records: Buffer.alloc(10) }] },
    ],
  });
  const res = (await c.response(0, 7))?.body as ProduceResponse;
  const codes = res.responses.map((t) => t.partitionResponses.map((p) => p.errorCode));
  assert.deepEqual(codes, [[ErrorCode.CORRUPT_MESSAGE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
  c.sendRequest(3, 1, 3, { topics: [{ name: 'bad name!' }] });
  const md = (await c.response(3, 1))?.body as MetadataResponse;
  assert.equal(md.topics[0].errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
  c.close();
  const l = await kcat(['-b', broker.bootstrap, '-L']);
  assert.equal(l.code, 0);
  assert.match(l.stdout, /topic "bad-input"/);
});
