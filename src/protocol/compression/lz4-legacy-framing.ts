/**
 * The LZ4 frame header as Kafka writes it for magic 0 message sets. Kafka's first LZ4 stream
 * (0.8.2-0.9) computed the header checksum HC over the frame magic as well as the descriptor:
 *
 *   frame   04 22 4d 18 | FLG | BD | [content size uint64 LE, FLG bit 3] | HC | blocks...
 *   HC      (xxHash32(bytes, seed 0) >> 8) & 0xff over FLG..the byte before HC (LZ4's rule),
 *           over 04 22 4d 18 FLG..the byte before HC for magic 0 (Kafka's old rule, KAFKA-3160)
 *
 * Kafka kept the broken checksum for magic 0 (Lz4BlockOutputStream's useBrokenFlagDescriptorChecksum)
 * so that the clients of that time, which check it that way, read what it sends; its reader ignores
 * HC for magic 0. Magic 1 frames are standard LZ4 frames.
 */
import { CompressionError } from './codec.js';

const FRAME_MAGIC_SIZE = 4;
const FLG_CONTENT_SIZE = 0x08;
const FLG_DICT_ID = 0x01;

const PRIME1 = 0x9e3779b1;
const PRIME2 = 0x85ebca77;
const PRIME3 = 0xc2b2ae3d;
const PRIME4 = 0x27d4eb2f;
const PRIME5 = 0x165667b1;

function rotl(v: number, bits: number): number {
  return ((v << bits) | (v >>> (32 - bits))) >>> 0;
}

function round(acc: number, lane: number): number {
  return Math.imul(rotl((acc + Math.imul(lane, PRIME2)) >>> 0, 13), PRIME1) >>> 0;
}

/** xxHash32 of `bytes` with seed 0 (the LZ4 frame format's checksum). */
export function xxhash32(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = bytes.length;
  let at = 0;
  let h: number;
  if (len >= 16) {
    let v1 = (PRIME1 + PRIME2) >>> 0;
    let v2 = PRIME2;
    let v3 = 0;
    let v4 = (0 - PRIME1) >>> 0;
    for (; at + 16 <= len; at += 16) {
      v1 = round(v1, view.getUint32(at, true));
      v2 = round(v2, view.getUint32(at + 4, true));
      v3 = round(v3, view.getUint32(at + 8, true));
      v4 = round(v4, view.getUint32(at + 12, true));
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) >>> 0;
  } else {
    h = PRIME5;
  }
  h = (h + len) >>> 0;
  for (; at + 4 <= len; at += 4) h = Math.imul(rotl((h + Math.imul(view.getUint32(at, true), PRIME3)) >>> 0, 17), PRIME4) >>> 0;
  for (; at < len; at++) h = Math.imul(rotl((h + Math.imul(bytes[at], PRIME5)) >>> 0, 11), PRIME1) >>> 0;
  h = Math.imul(h ^ (h >>> 15), PRIME2) >>> 0;
  h = Math.imul(h ^ (h >>> 13), PRIME3) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Where HC sits in a frame: after the frame magic, FLG, BD and the optional content size and dictionary id. */
function headerChecksumAt(frame: Buffer): number {
  if (frame.length < FRAME_MAGIC_SIZE + 3) throw new CompressionError('lz4: truncated frame header');
  const flg = frame[FRAME_MAGIC_SIZE];
  const at = FRAME_MAGIC_SIZE + 2 + (flg & FLG_CONTENT_SIZE ? 8 : 0) + (flg & FLG_DICT_ID ? 4 : 0);
  if (at >= frame.length) throw new CompressionError('lz4: truncated frame header');
  return at;
}

/** The frame's HC byte computed Kafka's magic-0 way (over the frame magic too). */
export function magic0HeaderChecksum(frame: Buffer): number {
  const at = headerChecksumAt(frame);
  return (xxhash32(frame.subarray(0, at)) >>> 8) & 0xff;
}

/** The frame's HC byte computed LZ4's way. */
export function properHeaderChecksum(frame: Buffer): number {
  const at = headerChecksumAt(frame);
  return (xxhash32(frame.subarray(FRAME_MAGIC_SIZE, at)) >>> 8) & 0xff;
}

/** A copy of a standard frame with Kafka's magic-0 header checksum, for a magic 0 wrapper message. */
export function withMagic0HeaderChecksum(frame: Buffer): Buffer {
  const out = Buffer.from(frame);
  out[headerChecksumAt(out)] = magic0HeaderChecksum(out);
  return out;
}

/** A copy of a frame (from a magic 0 message, HC written either way) with LZ4's own HC, so an LZ4 library reads it. */
export function withProperHeaderChecksum(frame: Buffer): Buffer {
  const out = Buffer.from(frame);
  out[headerChecksumAt(out)] = properHeaderChecksum(out);
  return out;
}
