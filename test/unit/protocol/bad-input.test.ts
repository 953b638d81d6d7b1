import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_ELEMENTS_PER_MESSAGE, Reader } from '../../../src/protocol/reader.js';
import { readTaggedField, readTaggedFieldCount } from '../../../src/protocol/tagged-fields.js';
import { Writer } from '../../../src/protocol/writer.js';
import { DecodeError } from '../../../src/protocol/codec-errors.js';
import { decodeRequestFrame, encodeRequestFrame, UnsupportedApiError } from '../../../src/protocol/request-codec.js';
import { API_DEFINITIONS, decodeMetadataRequest, decodeProduceRequest } from '../../../src/protocol/generated/index.js';
import { Rng, sampleStruct, versionsOf } from '../../helpers/protocol-samples.js';

function frameBody(frame: Buffer[]): Buffer {
  return Buffer.concat(frame).subarray(4);
}

/** Decoding must either succeed or throw DecodeError: any other exception is a bug. */
function decodeOrDecodeError(fn: () => unknown): 'ok' | 'error' {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (err instanceof DecodeError) return 'error';
    throw err;
  }
}

test('a truncated frame is a DecodeError at every cut point', () => {
  const frame = frameBody(
    encodeRequestFrame(0, 9, 1, 'client', {
      transactionalId: null,
      acks: -1,
      timeoutMs: 1000,
      topicData: [{ name: 'orders', partitionData: [{ index: 0, records: Buffer.alloc(100, 7) }] }],
    }),
  );
  assert.equal(decodeOrDecodeError(() => decodeRequestFrame(frame)), 'ok');
  for (let cut = 0; cut < frame.length; cut++) {
    assert.throws(() => decodeRequestFrame(frame.subarray(0, cut)), DecodeError, `cut at ${cut}`);
  }
});

test('negative and oversized lengths are refused before any allocation', () => {
  // MetadataRequest v0: topics int32 count; -5 is no valid count, 2^31-1 would be an enormous array.
  assert.throws(() => decodeMetadataRequest(new Reader(Buffer.from('fffffffb', 'hex')), 0), /negative length/);
  assert.throws(() => decodeMetadataRequest(new Reader(Buffer.from('7fffffff', 'hex')), 0), /exceeds/);
  // -1 (null) where v0 has no null topics.
  assert.throws(() => decodeMetadataRequest(new Reader(Buffer.from('ffffffff', 'hex')), 0), /not nullable/);
  // ProduceRequest v3: transactional id string claiming 32767 bytes with 2 present.
  assert.throws(() => decodeProduceRequest(new Reader(Buffer.from('7fff6161', 'hex')), 3), DecodeError);
  // A records field claiming 1 GiB.
  const produce = Buffer.from('ffff' + 'ffff' + '000003e8' + '00000001' + '0001' + '61' + '00000001' + '00000000' + '40000000', 'hex');
  assert.throws(() => decodeProduceRequest(new Reader(produce), 3), /exceeds/);
});

test('a message may decode to at most MAX_ELEMENTS_PER_MESSAGE array elements, counted over nested arrays and tagged fields', () => {
  // MetadataRequest v1: an array of empty topic names, two bytes each.
  const names = (n: number) => {
    const b = Buffer.alloc(4 + 2 * n);
    b.writeInt32BE(n, 0);
    return b;
  };
  assert.equal((decodeMetadataRequest(new Reader(names(MAX_ELEMENTS_PER_MESSAGE)), 1).topics ?? []).length, MAX_ELEMENTS_PER_MESSAGE);
  assert.throws(() => decodeMetadataRequest(new Reader(names(MAX_ELEMENTS_PER_MESSAGE + 1)), 1), /more than 1048576 array elements/);
  // The budget is per message: nested arrays draw on it together (ProduceRequest v3: topics, each with partitions).
  const half = MAX_ELEMENTS_PER_MESSAGE / 2;
  const w = new Writer();
  w.nullableString(null);
  w.int16(1);
  w.int32(1000);
  w.arrayLength(2);
  for (let t = 0; t < 2; t++) {
    w.string('t');
    w.arrayLength(half);
    for (let p = 0; p < half; p++) {
      w.int32(p);
      w.nullableBytes(null);
    }
  }
  const produce = Buffer.concat(w.finish());
  assert.throws(() => decodeProduceRequest(new Reader(produce), 3), /more than 1048576 array elements/);
  // Tagged fields count too, and a tagged field's own reader shares its message's budget.
  const r = new Reader(Buffer.from([2, 0, 0, 1, 0]));
  r.budget.left = 1;
  assert.throws(() => readTaggedFieldCount(r), /more than/);
  const outer = new Reader(Buffer.from([0, 1, 0]));
  outer.budget.left = 5;
  assert.equal(readTaggedField(outer).value.budget, outer.budget);
});

