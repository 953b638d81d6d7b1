/**
 * A bounded walk over the records of one batch (its records section, decompressed), reading the
 * fields a log validator needs and skipping keys, values and headers without copying them. Every
 * length is checked against the record it belongs to and every record against the section:
 *
 *   record  length varint | attributes int8 | timestampDelta varlong | offsetDelta varint
 *           | keyLength varint (-1 null) | key | valueLength varint (-1 null) | value
 *           | headerCount varint | headers: keyLength varint | key | valueLength varint (-1 null) | value
 *
 * The cursor allocates nothing per record, so validating a batch costs one pass over its bytes.
 */
import { DecodeError } from '../codec-errors.js';

/** A record that does not decode; `recordIndex` is its position in the batch. */
export class RecordFormatError extends DecodeError {
  override readonly name = 'RecordFormatError';
  constructor(
    readonly recordIndex: number,
    message: string,
  ) {
    super(message);
  }
}

/** 2^53: varlongs beyond the exactly representable range are refused rather than rounded. */
const SAFE_BOUND = 2 ** 53;

export class RecordCursor {
  /** Index of the current record in the batch, -1 before the first `next()`. */
  index = -1;
  attributes = 0;
  timestampDelta = 0;
  offsetDelta = 0;
  /** -1 for a null key. */
  keyLength = -1;
  private pos = 0;
  /** End of the current record's bytes. */
  private end = 0;

  /**
   * @param section the uncompressed records section of a batch
   * @param count the record count its header declares
   */
  constructor(
    private readonly section: Buffer,
    private readonly count: number,
  ) {}

  /**
   * Moves to the next record and reads its fields; returns false after the last declared record,
   * once it has checked that no bytes follow it. Throws RecordFormatError for a malformed record.
   */
  next(): boolean {
    if (this.index + 1 >= this.count) {
      if (this.pos !== this.section.length) {
        throw new RecordFormatError(this.index, `${this.section.length - this.pos} bytes follow the last of ${this.count} records declared by the batch header`);
      }
      return false;
    }
    this.index++;
    this.end = this.section.length;
    if (this.pos >= this.end) throw this.fail(`the batch header declares ${this.count} records but the records end after ${this.index}`);
    const length = this.varint('length');
    if (length < 0 || length > this.section.length - this.pos) throw this.fail(`length ${length} with ${this.section.length - this.pos} bytes left in the batch`);
    this.end = this.pos + length;
    this.attributes = this.byte('attributes');
    this.timestampDelta = this.varlong('timestamp delta');
    this.offsetDelta = this.varint('offset delta');
    this.keyLength = this.bytesField('key');
    this.bytesField('value');
    const headers = this.varint('header count');
    // Each header takes at least two bytes (two lengths), which bounds the loop by the bytes.
    if (headers < 0 || headers * 2 > this.end - this.pos) throw this.fail(`${headers} headers in ${this.end - this.pos} bytes`);
    for (let h = 0; h < headers; h++) {
      if (this.bytesField('header key') < 0) throw this.fail(`header ${h} has a null key`);
      this.bytesField('header value');
    }
    if (this.pos !== this.end) throw this.fail(`${this.end - this.pos} bytes left over inside the record`);
    return true;
  }

  private fail(message: string): RecordFormatError {
    return new RecordFormatError(this.index, `record ${this.index}: ${message}`);
  }

  private byte(what: string): number {
    if (this.pos >= this.end) throw this.fail(`truncated at its ${what}`);
    return this.section[this.pos++];
  }

  /** A length-prefixed byte string, skipped; returns its length (-1 for null). */
  private bytesField(what: string): number {
    const len = this.varint(`${what} length`);
    if (len < -1) throw this.fail(`${what} length ${len}`);
    if (len > this.end - this.pos) throw this.fail(`${what} of ${len} bytes overruns the record (${this.end - this.pos} left)`);
    if (len > 0) this.pos += len;
    return len;
  }

  /** Zig-zag varint of at most 5 bytes (32 bits), as Kafka writes record fields. */
  private varint(what: string): number {
    let raw = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte(what);
      raw |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return (raw >>> 1) ^ -(raw & 1);
    }
    throw this.fail(`${what} varint is longer than 5 bytes`);
  }

  /** Zig-zag varlong of at most 10 bytes, as a number; magnitudes of 2^53 and beyond are refused. */
  private varlong(what: string): number {
    let raw = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte(what);
      raw += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (raw >= SAFE_BOUND) throw this.fail(`${what} is beyond ±2^52`);
        // Zig-zag with arithmetic: bitwise operators would cut the value to 32 bits.
        return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
      }
      scale *= 128;
    }
    throw this.fail(`${what} varlong is longer than 10 bytes`);
  }
}
