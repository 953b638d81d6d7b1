/**
 * Writing magic 0 and 1 messages (the layout is drawn in legacy-message-set.ts), for consumers
 * that fetch with versions below 4 and for tests. Sizes are computed first and each message set
 * is written into one buffer: no per-record allocation.
 */
import { crc32 } from './crc.js';

export type LegacyMagic = 0 | 1;

/** Offset int64 and message size int32 before every message. */
export const LEGACY_LOG_OVERHEAD = 12;

/** attributes bits 0-2: the codec of a wrapper message's value. */
export const LEGACY_COMPRESSION_MASK = 0x07;
/** attributes bit 3 (magic 1): the timestamp is the broker's log append time. */
export const LEGACY_LOG_APPEND_TIME = 0x08;

export interface LegacyMessage {
  offset: bigint;
  attributes: number;
  /** Ignored for magic 0, which has no timestamp. */
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
}

/** Bytes of a message including its offset and size fields. */
export function legacyEntrySize(magic: LegacyMagic, key: Buffer | null, value: Buffer | null): number {
  // crc 4 + magic 1 + attributes 1 + [timestamp 8] + key length 4 + key + value length 4 + value
  return LEGACY_LOG_OVERHEAD + 14 + (magic === 1 ? 8 : 0) + (key?.length ?? 0) + (value?.length ?? 0);
}

function writeBytes(out: Buffer, at: number, b: Buffer | null): number {
  if (b === null) {
    out.writeInt32BE(-1, at);
    return at + 4;
  }
  out.writeInt32BE(b.length, at);
  b.copy(out, at + 4);
  return at + 4 + b.length;
}

/** Writes one message (offset, size, crc, body) at `at`; returns the position after it. */
export function writeLegacyMessage(out: Buffer, at: number, magic: LegacyMagic, m: LegacyMessage): number {
  const size = legacyEntrySize(magic, m.key, m.value) - LEGACY_LOG_OVERHEAD;
  out.writeBigInt64BE(m.offset, at);
  out.writeInt32BE(size, at + 8);
  const crcAt = at + LEGACY_LOG_OVERHEAD;
  let p = crcAt + 4;
  out.writeInt8(magic, p++);
  out.writeInt8(m.attributes, p++);
  if (magic === 1) {
    out.writeBigInt64BE(m.timestamp, p);
    p += 8;
  }
  p = writeBytes(out, p, m.key);
  p = writeBytes(out, p, m.value);
  // CRC-32 (IEEE) from the magic byte to the end of the message.
  out.writeUInt32BE(crc32(out.subarray(crcAt + 4, p)) >>> 0, crcAt);
  return p;
}

/** A message set of `messages`, one buffer. */
export function encodeLegacyMessageSet(magic: LegacyMagic, messages: readonly LegacyMessage[]): Buffer {
  let size = 0;
  for (const m of messages) size += legacyEntrySize(magic, m.key, m.value);
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const m of messages) at = writeLegacyMessage(out, at, magic, m);
  return out;
}