test('varints longer than allowed are refused', () => {
  assert.throws(() => new Reader(Buffer.from('ffffffffff01', 'hex')).unsignedVarint(), /varint/);
  assert.throws(() => new Reader(Buffer.from('8080808080', 'hex')).unsignedVarint(), /varint/);
  assert.throws(() => new Reader(Buffer.from('ffffffffffffffffffff01', 'hex')).varlong(), /varlong/);
  // A compact array count of 2^32-2 in a flexible MetadataRequest (v9).
  assert.throws(() => decodeMetadataRequest(new Reader(Buffer.from('ffffffff0f', 'hex')), 9), DecodeError);
});

test('unknown API keys and versions are a typed UnsupportedApiError', () => {
  const header = (key: number, version: number) => Buffer.from([key >> 8, key & 0xff, version >> 8, version & 0xff, 0, 0, 0, 42, 0xff, 0xff]);
  for (const [key, version] of [
    [9999, 0],
    [-1, 0],
    [0, 99],
    [3, -1],
  ]) {
    assert.throws(
      () => decodeRequestFrame(header(key, version)),
      (err: unknown) => err instanceof UnsupportedApiError && err.apiKey === key && err.apiVersion === version && err.correlationId === 42,
    );
  }
});

test('fuzz: 120,000 random and mutated frames never crash the decoders', () => {
  const rng = new Rng(20261124);
  const pool: Buffer[] = [];
  for (const api of API_DEFINITIONS) {
    for (const version of versionsOf(api.request)) {
      pool.push(frameBody(encodeRequestFrame(api.apiKey, version, 1, 'fuzz', sampleStruct(api.request.root, version, rng))));
    }
  }
  let ok = 0;
  let errors = 0;
  const count = (outcome: 'ok' | 'error') => (outcome === 'ok' ? ok++ : errors++);
  for (let i = 0; i < 120_000; i++) {
    const base = pool[rng.int(pool.length)];
    const frame = Buffer.from(base);
    switch (i % 4) {
      case 0: // flip a few random bytes
        for (let k = 1 + rng.int(4); k > 0; k--) frame[rng.int(frame.length)] ^= 1 + rng.int(255);
        break;
      case 1: // overwrite four bytes with a hostile length
        if (frame.length > 8) frame.writeInt32BE([-2, -1, 0x7fffffff, 0x10000, 255][rng.int(5)], 4 + rng.int(frame.length - 8));
        break;
      case 2: // truncate, keeping the header's API key and version
        count(decodeOrDecodeError(() => decodeRequestFrame(frame.subarray(0, 4 + rng.int(frame.length - 3)))));
        continue;
      case 3: // garbage after a valid API key and version
        for (let k = 4; k < frame.length; k++) frame[k] = rng.int(256);
        break;
    }
    count(decodeOrDecodeError(() => decodeRequestFrame(frame)));
  }
  // Random bytes everywhere, API key included.
  for (let i = 0; i < 2_000; i++) count(decodeOrDecodeError(() => decodeRequestFrame(rng.bytes(rng.int(64)))));
  assert.equal(ok + errors, 122_000);
  assert.ok(errors > 10_000, `only ${errors} of the mutated frames were rejected: the mutations are not biting`);
});

test('fuzz: response decoders too (the replica fetcher and tools read responses)', () => {
  const rng = new Rng(7);
  for (const api of API_DEFINITIONS) {
    for (const version of versionsOf(api.response)) {
      const good = frameBody([Buffer.alloc(4), ...encodeResponseBody(api.apiKey, version, rng)]);
      for (let i = 0; i < 20; i++) {
        const frame = Buffer.from(good);
        if (frame.length > 0) frame[rng.int(frame.length)] ^= 0xff;
        decodeOrDecodeError(() => api.decodeResponse(new Reader(frame.subarray(0, rng.int(frame.length + 1))), version));
      }
    }
  }
});

function encodeResponseBody(apiKey: number, version: number, rng: Rng): Buffer[] {
  const api = API_DEFINITIONS.find((a) => a.apiKey === apiKey)!;
  const w = new Writer();
  api.encodeResponse(w, version, sampleStruct(api.response.root, version, rng));
  return w.finish();
}
