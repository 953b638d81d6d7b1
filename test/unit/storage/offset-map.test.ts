import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OffsetMap, OFFSET_MAP_SLOT_BYTES } from '../../../src/storage/offset-map.js';
import { Prng } from '../../helpers/prng.js';

test('the offset map keeps the latest offset of each key and answers -1 for unknown keys', () => {
  const map = new OffsetMap(64, 0.9);
  map.put(Buffer.from('a'), 0);
  map.put(Buffer.from('b'), 1);
  map.put(Buffer.from('a'), 7);
  assert.equal(map.get(Buffer.from('a')), 7);
  assert.equal(map.get(Buffer.from('b')), 1);
  assert.equal(map.get(Buffer.from('c')), -1);
  assert.equal(map.size, 2, 'a key put twice takes one slot');
  assert.equal(map.latestOffset, 7);
  map.coverUpTo(20);
  assert.equal(map.latestOffset, 20);
});

test('the offset map fills at its load factor, within its memory, and never answers for a key it was not given', () => {
  const seed = 424242;
  const rng = new Prng(seed);
  const map = OffsetMap.within(1000 * OFFSET_MAP_SLOT_BYTES, 0.9, 1_000_000);
  assert.equal(map.slots, 1000);
  assert.ok(map.memoryBytes <= 1000 * OFFSET_MAP_SLOT_BYTES);
  const given = new Map<string, number>();
  let offset = 0;
  while (!map.isFull) {
    const key = `key-${rng.int(5000)}`;
    map.put(Buffer.from(key), offset);
    given.set(key, offset++);
  }
  assert.equal(map.size, 900, `seed ${seed}`);
  assert.equal(map.size, given.size);
  for (const [k, o] of given) assert.equal(map.get(Buffer.from(k)), o, `seed ${seed}: ${k}`);
  for (let i = 5000; i < 7000; i++) assert.equal(map.get(Buffer.from(`key-${i}`)), -1, `seed ${seed}: key-${i} was never put`);
});

test('a small dirty range gets a small map, whatever the dedupe buffer allows', () => {
  const map = OffsetMap.within(128 * 1024 * 1024, 0.9, 100);
  assert.ok(map.slots >= 112 && map.slots < 200, `${map.slots} slots`);
  assert.ok(map.capacity >= 100);
});
