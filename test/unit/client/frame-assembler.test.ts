// The frame assembler copies frames out of a read buffer that is reused at once: frames come out
// whole, in order and byte for byte however the stream is cut (a size prefix split across reads
// included), the lent buffer may be overwritten right after each push, a frame larger than the
// first allocation grows as it arrives, a given allocator (a pool) supplies every frame's memory
// but a huge one's, and a negative size is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameAssembler } from '../../../src/client/frame-assembler.js';
import { Prng } from '../../helpers/prng.js';

function framed(payloads: Buffer[]): Buffer {
  return Buffer.concat(payloads.flatMap((p) => {
    const size = Buffer.alloc(4);
    size.writeInt32BE(p.length);
    return [size, p];
  }));
}

function payload(rng: Prng, size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = rng.int(256);
  return b;
}

/** Feeds `stream` through one reused buffer in pieces of random sizes, scribbling over it after each push. */
function feed(stream: Buffer, rng: Prng, maxPiece: number): Buffer[] {
  const lent = Buffer.allocUnsafe(maxPiece);
  const assembler = new FrameAssembler();
  const out: Buffer[] = [];
  for (let at = 0; at < stream.length; ) {
    const n = Math.min(1 + rng.int(maxPiece), stream.length - at);
    stream.copy(lent, 0, at, at + n);
    out.push(...assembler.push(lent.subarray(0, n)));
    lent.fill(0xee);
    at += n;
  }
  return out;
}

for (const seed of [1, 2, 3, 4]) {
  test(`frames of many sizes cut into random pieces come out whole and in order (seed ${seed})`, () => {
    const rng = new Prng(seed);
    const sizes = [0, 1, 3, 4, 5, 100, 4095, 4096, 70_000, 300_000, ...Array.from({ length: 40 }, () => rng.int(20_000))];
    const payloads = sizes.map((s) => payload(rng, s));
    const got = feed(framed(payloads), rng, seed % 2 === 0 ? 7 : 65_536);
    assert.equal(got.length, payloads.length);
    for (let i = 0; i < payloads.length; i++) assert.ok(got[i].equals(payloads[i]), `frame ${i} (${payloads[i].length} bytes)`);
  });
}

test('a frame larger than the first allocation grows as its bytes arrive and comes out exact', () => {
  const rng = new Prng(9);
  const big = payload(rng, 40 * 1024 * 1024 + 17);
  const small = payload(rng, 10);
  const got = feed(framed([big, small]), rng, 256 * 1024);
  assert.equal(got.length, 2);
  assert.equal(got[0].length, big.length);
  assert.ok(got[0].equals(big));
  assert.ok(got[1].equals(small));
});

test('a declared size is not allocated before its bytes arrive', () => {
  const assembler = new FrameAssembler();
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(0x7fffffff);
  const before = process.memoryUsage().arrayBuffers;
  assert.deepEqual(assembler.push(Buffer.concat([prefix, Buffer.from('abc')])), []);
  const grew = process.memoryUsage().arrayBuffers - before;
  assert.ok(grew < 64 * 1024 * 1024, `a 2 GiB size prefix and 3 bytes allocated ${grew} bytes`);
});

test('a negative frame size is refused', () => {
  const assembler = new FrameAssembler();
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(-5);
  assert.throws(() => assembler.push(prefix), /negative size -5/);
});

test('frames are cut into memory from the given allocator, except one larger than the first allocation', () => {
  const rng = new Prng(11);
  const asked: number[] = [];
  const arena = Buffer.alloc(1 << 20);
  let used = 0;
  const assembler = new FrameAssembler((size) => {
    asked.push(size);
    const b = arena.subarray(used, used + size);
    used += size;
    return b;
  });
  const payloads = [payload(rng, 200_000), payload(rng, 0), payload(rng, 5), payload(rng, 300_000)];
  const huge = payload(rng, 17 * 1024 * 1024);
  const got = assembler.push(framed([...payloads, huge]));
  assert.deepEqual(asked, [200_000, 0, 5, 300_000], 'one allocation per frame, of its exact size; none for the 17 MiB frame');
  assert.equal(got.length, 5);
  for (let i = 0; i < payloads.length; i++) {
    assert.ok(got[i].equals(payloads[i]), `frame ${i}`);
    if (payloads[i].length > 0) assert.equal(got[i].buffer, arena.buffer, `frame ${i} lives in the allocator's memory`);
  }
  assert.ok(got[4].equals(huge));
  assert.notEqual(got[4].buffer, arena.buffer);
});
