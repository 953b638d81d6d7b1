/**
 * Rebuilds one __transaction_state partition's transactional ids from its records, oldest first,
 * as Kafka's TransactionStateManager loads a partition: the last value per id wins, a tombstone
 * deletes. The result also lists the transactions the log leaves in PrepareCommit/PrepareAbort:
 * their markers may not all have been written, so the new coordinator sends them again
 * (TxnCoordinatorShard.load does it).
 *
 * A record that cannot be read is skipped and reported, not thrown: one bad record must not keep
 * every other transaction of the partition from loading. Kafka skips unknown key versions the
 * same way (and stops loading at an unreadable value). Two states are never written by Kafka: a
 * Dead value is read as a deletion (the id was being expired), a PrepareEpochFence value is
 * skipped.
 */
import { DecodeError } from '../../protocol/codec-errors.js';
import { TxnMetadata } from './metadata.js';
import type { TopicPartition } from './partition-set.js';
import { parseTxnKey, parseTxnValue } from './records.js';
import { TxnState } from './txn-state.js';

export interface ReplayRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

export interface SkippedRecord {
  /** Position of the record in the replayed sequence, from 0. */
  readonly index: number;
  readonly reason: string;
}

export interface PreparedTransaction {
  readonly transactionalId: string;
  readonly committed: boolean;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly partitions: readonly TopicPartition[];
}

export interface ReplayedTxns {
  readonly txns: Map<string, TxnMetadata>;
  readonly skipped: readonly SkippedRecord[];
}

class Replay {
  readonly txns = new Map<string, TxnMetadata>();
  readonly skipped: SkippedRecord[] = [];
  private index = 0;

  apply(record: ReplayRecord): void {
    const index = this.index++;
    try {
      this.applyOne(record, index);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      this.skipped.push({ index, reason: err.message });
    }
  }

  private applyOne({ key, value }: ReplayRecord, index: number): void {
    if (key === null) return void this.skipped.push({ index, reason: 'a record without a key' });
    const k = parseTxnKey(key);
    if (k.kind === 'unknown') return void this.skipped.push({ index, reason: `unknown key version ${k.version}` });
    if (value === null) return void this.txns.delete(k.transactionalId);
    const v = parseTxnValue(value);
    if (v.state === TxnState.Dead) return void this.txns.delete(k.transactionalId);
    if (v.state === TxnState.PrepareEpochFence) return void this.skipped.push({ index, reason: `${k.transactionalId}: a PrepareEpochFence value, which is never written` });
    this.txns.set(k.transactionalId, TxnMetadata.fromLogValue(k.transactionalId, v));
  }

  result(): ReplayedTxns {
    return { txns: this.txns, skipped: this.skipped };
  }
}

export function replayTxnRecords(records: Iterable<ReplayRecord>): ReplayedTxns {
  const replay = new Replay();
  for (const r of records) replay.apply(r);
  return replay.result();
}

/** The same over a partition read as it streams from the log. */
export async function replayTxnPartition(records: AsyncIterable<ReplayRecord>): Promise<ReplayedTxns> {
  const replay = new Replay();
  for await (const r of records) replay.apply(r);
  return replay.result();
}

/** The transactions whose Prepare record is the last word: their markers must be sent (again). */
export function preparedTransactions(txns: ReadonlyMap<string, TxnMetadata>): PreparedTransaction[] {
  const out: PreparedTransaction[] = [];
  for (const t of txns.values()) {
    if (t.state !== TxnState.PrepareCommit && t.state !== TxnState.PrepareAbort) continue;
    out.push({ transactionalId: t.transactionalId, committed: t.state === TxnState.PrepareCommit, producerId: t.producerId, producerEpoch: t.producerEpoch, partitions: t.partitions.list() });
  }
  return out;
}
