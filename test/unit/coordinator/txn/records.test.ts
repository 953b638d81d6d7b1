// __transaction_state records against bytes built by hand from Kafka's TransactionLogKey /
// TransactionLogValue schemas (v0 classic, v1 flexible with tagged fields).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeError } from '../../../../src/protocol/codec-errors.js';
import { parseTxnKey, parseTxnValue, partitionForTransactionalId, txnKey, txnValue, type TxnLogValue } from '../../../../src/coordinator/txn/records.js';
import { TxnState } from '../../../../src/coordinator/txn/txn-state.js';

const i16 = (v: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(v);
  return b;
};
const i32 = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
};
const i64 = (v: bigint | number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(v));
  return b;
};
const str = (s: string): Buffer => Buffer.concat([i16(Buffer.byteLength(s)), Buffer.from(s)]);
/** Compact string: unsigned varint of length + 1 (all lengths here are under 127). */
const cstr = (s: string): Buffer => Buffer.concat([Buffer.from([Buffer.byteLength(s) + 1]), Buffer.from(s)]);
const byte = (...v: number[]): Buffer => Buffer.from(v);

const ONGOING: TxnLogValue = {
  producerId: 4242n,
  previousProducerId: -1n,
  nextProducerId: -1n,
  producerEpoch: 7,
  txnTimeoutMs: 60_000,
  state: TxnState.Ongoing,
  partitions: [
    { topic: 'orders', partitions: [0, 2] },
    { topic: 'pay', partitions: [1] },
  ],
  lastUpdateTimestamp: 1_700_000_000_123,
  startTimestamp: 1_700_000_000_100,
  clientTransactionVersion: 0,
};

test('key v0: version 0 then the transactional id as an int16-length string', () => {
  const expected = Buffer.concat([i16(0), str('txn-é1')]);
  assert.deepEqual(txnKey('txn-é1'), expected);
  assert.deepEqual(parseTxnKey(expected), { kind: 'txn', transactionalId: 'txn-é1' });
  assert.deepEqual(parseTxnKey(Buffer.concat([i16(1), str('x')])), { kind: 'unknown', version: 1 }, 'a newer key version is reported, not thrown');
  assert.throws(() => parseTxnKey(Buffer.concat([i16(0), i16(9), Buffer.from('abc')])), DecodeError);
});

test('value v0: the classic encoding, field by field', () => {
  const expected = Buffer.concat([
    i16(0),
    i64(4242),
    i16(7),
    i32(60_000),
    byte(1),
    i32(2),
    str('orders'),
    i32(2),
    i32(0),
    i32(2),
    str('pay'),
    i32(1),
    i32(1),
    i64(1_700_000_000_123),
    i64(1_700_000_000_100),
  ]);
  assert.deepEqual(txnValue(ONGOING, 0), expected);
  assert.deepEqual(parseTxnValue(expected), ONGOING);
});

test('value v0 of an Empty transaction: partitions are a null array (-1), and the v1-only fields are not written', () => {
  const empty: TxnLogValue = { ...ONGOING, state: TxnState.Empty, partitions: [], startTimestamp: -1, previousProducerId: 4241n, clientTransactionVersion: 2 };
  const expected = Buffer.concat([i16(0), i64(4242), i16(7), i32(60_000), byte(0), i32(-1), i64(1_700_000_000_123), i64(-1)]);
  assert.deepEqual(txnValue(empty, 0), expected);
  assert.deepEqual(parseTxnValue(expected), { ...empty, previousProducerId: -1n, clientTransactionVersion: 0 }, 'v0 cannot carry them');
  assert.throws(() => txnValue({ ...empty, partitions: [{ topic: 't', partitions: [0] }] }, 0), RangeError, 'an Empty transaction with partitions is a bug');
});

test('value v1: compact arrays and strings, a tagged-field section per partition entry, tags 0 and 2 at the end (tag 1 at its default is left out)', () => {
  const v: TxnLogValue = { ...ONGOING, previousProducerId: 4100n, clientTransactionVersion: 2 };
  const expected = Buffer.concat([
    i16(1),
    i64(4242),
    i16(7),
    i32(60_000),
    byte(1),
    byte(3), // 2 entries + 1
    cstr('orders'),
    byte(3),
    i32(0),
    i32(2),
    byte(0), // no tagged fields in the entry
    cstr('pay'),
    byte(2),
    i32(1),
    byte(0),
    i64(1_700_000_000_123),
    i64(1_700_000_000_100),
    byte(2), // two tagged fields
    byte(0, 8),
    i64(4100),
    byte(2, 2),
    i16(2),
  ]);
  assert.deepEqual(txnValue(v, 1), expected);
  assert.deepEqual(parseTxnValue(expected), v);
});

