import { DecodeError } from './codec-errors.js';
import { Reader } from './reader.js';
import type { Writer } from './writer.js';

/**
 * Tagged fields (KIP-482) close every struct of a flexible version:
 *
 *   count      unsigned varint
 *   count x    tag unsigned varint | size unsigned varint | size bytes of value
 *
 * Tags the codec does not know are kept as raw bytes, so a message decoded and encoded again
 * comes out identical.
 */
export interface RawTaggedField {
  readonly tag: number;
  readonly data: Buffer;
}

export const NO_TAGGED_FIELDS: readonly RawTaggedField[] = [];

/** Reads the count of tagged fields, refusing counts the remaining bytes cannot hold (two bytes each at least). */
export function readTaggedFieldCount(r: Reader): number {
  const n = r.unsignedVarint();
  if (n * 2 > r.remaining) throw new DecodeError(`tagged field count ${n} exceeds the ${r.remaining} bytes left`);
  return r.spend(n);
}

/** Reads one tagged field header and returns a reader bounded to the field's value; advances past it. */
export function readTaggedField(r: Reader): { tag: number; value: Reader } {
  const tag = r.unsignedVarint();
  const size = r.unsignedVarint();
  if (size > r.remaining) throw new DecodeError(`tagged field ${tag} of ${size} bytes exceeds the ${r.remaining} bytes left`);
  const value = new Reader(r.buf, r.offset, r.offset + size, r.budget);
  r.offset += size;
  return { tag, value };
}

/** Writes the unknown tagged fields whose tag is below `belowTag`, starting at index `from`; returns the next index. */
export function writeUnknownTaggedFields(w: Writer, unknown: readonly RawTaggedField[], from: number, belowTag: number): number {
  let i = from;
  while (i < unknown.length && unknown[i].tag < belowTag) {
    w.unsignedVarint(unknown[i].tag);
    w.unsignedVarint(unknown[i].data.length);
    w.raw(unknown[i].data);
    i++;
  }
  return i;
}

/** Writes one known tagged field whose value was encoded separately. */
export function writeTaggedField(w: Writer, tag: number, value: Buffer): void {
  w.unsignedVarint(tag);
  w.unsignedVarint(value.length);
  w.raw(value);
}
