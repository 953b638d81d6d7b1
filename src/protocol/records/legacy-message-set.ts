/**
 * Message sets of magic 0 and 1, as Produce v0-2 carries them (pre-0.11 clients), read so they
 * can be up-converted to a RecordBatch v2 before they reach the log:
 *
 *   message set  [offset int64 | message size int32 | message]...
 *   message      crc uint32 (CRC-32 of magic..end) | magic int8 | attributes int8 (bits 0-2 codec,
 *                bit 3 log-append time, magic 1) | timestamp int64 (magic 1 only)
 *                | key bytes (int32 length, -1 null) | value bytes (int32 length, -1 null)
 *
 * A compressed message's value is itself a message set (the "wrapper"); it is opened one level.
 */
import { crc32 } from './crc.js';
import { DecodeError } from '../codec-errors.js';
import { Reader } from '../reader.js';
import { codecFor } from '../compression/index.js';
import { withProperHeaderChecksum } from '../compression/lz4-legacy-framing.js';
import { CompressionType } from './record-batch.js';
import type { NewRecord } from './batch-records.js';

export interface LegacyMessages {
  records: NewRecord[];
  compression: number;
  magic: number;
}

interface RawMessage {
  magic: number;
  attributes: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
}

function readMessages(bytes: Buffer): RawMessage[] {
  const r = new Reader(bytes);
  const out: RawMessage[] = [];
  while (r.remaining > 0) {
    if (r.remaining < 12) break; // a partial trailing message is allowed by the old protocol
    r.int64();
    const size = r.int32();
    if (size < 14 || size > r.remaining) {
      if (size > r.remaining) break;
      throw new DecodeError(`legacy message of ${size} bytes`);
    }
    const m = new Reader(bytes, r.offset, r.offset + size);
    r.offset += size;
    const crc = m.uint32();
    if ((crc32(bytes.subarray(m.offset, m.end)) >>> 0) !== crc) throw new DecodeError('legacy message fails its CRC-32');
    const magic = m.int8();
    if (magic !== 0 && magic !== 1) throw new DecodeError(`legacy message magic ${magic}`);
    const attributes = m.int8();
    const timestamp = magic === 1 ? Number(m.int64()) : -1;
    out.push({ magic, attributes, timestamp, key: m.nullableBytes(), value: m.nullableBytes() });
  }
  return out;
}

/** Reads a magic 0/1 message set (opening compressed wrappers); throws DecodeError when malformed. */
export async function readLegacyMessageSet(bytes: Buffer, maxDecompressedBytes: number): Promise<LegacyMessages> {
  const records: NewRecord[] = [];
  let compression = 0;
  let magic = 0;
  for (const m of readMessages(bytes)) {
    magic = m.magic;
    const codec = m.attributes & 0x07;
    if (codec === 0) {
      records.push({ key: m.key, value: m.value, timestamp: m.timestamp });
      continue;
    }
    compression = codec;
    if (m.value === null) throw new DecodeError('compressed legacy message without a value');
    // Magic 0 LZ4 frames carry Kafka's old header checksum, which Kafka ignores for magic 0.
    const compressed = codec === CompressionType.Lz4 && m.magic === 0 ? withProperHeaderChecksum(m.value) : m.value;
    const inner = readMessages(await codecFor(codec).decompress(compressed, maxDecompressedBytes));
    const logAppendTime = (m.attributes & 0x08) !== 0;
    for (const i of inner) records.push({ key: i.key, value: i.value, timestamp: logAppendTime ? m.timestamp : i.timestamp });
  }
  if (records.length === 0) throw new DecodeError('empty legacy message set');
  return { records, compression, magic };
}
