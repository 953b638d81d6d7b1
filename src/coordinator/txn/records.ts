/**
 * The records of __transaction_state, in Kafka's TransactionLogKey / TransactionLogValue schemas,
 * so the topic reads the same to Kafka's own tools (kafka-dump-log --transaction-log-decoder) and
 * a Kafka broker could load it. Big-endian integers throughout.
 *
 *   key v0     version int16 (0) | transactional id string (int16 length + UTF-8)
 *
 *   value v0   version int16 (0)
 *              | producer id int64 | producer epoch int16 | transaction timeout ms int32
 *              | state int8 (TxnState) | partitions: nullable array (int32 count, -1 = null) of
 *                  { topic string | partition ids array (int32 count) of int32 }
 *              | last update timestamp int64 | start timestamp int64
 *
 *   value v1   the same fields in the flexible encoding (KIP-482): the partitions array and its
 *              inner arrays and strings are compact (unsigned varint length + 1, 0 = null), each
 *              partitions entry ends with its own (empty) tagged-field section, and the value ends
 *              with tagged fields, written only when not at their default:
 *                tag 0  previous producer id int64 (default -1)
 *                tag 1  next producer id int64     (default -1)
 *                tag 2  client transaction version int16 (default 0)
 *
 * The partitions are null for an Empty transaction, as Kafka writes them; a reader ignores them
 * for Empty. The last producer epoch is not in the log (Kafka keeps it in memory only). A record
 * with a null value is a tombstone: the transactional id expired. Unknown tags are skipped, and
 * bytes after the last field are ignored, as Kafka's generated readers do.
 */
import { Reader } from '../../protocol/reader.js';
import { Writer } from '../../protocol/writer.js';
import { DecodeError } from '../../protocol/codec-errors.js';
import { readTaggedField, readTaggedFieldCount, writeTaggedField } from '../../protocol/tagged-fields.js';
import { javaStringHash } from '../group/records.js';
import { TxnState, txnStateFromId } from './txn-state.js';

/** The value versions Kafka writes: 0 (transaction.version 0), 1 (transaction.version 1 and up). */
export type TxnLogValueVersion = 0 | 1;

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

export interface TxnLogValue {
  producerId: bigint;
  /** v1 only (tag 0); -1 when absent. */
  previousProducerId: bigint;
  /** v1 only (tag 1); -1 when absent. */
  nextProducerId: bigint;
  producerEpoch: number;
  txnTimeoutMs: number;
  state: TxnState;
  /** Grouped by topic in first-added order; empty for Empty (written as null). */
  partitions: TopicPartitions[];
  lastUpdateTimestamp: number;
  startTimestamp: number;
  /** v1 only (tag 2); 0 when absent. */
  clientTransactionVersion: number;
}

export type ParsedTxnKey = { kind: 'txn'; transactionalId: string } | { kind: 'unknown'; version: number };

const NO_PRODUCER_ID = -1n;

export function txnKey(transactionalId: string): Buffer {
  const w = new Writer(8 + transactionalId.length * 3);
  w.int16(0);
  w.string(transactionalId);
  return w.toBuffer();
}

/** A key of a version this broker does not know is reported, not thrown: Kafka skips such records when loading. */
export function parseTxnKey(key: Buffer): ParsedTxnKey {
  const r = new Reader(key);
  const version = r.int16();
  if (version !== 0) return { kind: 'unknown', version };
  return { kind: 'txn', transactionalId: r.string() };
}

