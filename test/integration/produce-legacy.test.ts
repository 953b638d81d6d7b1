// Produce v0-2 (magic 0 and 1 message sets, as pre-0.11 clients send them) is up-converted to
// RecordBatch v2; librdkafka needs Produce v0 advertised before it compresses with gzip, snappy
// or lz4, which kcat then really does.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { crc32 } from '@node-rs/crc32';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { kcat, parseJsonLines } from '../helpers/kcat.js';
import type { ProduceResponse } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';

let broker: RunningBroker;
before(async () => {
  broker = await startBroker({ port: 0 });
});
after(async () => {
  await broker.stop();
});

/** One magic-1 message, framed with its offset and size as in a message set. */
function legacyMessage(offset: number, key: string | null, value: Buffer, attributes = 0, timestamp = 1_700_000_000_000): Buffer {
  const k = key === null ? null : Buffer.from(key);
  const body = Buffer.alloc(1 + 1 + 8 + 4 + (k?.length ?? 0) + 4 + value.length);
  let at = 0;
  at = body.writeInt8(1, at);
  at = body.writeInt8(attributes, at);
  at = body.writeBigInt64BE(BigInt(timestamp), at);
  at = body.writeInt32BE(k === null ? -1 : k.length, at);
  if (k) at += k.copy(body, at);
  at = body.writeInt32BE(value.length, at);
  value.copy(body, at);
  const head = Buffer.alloc(16);
  head.writeBigInt64BE(BigInt(offset), 0);
  head.writeInt32BE(body.length + 4, 8);
  head.writeUInt32BE(crc32(body) >>> 0, 12);
  return Buffer.concat([head, body]);
}

test('Produce v2 with a gzip-wrapped magic 1 message set is stored as a v2 batch and consumed by kcat', async () => {
  const inner = Buffer.concat([legacyMessage(0, 'a', Buffer.from('legacy one')), legacyMessage(1, null, Buffer.from('legacy two'))]);
  const wrapper = legacyMessage(1, null, gzipSync(inner), 1);
  const c = await RawClient.open(broker.bootstrap);
  c.sendRequest(0, 2, 1, { acks: -1, timeoutMs: 5000, topicData: [{ name: 'legacy', partitionData: [{ index: 0, records: wrapper }] }] });
  // The topic does not exist yet: produce does not create it, so create it through metadata first.
  const first = (await c.response(0, 2))?.body as ProduceResponse;
  assert.equal(first.responses[0].partitionResponses[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  await kcat(['-b', broker.bootstrap, '-L', '-t', 'legacy']);
  c.sendRequest(0, 2, 2, { acks: -1, timeoutMs: 5000, topicData: [{ name: 'legacy', partitionData: [{ index: 0, records: wrapper }] }] });
  const res = (await c.response(0, 2))?.body as ProduceResponse;
  assert.equal(res.responses[0].partitionResponses[0].errorCode, 0);
  assert.equal(res.responses[0].partitionResponses[0].baseOffset, 0n);
  const corrupt = Buffer.from(wrapper);
  corrupt[corrupt.length - 1] ^= 1;
  c.sendRequest(0, 2, 3, { acks: -1, timeoutMs: 5000, topicData: [{ name: 'legacy', partitionData: [{ index: 0, records: corrupt }] }] });
  assert.equal(((await c.response(0, 2))?.body as ProduceResponse).responses[0].partitionResponses[0].errorCode, ErrorCode.CORRUPT_MESSAGE);
  c.close();
  const got = parseJsonLines((await kcat(['-b', broker.bootstrap, '-C', '-t', 'legacy', '-o', 'beginning', '-e', '-J'])).stdout);
  assert.deepEqual(got.map((m) => [m.offset, m.key, m.payload, m.ts]), [[0, 'a', 'legacy one', 1_700_000_000_000], [1, null, 'legacy two', 1_700_000_000_000]]);
});

test('kcat compresses with gzip, snappy and lz4 against this broker (librdkafka checks Produce v0)', async () => {
  for (const codec of ['gzip', 'snappy', 'lz4']) {
    const topic = `really-${codec}`;
    const lines = Array.from({ length: 50 }, (_, i) => `value ${i} ${'y'.repeat(100)}`).join('\n') + '\n';
    const r = await kcat(['-b', broker.bootstrap, '-P', '-t', topic, '-z', codec, '-d', 'msg'], lines);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /does not support compression/);
    assert.match(r.stderr, new RegExp(`Produce MessageSet with \\d+ message\\(s\\) \\(.*, ${codec}\\)`), 'librdkafka sent a compressed batch');
  }
});
