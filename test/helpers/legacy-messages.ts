/**
 * A reader of magic 0/1 message sets for tests, written from the protocol guide independently of
 * the broker's writer: it checks each CRC-32, opens compressed wrappers and gives every message
 * its absolute offset (magic 1 wrappers hold offsets relative to their first message).
 */
import { crc32 } from '@node-rs/crc32';
import { codecFor } from '../../src/protocol/compression/index.js';
import { withProperHeaderChecksum } from '../../src/protocol/compression/lz4-legacy-framing.js';

export interface Wrapper {
  offset: bigint;
  codec: number;
  timestamp: bigint | null;
  logAppendTime: boolean;
  /** The compressed value as sent (LZ4 frames: to check their header checksum). */
  value: Buffer;
  /** The inner messages' offsets as written (relative for magic 1). */
  innerOffsets: bigint[];
}

export interface LegacyRead {
  offset: bigint;
  magic: number;
  /** null for magic 0. */
  timestamp: bigint | null;
  logAppendTime: boolean;
  key: string | null;
  value: string | null;
  wrapper: Wrapper | null;
}

interface Raw {
  offset: bigint;
  magic: number;
  attributes: number;
  timestamp: bigint | null;
  key: Buffer | null;
  value: Buffer | null;
}

function bytesAt(b: Buffer, at: number): [Buffer | null, number] {
  const len = b.readInt32BE(at);
  if (len < 0) return [null, at + 4];
  return [b.subarray(at + 4, at + 4 + len), at + 4 + len];
}

/** The whole messages of a set; a partial message at the end (allowed before Fetch v4) is counted, not read. */
export function rawMessages(set: Buffer): { messages: Raw[]; partialTail: boolean } {
  const messages: Raw[] = [];
  let at = 0;
  while (at < set.length) {
    if (set.length - at < 12) return { messages, partialTail: true };
    const offset = set.readBigInt64BE(at);
    const size = set.readInt32BE(at + 8);
    const start = at + 12;
    if (start + size > set.length) return { messages, partialTail: true };
    const crc = set.readUInt32BE(start);
    if ((crc32(set.subarray(start + 4, start + size)) >>> 0) !== crc) throw new Error(`message at offset ${offset} fails its CRC-32`);
    const magic = set.readInt8(start + 4);
    const attributes = set.readInt8(start + 5);
    let p = start + 6;
    let timestamp: bigint | null = null;
    if (magic === 1) {
      timestamp = set.readBigInt64BE(p);
      p += 8;
    }
    const [key, afterKey] = bytesAt(set, p);
    const [value, end] = bytesAt(set, afterKey);
    if (end !== start + size) throw new Error(`message at offset ${offset}: ${start + size - end} bytes left over`);
    messages.push({ offset, magic, attributes, timestamp, key, value });
    at = start + size;
  }
  return { messages, partialTail: false };
}

const text = (b: Buffer | null) => (b === null ? null : b.toString());

/** Every record of a message set, wrappers opened, with absolute offsets. */
export async function readLegacySet(set: Buffer): Promise<LegacyRead[]> {
  const out: LegacyRead[] = [];
  for (const m of rawMessages(set).messages) {
    const codec = m.attributes & 0x07;
    const logAppendTime = m.magic === 1 && (m.attributes & 0x08) !== 0;
    if (codec === 0) {
      out.push({ offset: m.offset, magic: m.magic, timestamp: m.timestamp, logAppendTime, key: text(m.key), value: text(m.value), wrapper: null });
      continue;
    }
    if (m.value === null) throw new Error('a wrapper without a value');
    const frame = codec === 3 && m.magic === 0 ? withProperHeaderChecksum(m.value) : m.value;
    const inner = rawMessages(await codecFor(codec).decompress(frame, 1 << 26));
    if (inner.partialTail) throw new Error('a wrapper holds a partial message');
    const last = inner.messages[inner.messages.length - 1].offset;
    const wrapper: Wrapper = { offset: m.offset, codec, timestamp: m.timestamp, logAppendTime, value: m.value, innerOffsets: inner.messages.map((i) => i.offset) };
    for (const i of inner.messages) {
      const offset = m.magic === 1 ? m.offset - (last - i.offset) : i.offset;
      out.push({ offset, magic: i.magic, timestamp: i.timestamp, logAppendTime: i.magic === 1 && (i.attributes & 0x08) !== 0, key: text(i.key), value: text(i.value), wrapper });
    }
  }
  return out;
}
