import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameSizeError, FrameSplitter } from '../../../src/server/frame-splitter.js';

function frame(body: string): Buffer {
  const b = Buffer.from(body);
  return Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
}

test('a size-0 frame is refused, whether it ends the chunk or more bytes follow', () => {
  assert.throws(() => new FrameSplitter(100).push(Buffer.from([0, 0, 0, 0])), FrameSizeError);
  assert.throws(() => new FrameSplitter(100).push(Buffer.from([0, 0, 0, 0, 0, 0, 0, 1, 7])), FrameSizeError);
  const split = new FrameSplitter(100);
  assert.deepEqual(split.push(Buffer.from([0, 0])), []);
  assert.throws(() => split.push(Buffer.from([0, 0])), FrameSizeError);
});

test('negative and oversized sizes are refused before anything is buffered for them', () => {
  assert.throws(() => new FrameSplitter(100).push(Buffer.from([0xff, 0xff, 0xff, 0xff])), /invalid request frame size -1/);
  assert.throws(() => new FrameSplitter(100).push(Buffer.from([0, 0, 0, 101])), /socket.request.max.bytes=100/);
});

test('frames are cut the same however the stream is chunked', () => {
  const stream = Buffer.concat([frame('alpha'), frame('b'), frame('gamma-delta')]);
  for (let chunk = 1; chunk <= stream.length; chunk++) {
    const s = new FrameSplitter(100);
    const got: string[] = [];
    for (let i = 0; i < stream.length; i += chunk) got.push(...s.push(stream.subarray(i, i + chunk)).map((f) => f.toString()));
    assert.deepEqual(got, ['alpha', 'b', 'gamma-delta'], `chunks of ${chunk}`);
    assert.equal(s.pendingBytes, 0);
  }
});
