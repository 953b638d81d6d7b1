// The in-memory __consumer_offsets partitions the coordinator tests share: one entry per log
// offset, records of a transactional append carry their producer id.
import type { KeyValue, OffsetsLogEntry, TxnProducer } from '../../../src/coordinator/group/coordinator.js';

/** Appends `records` to `log` as one write; returns the offset of the first. */
export function appendRecords(log: OffsetsLogEntry[], records: KeyValue[], producer?: TxnProducer): number {
  const first = log.length;
  for (const r of records) log.push({ kind: 'record', offset: log.length, key: r.key, value: r.value, producerId: producer?.producerId ?? null });
  return first;
}

/** Appends a producer's end-transaction marker; returns its offset. */
export function appendMarker(log: OffsetsLogEntry[], producerId: bigint, committed: boolean): number {
  log.push({ kind: 'marker', offset: log.length, producerId, committed });
  return log.length - 1;
}
