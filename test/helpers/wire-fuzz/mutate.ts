/**
 * Mutations of request frames, as a buggy or hostile client would send them: bit flips,
 * truncation, inserted and deleted bytes, inflated length fields (string, array and bytes
 * lengths, varints), hostile integers, out-of-range API keys and versions, random header fields,
 * frames spliced from two requests; and on the wire: lying size prefixes, glued frames, bad
 * prefixes. Everything is drawn from a seeded Rng, so a round replays from its seed.
 */
import type { Rng } from '../protocol-samples.js';

const HOSTILE_INT32 = [0x7fffffff, -0x80000000, -2, -1, 0x10000000, 0x00ffffff, 65536, 1 << 20];
const HOSTILE_INT16 = [0x7fff, -0x8000, -2, -1, 0x7ffe, 0x4000];
/** Varints: 2^32-1, an overflowing fifth byte, one byte too long, and a large count. */
const HOSTILE_VARINTS = [
  [0xff, 0xff, 0xff, 0xff, 0x0f],
  [0xff, 0xff, 0xff, 0xff, 0x7f],
  [0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
  [0xff, 0xff, 0xff, 0x07],
  [0x80, 0x80, 0x04],
];
const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff];

interface LengthField {
  offset: number;
  kind: 'int16' | 'int32' | 'varint';
}

const candidateCache = new WeakMap<Buffer, LengthField[]>();

function printable(buf: Buffer, from: number, len: number): boolean {
  if (from + len > buf.length) return false;
  for (let i = from; i < from + len; i++) if (buf[i] < 0x20 || buf[i] > 0x7e) return false;
  return true;
}

/**
 * Places in a frame that look like length fields: an int16 or a one-byte compact length followed
 * by that many printable bytes (a string), or a small int32 (an array count or a bytes length).
 */
export function lengthFieldCandidates(frame: Buffer): LengthField[] {
  const cached = candidateCache.get(frame);
  if (cached) return cached;
  const out: LengthField[] = [];
  for (let i = 8; i + 1 < frame.length; i++) {
    const i16 = frame.readInt16BE(i);
    if (i16 > 0 && i16 < 256 && printable(frame, i + 2, i16)) out.push({ offset: i, kind: 'int16' });
    const b = frame[i];
    if (b > 1 && b < 128 && printable(frame, i + 1, b - 1)) out.push({ offset: i, kind: 'varint' });
    if (i + 3 < frame.length) {
      const i32 = frame.readInt32BE(i);
      if (i32 > 0 && i32 <= 1024) out.push({ offset: i, kind: 'int32' });
    }
  }
  candidateCache.set(frame, out);
  return out;
}

/** Writes a value wrapped into the int16 / int32 range (a mutation may step past either end). */
function put16(buf: Buffer, value: number, offset: number): void {
  buf.writeInt16BE((value << 16) >> 16, offset);
}

function put32(buf: Buffer, value: number, offset: number): void {
  buf.writeInt32BE(value | 0, offset);
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)];
}

function splice(frame: Buffer, at: number, remove: number, insert: Buffer | number[]): Buffer {
  return Buffer.concat([frame.subarray(0, at), Buffer.from(insert), frame.subarray(Math.min(frame.length, at + remove))]);
}

type Mutation = (frame: Buffer, rng: Rng, seeds: readonly Buffer[]) => Buffer;

