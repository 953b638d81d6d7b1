import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResponseFrames } from '../../../src/client/response-frames.js';

function frame(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length, 0);
  return Buffer.concat([size, body]);
}

test('response frames are cut the same however the stream is chunked', () => {
  const bodies = [Buffer.from('alpha'), Buffer.alloc(0), Buffer.from('b'), Buffer.from('gamma-delta')];
  const stream = Buffer.concat(bodies.map(frame));
  for (let chunk = 1; chunk <= stream.length; chunk++) {
    const frames = new ResponseFrames();
    const got: string[] = [];
    for (let i = 0; i < stream.length; i += chunk) got.push(...frames.push(stream.subarray(i, i + chunk)).map((f) => f.toString()));
    assert.deepEqual(got, ['alpha', '', 'b', 'gamma-delta'], `chunks of ${chunk}`);
  }
});

test('a megabyte response arriving in 64 KiB reads comes out whole and byte for byte, then the next frame', () => {
  const big = Buffer.alloc(1 << 20);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
  const stream = Buffer.concat([frame(big), frame(Buffer.from('after'))]);
  const frames = new ResponseFrames();
  const got: Buffer[] = [];
  for (let i = 0; i < stream.length; i += 65536) got.push(...frames.push(stream.subarray(i, i + 65536)));
  assert.equal(got.length, 2);
  assert.ok(got[0].equals(big), 'the large frame differs');
  assert.equal(got[1].toString(), 'after');
});

test('a negative frame size is refused', () => {
  assert.throws(() => new ResponseFrames().push(Buffer.from([0xff, 0xff, 0xff, 0xfe])), /negative size -2/);
});
