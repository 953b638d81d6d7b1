/**
 * Records inside a batch (magic 2), after decompression of the records section:
 *
 *   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint
 *   | keyLength varint (-1 null) | key | valueLength varint (-1 null) | value
 *   | headerCount varint | headers: keyLength varint | key (UTF-8) | valueLength varint (-1 null) | value
 *
 * All varints zig-zag encoded. Every length is checked against the bytes of its record.
 */
import { DecodeError } from '../codec-errors.js';
import { Reader } from '../reader.js';
import { Writer } from '../writer.js';

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface KafkaRecord {
  attributes: number;
  timestampDelta: number;
  offsetDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

function bytesOrNull(r: Reader, what: string): Buffer | null {
  const len = r.varint();
  if (len < -1) throw new DecodeError(`record ${what} length ${len}`);
  return len === -1 ? null : r.raw(len);
}

/** Reads `count` records from `records` (the uncompressed records section). */
export function* decodeRecords(records: Buffer, count: number): Generator<KafkaRecord> {
  const r = new Reader(records);
  for (let i = 0; i < count; i++) {
    const len = r.varint();
    if (len < 0 || len > r.remaining) throw new DecodeError(`record ${i}: length ${len} with ${r.remaining} bytes left`);
    const rec = new Reader(records, r.offset, r.offset + len);
    r.offset += len;
    const attributes = rec.int8();
    const timestampDelta = rec.varlong();
    const offsetDelta = rec.varint();
    const key = bytesOrNull(rec, 'key');
    const value = bytesOrNull(rec, 'value');
    const headerCount = rec.varint();
    if (headerCount < 0 || headerCount > rec.remaining) throw new DecodeError(`record ${i}: ${headerCount} headers in ${rec.remaining} bytes`);
    const headers: RecordHeader[] = [];
    for (let h = 0; h < headerCount; h++) {
      const keyLen = rec.varint();
      if (keyLen < 0) throw new DecodeError(`record ${i}: header key length ${keyLen}`);
      const hk = rec.raw(keyLen).toString('utf8');
      headers.push({ key: hk, value: bytesOrNull(rec, 'header value') });
    }
    if (rec.remaining !== 0) throw new DecodeError(`record ${i}: ${rec.remaining} bytes left over`);
    yield { attributes, timestampDelta, offsetDelta, key, value, headers };
  }
  if (r.remaining !== 0) throw new DecodeError(`${r.remaining} bytes after the last of ${count} records`);
}

function writeBytesOrNull(w: Writer, b: Buffer | null): void {
  if (b === null) w.varint(-1);
  else {
    w.varint(b.length);
    w.raw(b);
  }
}

/** Encodes one record with its length prefix. */
export function encodeRecord(w: Writer, rec: KafkaRecord): void {
  const body = new Writer(64 + (rec.key?.length ?? 0) + (rec.value?.length ?? 0));
  body.int8(rec.attributes);
  body.varlong(rec.timestampDelta);
  body.varint(rec.offsetDelta);
  writeBytesOrNull(body, rec.key);
  writeBytesOrNull(body, rec.value);
  body.varint(rec.headers.length);
  for (const h of rec.headers) {
    const k = Buffer.from(h.key, 'utf8');
    body.varint(k.length);
    body.raw(k);
    writeBytesOrNull(body, h.value);
  }
  const bytes = body.toBuffer();
  w.varint(bytes.length);
  w.raw(bytes);
}
