/**
 * Structure-aware mutation: decode a seed request with the generated codec, change some of its
 * field values (hostile integers, odd strings and names, emptied, duplicated or null arrays,
 * random bytes where records go, flipped booleans), and encode it again. The frame stays well
 * formed, so it gets past the decoder and exercises the handlers, which byte-level mutations
 * mostly never reach (the first undecodable frame closes the connection).
 */
import { API_BY_KEY } from '../../../src/protocol/generated/index.js';
import { decodeRequestFrame, encodeRequestFrame } from '../../../src/protocol/request-codec.js';
import { inRange, type FieldSchema, type FieldTypeSchema, type StructSchema } from '../../../src/protocol/schema.js';
import type { Rng } from '../protocol-samples.js';

const INTS: Record<string, readonly number[]> = {
  int8: [-128, -1, 0, 1, 127],
  int16: [-32768, -2, -1, 0, 1, 32767],
  uint16: [0, 1, 65535],
  int32: [-2147483648, -2, -1, 0, 1, 2, 1000, 65536, 100_000, 2147483647],
};
const INT64S = [-(2n ** 63n), -2n, -1n, 0n, 1n, 2n ** 31n, 2n ** 53n, 2n ** 63n - 1n];
const STRINGS = ['', ' ', '.', '..', '__consumer_offsets', '__transaction_state', 'a'.repeat(249), 'a'.repeat(300), 'topic/../x', 'é日本🙂', '\u0000', 'golden-kafkajs', 'golden-kcat', 'golden-platformatic', 'golden-python'];

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)];
}

function mutateValue(type: FieldTypeSchema, value: unknown, nullable: boolean, rng: Rng, version: number): unknown {
  if (nullable && rng.chance(0.1)) return null;
  switch (type.kind) {
    case 'struct':
      return value === null || typeof value !== 'object' ? value : mutateStruct(type.struct(), value as Record<string, unknown>, rng, version, 0.3);
    case 'array': {
      if (!Array.isArray(value)) return value;
      const roll = rng.next();
      if (roll < 0.2) return [];
      if (roll < 0.4 && value.length > 0) return [...value, ...value.slice(0, 1 + rng.int(value.length)), value[0]];
      return value.map((v: unknown) => (rng.chance(0.5) ? mutateValue(type.element, v, false, rng, version) : v));
    }
    case 'primitive':
      switch (type.name) {
        case 'bool':
          return !value;
        case 'int64':
          return pick(rng, INT64S);
        case 'float64':
          return pick(rng, [0, -1, Number.MAX_VALUE, Number.NaN, Number.POSITIVE_INFINITY]);
        case 'uuid':
          return rng.chance(0.5) ? 'AAAAAAAAAAAAAAAAAAAAAA' : rng.bytes(16).toString('base64url');
        case 'string':
          return pick(rng, STRINGS);
        case 'bytes':
        case 'records':
          return value instanceof Buffer && value.length > 0 && rng.chance(0.6) ? flipSome(value, rng) : rng.bytes(rng.int(80));
        default:
          return pick(rng, INTS[type.name]);
      }
  }
}

function flipSome(buf: Buffer, rng: Rng): Buffer {
  const out = Buffer.from(buf);
  for (let k = 1 + rng.int(3); k > 0; k--) out[rng.int(out.length)] ^= 1 << rng.int(8);
  return out;
}

function present(field: FieldSchema, version: number): boolean {
  return inRange(field.versions, version);
}

function mutateStruct(struct: StructSchema, value: Record<string, unknown>, rng: Rng, version: number, p: number): Record<string, unknown> {
  const out: Record<string, unknown> = { ...value };
  for (const field of struct.fields) {
    if (!present(field, version) || !rng.chance(p)) continue;
    out[field.name] = mutateValue(field.type, value[field.name], inRange(field.nullableVersions, version), rng, version);
  }
  return out;
}

/** A re-encoded request with mutated field values, or null when the seed does not decode or re-encode. */
export function mutateFields(frame: Buffer, rng: Rng): Buffer | null {
  try {
    const { header, body } = decodeRequestFrame(frame);
    const api = API_BY_KEY.get(header.requestApiKey);
    if (!api) return null;
    const version = header.requestApiVersion;
    const mutated = mutateStruct(api.request.root, body as Record<string, unknown>, rng, version, 0.25);
    return Buffer.concat(encodeRequestFrame(header.requestApiKey, version, header.correlationId, header.clientId, mutated)).subarray(4);
  } catch {
    return null;
  }
}