const MUTATIONS: Record<string, Mutation> = {
  bitFlips(frame, rng) {
    const out = Buffer.from(frame);
    for (let k = 1 + rng.int(8); k > 0 && out.length > 0; k--) out[rng.int(out.length)] ^= 1 << rng.int(8);
    return out;
  },
  interestingByte(frame, rng) {
    const out = Buffer.from(frame);
    if (out.length > 0) out[rng.int(out.length)] = pick(rng, INTERESTING_BYTES);
    return out;
  },
  truncate(frame, rng) {
    return frame.subarray(0, rng.int(frame.length));
  },
  insertBytes(frame, rng) {
    return splice(frame, rng.int(frame.length + 1), 0, rng.bytes(1 + rng.int(32)));
  },
  deleteBytes(frame, rng) {
    return splice(frame, rng.int(frame.length), 1 + rng.int(32), []);
  },
  duplicateRange(frame, rng) {
    if (frame.length < 2) return frame;
    const from = rng.int(frame.length - 1);
    const len = 1 + rng.int(Math.min(64, frame.length - from));
    return splice(frame, from, 0, frame.subarray(from, from + len));
  },
  inflateLength(frame, rng) {
    const candidates = lengthFieldCandidates(frame);
    if (candidates.length === 0) return MUTATIONS.hostileInt(frame, rng, []);
    const field = pick(rng, candidates);
    const out = Buffer.from(frame);
    if (field.kind === 'int16') put16(out, rng.chance(0.3) ? out.readInt16BE(field.offset) + 1 + rng.int(8) : pick(rng, HOSTILE_INT16), field.offset);
    else if (field.kind === 'int32') put32(out, rng.chance(0.3) ? out.readInt32BE(field.offset) + 1 + rng.int(1000) : pick(rng, HOSTILE_INT32), field.offset);
    else return splice(frame, field.offset, 1, pick(rng, HOSTILE_VARINTS));
    return out;
  },
  hostileInt(frame, rng) {
    const out = Buffer.from(frame);
    if (out.length >= 12 && rng.chance(0.5)) put32(out, pick(rng, HOSTILE_INT32), 8 + rng.int(out.length - 11));
    else if (out.length >= 10) put16(out, pick(rng, HOSTILE_INT16), 8 + rng.int(out.length - 9));
    return out;
  },
  hostileVarint(frame, rng) {
    return splice(frame, 8 + rng.int(Math.max(1, frame.length - 8)), rng.int(3), pick(rng, HOSTILE_VARINTS));
  },
  apiVersion(frame, rng) {
    const out = Buffer.from(frame);
    if (out.length >= 4) put16(out, pick(rng, [-1, 0x7fff, -0x8000, rng.int(30), rng.int(65536) - 32768, out.readInt16BE(2) + 1]), 2);
    return out;
  },
  apiKey(frame, rng) {
    const out = Buffer.from(frame);
    if (out.length >= 2) put16(out, pick(rng, [-1, 0x7fff, rng.int(100), rng.int(70), rng.int(65536) - 32768]), 0);
    return out;
  },
  headerFields(frame, rng) {
    const out = Buffer.from(frame);
    if (out.length >= 8) put32(out, rng.int(2 ** 32) | 0, 4);
    // The client id's int16 length: null, hostile, or a bit off.
    if (out.length >= 10) put16(out, pick(rng, [-1, -2, 0x7fff, 0, out.readInt16BE(8) + 1, out.readInt16BE(8) - 1]), 8);
    return out;
  },
  spliceRequests(frame, rng, seeds) {
    const other = pick(rng, seeds);
    const cut = rng.int(frame.length + 1);
    return Buffer.concat([frame.subarray(0, cut), other.subarray(Math.min(other.length, 8 + rng.int(Math.max(1, other.length - 8))))]);
  },
  swapBody(frame, rng, seeds) {
    // This frame's header (key, version) on another request's body: decoding with the wrong schema.
    const other = pick(rng, seeds);
    return Buffer.concat([frame.subarray(0, Math.min(frame.length, 10)), other.subarray(Math.min(other.length, 10))]);
  },
};

const NAMES = Object.keys(MUTATIONS);

/** One to three stacked mutations of `frame`; returns the new frame and the names applied. */
export function mutateFrame(frame: Buffer, rng: Rng, seeds: readonly Buffer[]): { frame: Buffer; applied: string[] } {
  let out = frame;
  const applied: string[] = [];
  for (let n = 1 + (rng.chance(0.3) ? rng.int(3) : 0); n > 0; n--) {
    const name = pick(rng, NAMES);
    out = MUTATIONS[name](out, rng, seeds);
    applied.push(name);
  }
  return { frame: out, applied };
}

function sizePrefix(size: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(size | 0, 0);
  return b;
}

export interface WireFrame {
  bytes: Buffer;
  /** The size prefix does not match the bytes: the broker may rightly wait for more. */
  lying: boolean;
  applied: string[];
}

/**
 * Puts a frame on the wire, usually with its true size prefix; sometimes with a prefix that lies
 * (larger or smaller), glued to the next frame under one prefix, or with an invalid prefix.
 */
export function onWire(frame: Buffer, next: Buffer, rng: Rng, applied: string[]): WireFrame {
  const roll = rng.next();
  if (roll < 0.85) return { bytes: Buffer.concat([sizePrefix(frame.length), frame]), lying: false, applied };
  if (roll < 0.9) {
    const size = frame.length + (rng.chance(0.7) ? 1 + rng.int(64) : 1 + rng.int(1 << 20));
    return { bytes: Buffer.concat([sizePrefix(size), frame]), lying: true, applied: [...applied, 'prefixTooLarge'] };
  }
  if (roll < 0.94) {
    const size = Math.max(0, frame.length - 1 - rng.int(Math.max(1, frame.length)));
    return { bytes: Buffer.concat([sizePrefix(size), frame]), lying: true, applied: [...applied, 'prefixTooSmall'] };
  }
  if (roll < 0.98) return { bytes: Buffer.concat([sizePrefix(frame.length + next.length), frame, next]), lying: false, applied: [...applied, 'gluedFrames'] };
  const bad = pick(rng, [0, -1, -0x80000000, 0x7fffffff, 200 * 1024 * 1024]);
  return { bytes: Buffer.concat([sizePrefix(bad), frame]), lying: true, applied: [...applied, 'badPrefix'] };
}
