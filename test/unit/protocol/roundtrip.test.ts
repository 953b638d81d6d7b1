import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader } from '../../../src/protocol/reader.js';
import { Writer } from '../../../src/protocol/writer.js';
import { inRange } from '../../../src/protocol/schema.js';
import { API_DEFINITIONS } from '../../../src/protocol/generated/index.js';
import { allMessageCodecs, Rng, sampleStruct, versionsOf, type MessageCodec } from '../../helpers/protocol-samples.js';

const SAMPLES_PER_VERSION = 8;

function roundTrip(codec: MessageCodec, version: number, value: unknown): void {
  const w = new Writer(16);
  codec.encode(w, version, value);
  const bytes = w.toBuffer();
  const r = new Reader(bytes);
  const decoded = codec.decode(r, version);
  assert.equal(r.remaining, 0, `${codec.schema.name} v${version}: ${r.remaining} bytes left after decoding`);
  assert.deepStrictEqual(decoded, value, `${codec.schema.name} v${version}: decoded value differs`);
  const again = new Writer(16);
  codec.encode(again, version, decoded);
  assert.ok(again.toBuffer().equals(bytes), `${codec.schema.name} v${version}: re-encoding gives other bytes`);
}

test('every API has a request and a response codec for each of its versions', () => {
  assert.ok(API_DEFINITIONS.length >= 80, `only ${API_DEFINITIONS.length} APIs`);
  for (const api of API_DEFINITIONS) {
    assert.deepEqual(api.request.validVersions, api.response.validVersions, `${api.name}: request and response versions differ`);
  }
});

for (const codec of allMessageCodecs()) {
  test(`round trip ${codec.schema.name} (${codec.schema.kind}) v${codec.schema.validVersions.min}-${codec.schema.validVersions.max}`, () => {
    let seed = 1;
    for (const version of versionsOf(codec.schema)) {
      for (let i = 0; i < SAMPLES_PER_VERSION; i++) {
        const rng = new Rng(seed++ * 7919 + codec.schema.name.length);
        roundTrip(codec, version, sampleStruct(codec.schema.root, version, rng));
      }
      // Every field at its default, and unknown tagged fields kept through a round trip.
      const defaults = sampleStruct({ ...codec.schema.root, fields: codec.schema.root.fields.map((f) => ({ ...f, versions: null })) }, version, new Rng(0));
      roundTrip(codec, version, defaults);
      if (inRange(codec.schema.flexibleVersions, version)) {
        const withUnknown = sampleStruct(codec.schema.root, version, new Rng(seed++));
        withUnknown.unknownTaggedFields = [
          { tag: 90, data: Buffer.from([1, 2, 3]) },
          { tag: 1000, data: Buffer.alloc(0) },
        ];
        roundTrip(codec, version, withUnknown);
      }
    }
  });
}
