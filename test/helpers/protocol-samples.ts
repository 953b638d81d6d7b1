/**
 * Random sample messages built from the generated runtime schemas, for round-trip and fuzz tests.
 * A field present in the version gets a random value (null now and then where the version allows
 * it); an absent field gets its default, which is what a decoder yields for it.
 */
import * as generated from '../../src/protocol/generated/index.js';
import { inRange, type FieldSchema, type FieldTypeSchema, type MessageSchema, type StructSchema } from '../../src/protocol/schema.js';
import type { Reader } from '../../src/protocol/reader.js';
import type { Writer } from '../../src/protocol/writer.js';

/** The seeded generator of the tests (mulberry32), so failures can be replayed from the seed. */
export { Prng as Rng } from './prng.js';
import type { Prng as Rng } from './prng.js';

const STRING_PIECES = ['a', 'topic', '-', '_', '.', 'é', '日本', '🙂', ' ', 'Z', '0'];

function randomString(rng: Rng): string {
  let s = '';
  const n = rng.int(6);
  for (let i = 0; i < n; i++) s += STRING_PIECES[rng.int(STRING_PIECES.length)];
  return s;
}

function randomValue(type: FieldTypeSchema, version: number, rng: Rng, depth: number): unknown {
  switch (type.kind) {
    case 'struct':
      return sampleStruct(type.struct(), version, rng, depth + 1);
    case 'array': {
      const n = depth > 3 ? rng.int(2) : rng.int(4);
      return Array.from({ length: n }, () => randomValue(type.element, version, rng, depth + 1));
    }
    case 'primitive':
      switch (type.name) {
        case 'bool':
          return rng.chance(0.5);
        case 'int8':
          return rng.int(256) - 128;
        case 'int16':
          return rng.int(65536) - 32768;
        case 'uint16':
          return rng.int(65536);
        case 'int32':
          return (rng.int(65536) << 16) | rng.int(65536);
        case 'int64':
          return BigInt.asIntN(64, (BigInt(rng.int(2 ** 32)) << 32n) | BigInt(rng.int(2 ** 32)));
        case 'float64':
          return (rng.next() - 0.5) * 1e6;
        case 'uuid':
          return rng.bytes(16).toString('base64url');
        case 'string':
          return randomString(rng);
        case 'bytes':
        case 'records':
          return rng.bytes(rng.chance(0.1) ? 600 : rng.int(12));
      }
  }
}

function sampleField(field: FieldSchema, version: number, rng: Rng, depth: number): unknown {
  if (!inRange(field.versions, version)) return field.defaultValue();
  if (inRange(field.taggedVersions, version) && rng.chance(0.3)) return field.defaultValue();
  if (inRange(field.nullableVersions, version) && rng.chance(0.2)) return null;
  return randomValue(field.type, version, rng, depth);
}

export function sampleStruct(struct: StructSchema, version: number, rng: Rng, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of struct.fields) out[field.name] = sampleField(field, version, rng, depth);
  return out;
}

export interface MessageCodec {
  schema: MessageSchema;
  encode(w: Writer, version: number, value: unknown): void;
  decode(r: Reader, version: number): unknown;
}

/** Every generated message (requests, responses, headers, data records) with its codec. */
export function allMessageCodecs(): MessageCodec[] {
  const exports = generated as unknown as Record<string, unknown>;
  const out: MessageCodec[] = [];
  for (const [key, value] of Object.entries(exports)) {
    if (!key.endsWith('Schema')) continue;
    const schema = value as MessageSchema;
    out.push({
      schema,
      encode: exports[`encode${schema.name}`] as MessageCodec['encode'],
      decode: exports[`decode${schema.name}`] as MessageCodec['decode'],
    });
  }
  return out.sort((a, b) => a.schema.name.localeCompare(b.schema.name));
}

export function versionsOf(schema: MessageSchema): number[] {
  const out: number[] = [];
  for (let v = schema.validVersions.min; v <= schema.validVersions.max; v++) out.push(v);
  return out;
}