test('value v1 of an Empty transaction with every tag at its default: a null compact array and an empty tag section', () => {
  const empty: TxnLogValue = { ...ONGOING, state: TxnState.Empty, partitions: [], startTimestamp: -1 };
  const expected = Buffer.concat([i16(1), i64(4242), i16(7), i32(60_000), byte(0), byte(0), i64(1_700_000_000_123), i64(-1), byte(0)]);
  assert.deepEqual(txnValue(empty, 1), expected);
  assert.deepEqual(parseTxnValue(expected), empty);
  const withNext: TxnLogValue = { ...empty, nextProducerId: 5000n };
  assert.deepEqual(txnValue(withNext, 1), Buffer.concat([expected.subarray(0, expected.length - 1), byte(1, 1, 8), i64(5000)]));
  assert.deepEqual(parseTxnValue(txnValue(withNext, 1)), withNext);
});

test('value v1: unknown tags (at the end and inside a partition entry) are skipped; bytes after the last field are ignored', () => {
  const bytes = Buffer.concat([
    i16(1),
    i64(1),
    i16(0),
    i32(1000),
    byte(2),
    byte(2),
    cstr('t'),
    byte(2),
    i32(5),
    byte(1, 9, 3, 0xaa, 0xbb, 0xcc), // one unknown tag (9) of 3 bytes in the entry
    i64(10),
    i64(9),
    byte(2, 0, 8),
    i64(77),
    byte(30, 1, 0xff), // unknown tag 30
    byte(0xde, 0xad), // trailing bytes
  ]);
  const v = parseTxnValue(bytes);
  assert.equal(v.state, TxnState.PrepareCommit);
  assert.deepEqual(v.partitions, [{ topic: 't', partitions: [5] }]);
  assert.equal(v.previousProducerId, 77n);
  assert.equal(v.nextProducerId, -1n);
  assert.equal(v.lastUpdateTimestamp, 10);
  assert.equal(v.startTimestamp, 9);
});

test('values that cannot be read are DecodeErrors: unknown version, unknown state byte, truncation, a null where not nullable', () => {
  const good = txnValue(ONGOING, 0);
  const version2 = Buffer.from(good);
  version2.writeInt16BE(2, 0);
  assert.throws(() => parseTxnValue(version2), /unknown __transaction_state value version 2/);
  const state9 = Buffer.from(good);
  state9.writeInt8(9, 16);
  assert.throws(() => parseTxnValue(state9), /unknown transaction state 9/);
  for (let cut = 0; cut < good.length; cut += 5) assert.throws(() => parseTxnValue(good.subarray(0, cut)), DecodeError, `cut at ${cut}`);
  const nullPartitionIds = Buffer.concat([i16(0), i64(1), i16(0), i32(1), byte(1), i32(1), str('t'), i32(-1), i64(0), i64(0)]);
  assert.throws(() => parseTxnValue(nullPartitionIds), DecodeError);
});

test('a Prepare or Complete value with a null partitions array reads as no partitions (Kafka would fail on it)', () => {
  const bytes = Buffer.concat([i16(0), i64(1), i16(0), i32(1000), byte(4), i32(-1), i64(10), i64(9)]);
  assert.deepEqual(parseTxnValue(bytes).partitions, []);
});

test('partition of a transactional id: abs(Java hashCode) mod the partition count', () => {
  // "hello".hashCode() is 99162322 in Java; "polygenelubricants".hashCode() is Integer.MIN_VALUE, whose Utils.abs is 0.
  assert.equal(partitionForTransactionalId('hello', 50), 99162322 % 50);
  assert.equal(partitionForTransactionalId('polygenelubricants', 50), 0);
  // "Aa" and "BB" collide in Java (both 2112).
  assert.equal(partitionForTransactionalId('Aa', 7), 2112 % 7);
  assert.equal(partitionForTransactionalId('BB', 7), 2112 % 7);
});
