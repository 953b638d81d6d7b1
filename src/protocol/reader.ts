import { DecodeError } from './codec-errors.js';

/**
 * Most array elements (and tagged fields) one message may decode to. A length is already refused
 * when it exceeds the bytes left, but elements can be as small as two bytes while each becomes a
 * JavaScript object of tens of bytes: without a cap, a 100 MiB frame of empty topic names would
 * decode to gigabytes and take the process down. No real request comes near a million elements
 * (Kafka advises a few thousand partitions per broker).
 */
export const MAX_ELEMENTS_PER_MESSAGE = 1 << 20;

/** The elements a message may still decode to, shared by the readers of one message. */
export interface ElementBudget {
  left: number;
}

/**
 * A bounds-checked cursor over one Kafka message. Every read checks that its bytes are there,
 * and every length read from the wire is checked against the bytes that remain before anything
 * is allocated, so a hostile length can cost at most the size of the frame that carried it.
 *
 * Array lengths also draw on an element budget shared by every reader of the same message
 * (MAX_ELEMENTS_PER_MESSAGE), which bounds what a message costs once decoded.
 *
 * `bytes`/`records` values are returned as views into the underlying buffer (no copy): they stay
 * valid as long as the frame buffer is not reused.
 */
export class Reader {
  offset: number;
  readonly end: number;

  constructor(
    readonly buf: Buffer,
    offset = 0,
    end = buf.length,
    readonly budget: ElementBudget = { left: MAX_ELEMENTS_PER_MESSAGE },
  ) {
    this.offset = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  private need(n: number, what: string): void {
    if (this.end - this.offset < n) {
      throw new DecodeError(`truncated: ${what} needs ${n} bytes at offset ${this.offset}, ${this.end - this.offset} left`);
    }
  }

  int8(): number {
    this.need(1, 'int8');
    return this.buf.readInt8(this.offset++);
  }

  uint8(): number {
    this.need(1, 'uint8');
    return this.buf[this.offset++];
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  int16(): number {
    this.need(2, 'int16');
    const v = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  uint16(): number {
    this.need(2, 'uint16');
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  int32(): number {
    this.need(4, 'int32');
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  uint32(): number {
    this.need(4, 'uint32');
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  int64(): bigint {
    this.need(8, 'int64');
    const v = this.buf.readBigInt64BE(this.offset);
    this.offset += 8;
    return v;
  }

  float64(): number {
    this.need(8, 'float64');
    const v = this.buf.readDoubleBE(this.offset);
    this.offset += 8;
    return v;
  }

  /** A UUID, as Kafka prints it: 16 bytes in URL-safe base64 without padding (22 characters). */
  uuid(): string {
    this.need(16, 'uuid');
    const v = this.buf.toString('base64url', this.offset, this.offset + 16);
    this.offset += 16;
    return v;
  }

  /** Unsigned LEB128 varint of at most 5 bytes (a 32-bit value), as Kafka's flexible versions use. */
  unsignedVarint(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      this.need(1, 'varint');
      const b = this.buf[this.offset++];
      if (i === 4 && b > 0x0f) throw new DecodeError(`varint overflows 32 bits at offset ${this.offset - 1}`);
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result >>> 0;
      shift += 7;
    }
    throw new DecodeError(`varint longer than 5 bytes at offset ${this.offset}`);
  }

  /** Zig-zag signed varint (32-bit), as used inside records. */
  varint(): number {
    const raw = this.unsignedVarint();
    return (raw >>> 1) ^ -(raw & 1);
  }

  /**
   * Zig-zag signed varlong (64-bit) of at most 10 bytes, returned as a number: record timestamp
   * and offset deltas fit in 53 bits in practice; larger magnitudes are rejected, not rounded.
   */
  varlong(): number {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      this.need(1, 'varlong');
      const b = this.buf[this.offset++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) {
        const signed = (result >> 1n) ^ -(result & 1n);
        if (signed > BigInt(Number.MAX_SAFE_INTEGER) || signed < BigInt(Number.MIN_SAFE_INTEGER)) {
          throw new DecodeError(`varlong out of the safe integer range at offset ${this.offset}`);
        }
        return Number(signed);
      }
      shift += 7n;
    }
    throw new DecodeError(`varlong longer than 10 bytes at offset ${this.offset}`);
  }

  /** Length of a compact (flexible) string, bytes or array: the varint holds N+1, 0 means null (-1). */
  compactLength(): number {
    return this.unsignedVarint() - 1;
  }

  private checkedLength(len: number, nullable: boolean, what: string, minElementSize = 1): number {
    if (len < 0) {
      if (len === -1 && nullable) return -1;
      throw new DecodeError(`${what}: ${len === -1 ? 'null where the field is not nullable' : `negative length ${len}`} at offset ${this.offset}`);
    }
    if (len * minElementSize > this.remaining) {
      throw new DecodeError(`${what}: length ${len} exceeds the ${this.remaining} bytes left at offset ${this.offset}`);
    }
    return len;
  }

  private utf8(len: number): string {
    const v = this.buf.toString('utf8', this.offset, this.offset + len);
    this.offset += len;
    return v;
  }

  private slice(len: number): Buffer {
    const v = this.buf.subarray(this.offset, this.offset + len);
    this.offset += len;
    return v;
  }

  string(): string {
    return this.utf8(this.checkedLength(this.int16(), false, 'string'));
  }

  nullableString(): string | null {
    const len = this.checkedLength(this.int16(), true, 'string');
    return len < 0 ? null : this.utf8(len);
  }

  compactString(): string {
    return this.utf8(this.checkedLength(this.compactLength(), false, 'compact string'));
  }

  compactNullableString(): string | null {
    const len = this.checkedLength(this.compactLength(), true, 'compact string');
    return len < 0 ? null : this.utf8(len);
  }

  bytes(): Buffer {
    return this.slice(this.checkedLength(this.int32(), false, 'bytes'));
  }

  nullableBytes(): Buffer | null {
    const len = this.checkedLength(this.int32(), true, 'bytes');
    return len < 0 ? null : this.slice(len);
  }

  compactBytes(): Buffer {
    return this.slice(this.checkedLength(this.compactLength(), false, 'compact bytes'));
  }

  compactNullableBytes(): Buffer | null {
    const len = this.checkedLength(this.compactLength(), true, 'compact bytes');
    return len < 0 ? null : this.slice(len);
  }

  /** Raw bytes of a known length (tagged field bodies, record keys and values). */
  raw(len: number): Buffer {
    this.need(len, 'raw bytes');
    return this.slice(len);
  }

  /**
   * Element count of an array: every element occupies at least one byte, so a count larger than
   * the bytes left is malformed and is refused before any allocation. Returns -1 for null.
   */
  arrayLength(nullable: boolean): number {
    return this.spend(this.checkedLength(this.int32(), nullable, 'array'));
  }

  compactArrayLength(nullable: boolean): number {
    return this.spend(this.checkedLength(this.compactLength(), nullable, 'compact array'));
  }

  /** Takes `elements` from the message's element budget; refuses a message that would exceed it. */
  spend(elements: number): number {
    if (elements <= 0) return elements;
    if (elements > this.budget.left) {
      throw new DecodeError(`message decodes to more than ${MAX_ELEMENTS_PER_MESSAGE} array elements (at offset ${this.offset})`);
    }
    this.budget.left -= elements;
    return elements;
  }

  /** Elements decoded so far by the readers of this message. */
  get elementsDecoded(): number {
    return MAX_ELEMENTS_PER_MESSAGE - this.budget.left;
  }
}
