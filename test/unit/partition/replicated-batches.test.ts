// The follower's check of a leader's records before they are appended as they are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkReplicatedBatches } from '../../../src/partition/replicated-batches.js';
import { buildBatch } from '../../../src/protocol/records/batch-records.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';

const leaderBatch = (baseOffset: number, count: number) =>
  buildBatch(Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.from(`v${baseOffset + i}`), timestamp: 1 })), { baseOffset: BigInt(baseOffset), partitionLeaderEpoch: 3 });

test('whole intact batches pass unchanged; a trailing partial batch is cut off for the next fetch', async () => {
  const records = Buffer.concat([await leaderBatch(0, 2), await leaderBatch(2, 3)]);
  const ok = checkReplicatedBatches(records, 't-0');
  assert.ok(ok.ok);
  assert.equal(ok.records, records);
  assert.equal(ok.batches, 2);
  const third = await leaderBatch(5, 1);
  const partial = checkReplicatedBatches(Buffer.concat([records, third.subarray(0, third.length - 4)]), 't-0');
  assert.ok(partial.ok);
  assert.equal(partial.batches, 2);
  assert.ok(partial.records.equals(records));
  assert.deepEqual(checkReplicatedBatches(Buffer.alloc(0), 't-0'), { ok: true, records: Buffer.alloc(0), batches: 0 });
});

test('a bad CRC, magic, length or offset order is CORRUPT_MESSAGE naming the batch', async () => {
  const good = await leaderBatch(0, 2);
  const flipped = Buffer.from(good);
  flipped[flipped.length - 1] ^= 1;
  const magic = Buffer.from(good);
  magic[16] = 1;
  const short = Buffer.from(good);
  short.writeInt32BE(10, 8);
  const cases: [string, Buffer, RegExp][] = [
    ['crc', flipped, /CRC-32C/],
    ['magic', magic, /magic 1/],
    ['length', short, /shorter than a batch header/],
    ['order', Buffer.concat([good, await leaderBatch(1, 2)]), /not after the previous batch/],
  ];
  for (const [what, records, message] of cases) {
    const r = checkReplicatedBatches(records, 't-0');
    assert.ok(!r.ok, what);
    assert.equal(r.errorCode, ErrorCode.CORRUPT_MESSAGE, what);
    assert.match(r.message, message, what);
  }
});
