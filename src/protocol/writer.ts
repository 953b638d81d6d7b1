import { EncodeError } from './codec-errors.js';

/** Byte fields at least this large are kept by reference rather than copied (record batches). */
const REFERENCE_THRESHOLD = 512;

/**
 * Builds one encoded message as a list of buffers, ready for `socket.writev`/`cork`. Small values
 * are written into a growing scratch buffer; large byte values (record batches) are appended by
 * reference, so produce and fetch payloads are never copied on their way through.
 */
export class Writer {
  private readonly chunks: Buffer[] = [];
  private buf: Buffer;
  private pos = 0;
  private chunkStart = 0;
  private flushed = 0;

  constructor(initialCapacity = 256) {
    this.buf = Buffer.allocUnsafe(initialCapacity);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.flushed + (this.pos - this.chunkStart);
  }

  private ensure(n: number): void {
    if (this.buf.length - this.pos >= n) return;
    this.flushScratch();
    this.buf = Buffer.allocUnsafe(Math.max(n, this.buf.length * 2, 256));
    this.pos = 0;
    this.chunkStart = 0;
  }

  private flushScratch(): void {
    if (this.pos > this.chunkStart) {
      this.chunks.push(this.buf.subarray(this.chunkStart, this.pos));
      this.flushed += this.pos - this.chunkStart;
      this.chunkStart = this.pos;
    }
  }

  int8(v: number): void {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos);
    this.pos += 1;
  }

  uint8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
  }

  bool(v: boolean): void {
    this.uint8(v ? 1 : 0);
  }

  int16(v: number): void {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
  }

  uint16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
  }

  int32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
  }

  uint32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
  }

  int64(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.pos);
    this.pos += 8;
  }

  float64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }

  /** A UUID in Kafka's printed form (URL-safe base64 of 16 bytes). */
  uuid(v: string): void {
    const bytes = Buffer.from(v, 'base64url');
    if (bytes.length !== 16) throw new EncodeError(`not a UUID: ${JSON.stringify(v)}`);
    this.rawCopy(bytes);
  }

  unsignedVarint(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new EncodeError(`unsigned varint out of range: ${v}`);
    this.ensure(5);
    let rest = v;
    while (rest >= 0x80) {
      this.buf[this.pos++] = (rest & 0x7f) | 0x80;
      rest = Math.floor(rest / 128);
    }
    this.buf[this.pos++] = rest;
  }

  /** Zig-zag signed varint (32-bit). */
  varint(v: number): void {
    this.unsignedVarint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  /** Zig-zag signed varlong from a safe integer. */
  varlong(v: number): void {
    let zz = v >= 0 ? BigInt(v) * 2n : BigInt(-v) * 2n - 1n;
    this.ensure(10);
    while (zz >= 0x80n) {
      this.buf[this.pos++] = Number(zz & 0x7fn) | 0x80;
      zz >>= 7n;
    }
    this.buf[this.pos++] = Number(zz);
  }

  compactLength(len: number): void {
    this.unsignedVarint(len + 1);
  }

  private utf8(v: string, len: number): void {
    this.ensure(len);
    this.pos += this.buf.write(v, this.pos, 'utf8');
  }

  string(v: string): void {
    const len = Buffer.byteLength(v, 'utf8');
    if (len > 0x7fff) throw new EncodeError(`string of ${len} bytes is longer than 32767`);
    this.int16(len);
    this.utf8(v, len);
  }

  nullableString(v: string | null): void {
    if (v === null) this.int16(-1);
    else this.string(v);
  }

  compactString(v: string): void {
    const len = Buffer.byteLength(v, 'utf8');
    if (len > 0x7fff) throw new EncodeError(`string of ${len} bytes is longer than 32767`);
    this.compactLength(len);
    this.utf8(v, len);
  }

  compactNullableString(v: string | null): void {
    if (v === null) this.unsignedVarint(0);
    else this.compactString(v);
  }

  bytes(v: Uint8Array): void {
    this.int32(v.length);
    this.raw(v);
  }

  nullableBytes(v: Uint8Array | null): void {
    if (v === null) this.int32(-1);
    else this.bytes(v);
  }

  compactBytes(v: Uint8Array): void {
    this.compactLength(v.length);
    this.raw(v);
  }

  compactNullableBytes(v: Uint8Array | null): void {
    if (v === null) this.unsignedVarint(0);
    else this.compactBytes(v);
  }

  arrayLength(len: number): void {
    this.int32(len);
  }

  compactArrayLength(len: number): void {
    this.compactLength(len);
  }

  /** Appends bytes: large ones by reference, small ones copied into the scratch buffer. */
  raw(v: Uint8Array): void {
    if (v.length >= REFERENCE_THRESHOLD) {
      this.flushScratch();
      this.chunks.push(Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.length));
      this.flushed += v.length;
    } else {
      this.rawCopy(v);
    }
  }

  private rawCopy(v: Uint8Array): void {
    this.ensure(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }

  /**
   * Reserves four bytes for an int32 filled in later (a frame's size prefix). The returned
   * function writes the value into the reserved place.
   */
  reserveInt32(): (value: number) => void {
    this.ensure(4);
    const target = this.buf;
    const at = this.pos;
    this.pos += 4;
    return (value: number) => {
      target.writeInt32BE(value, at);
    };
  }

  /** The encoded message as a list of buffers (no copy). The writer must not be used afterwards. */
  finish(): Buffer[] {
    this.flushScratch();
    return this.chunks;
  }

  /** The encoded message as one buffer (copies when there is more than one chunk). */
  toBuffer(): Buffer {
    const chunks = this.finish();
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, this.flushed);
  }
}