export function txnValue(v: TxnLogValue, version: TxnLogValueVersion): Buffer {
  if (v.state === TxnState.Empty && v.partitions.length > 0) {
    throw new RangeError(`an Empty transaction has no partitions (got ${v.partitions.length} topics)`);
  }
  const partitions = v.state === TxnState.Empty ? null : v.partitions;
  const w = new Writer(64);
  w.int16(version);
  w.int64(v.producerId);
  w.int16(v.producerEpoch);
  w.int32(v.txnTimeoutMs);
  w.int8(v.state);
  if (version === 0) {
    if (partitions === null) w.int32(-1);
    else {
      w.arrayLength(partitions.length);
      for (const tp of partitions) {
        w.string(tp.topic);
        w.arrayLength(tp.partitions.length);
        for (const p of tp.partitions) w.int32(p);
      }
    }
  } else {
    if (partitions === null) w.unsignedVarint(0);
    else {
      w.compactArrayLength(partitions.length);
      for (const tp of partitions) {
        w.compactString(tp.topic);
        w.compactArrayLength(tp.partitions.length);
        for (const p of tp.partitions) w.int32(p);
        w.unsignedVarint(0);
      }
    }
  }
  w.int64(BigInt(v.lastUpdateTimestamp));
  w.int64(BigInt(v.startTimestamp));
  if (version === 1) writeValueTags(w, v);
  return w.toBuffer();
}

function writeValueTags(w: Writer, v: TxnLogValue): void {
  const tags: [number, Buffer][] = [];
  if (v.previousProducerId !== NO_PRODUCER_ID) tags.push([0, int64Bytes(v.previousProducerId)]);
  if (v.nextProducerId !== NO_PRODUCER_ID) tags.push([1, int64Bytes(v.nextProducerId)]);
  if (v.clientTransactionVersion !== 0) {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v.clientTransactionVersion);
    tags.push([2, b]);
  }
  w.unsignedVarint(tags.length);
  for (const [tag, value] of tags) writeTaggedField(w, tag, value);
}

function int64Bytes(v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(v);
  return b;
}

/** Decodes a value of version 0 or 1; throws DecodeError for any other version, an unknown state byte or truncation. */
export function parseTxnValue(value: Buffer): TxnLogValue {
  const r = new Reader(value);
  const version = r.int16();
  if (version !== 0 && version !== 1) throw new DecodeError(`unknown __transaction_state value version ${version}`);
  const flexible = version === 1;
  const producerId = r.int64();
  const producerEpoch = r.int16();
  const txnTimeoutMs = r.int32();
  const stateId = r.int8();
  const state = txnStateFromId(stateId);
  if (state === undefined) throw new DecodeError(`unknown transaction state ${stateId} in a __transaction_state value`);
  const count = flexible ? r.compactArrayLength(true) : r.arrayLength(true);
  const partitions: TopicPartitions[] = [];
  for (let i = 0; i < count; i++) {
    const topic = flexible ? r.compactString() : r.string();
    const n = flexible ? r.compactArrayLength(false) : r.arrayLength(false);
    const ids: number[] = [];
    for (let j = 0; j < n; j++) ids.push(r.int32());
    if (flexible) skipTaggedFields(r);
    partitions.push({ topic, partitions: ids });
  }
  const lastUpdateTimestamp = Number(r.int64());
  const startTimestamp = Number(r.int64());
  const v: TxnLogValue = {
    producerId,
    previousProducerId: NO_PRODUCER_ID,
    nextProducerId: NO_PRODUCER_ID,
    producerEpoch,
    txnTimeoutMs,
    state,
    partitions: state === TxnState.Empty ? [] : partitions,
    lastUpdateTimestamp,
    startTimestamp,
    clientTransactionVersion: 0,
  };
  if (flexible) readValueTags(r, v);
  return v;
}

function readValueTags(r: Reader, v: TxnLogValue): void {
  const n = readTaggedFieldCount(r);
  for (let i = 0; i < n; i++) {
    const { tag, value } = readTaggedField(r);
    if (tag === 0) v.previousProducerId = value.int64();
    else if (tag === 1) v.nextProducerId = value.int64();
    else if (tag === 2) v.clientTransactionVersion = value.int16();
  }
}

function skipTaggedFields(r: Reader): void {
  const n = readTaggedFieldCount(r);
  for (let i = 0; i < n; i++) readTaggedField(r);
}

/** Kafka's partition for a transactional id: Utils.abs(transactionalId.hashCode) mod the partition count. */
export function partitionForTransactionalId(transactionalId: string, partitions: number): number {
  const h = javaStringHash(transactionalId);
  return (h === -2147483648 ? 0 : Math.abs(h)) % partitions;
}
