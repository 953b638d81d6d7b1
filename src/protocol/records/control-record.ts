/**
 * Kafka's EndTransactionMarker: the one record of a control batch (attributes bit 5) that ends a
 * producer's transaction on a partition.
 *
 *   key:   version int16 (0) | type int16 (0 ABORT, 1 COMMIT)
 *   value: version int16 (0) | coordinator epoch int32
 *
 * The broker builds these batches itself (magic 2, transactional and control, base sequence -1);
 * clients never send them.
 */
import { DecodeError } from '../codec-errors.js';
import { buildControlBatch, CONTROL_ABORT, CONTROL_COMMIT, readBatchRecords } from './batch-records.js';
import type { RecordBatchView } from './record-batch.js';

export const ControlType = { ABORT: CONTROL_ABORT, COMMIT: CONTROL_COMMIT } as const;
export type ControlTypeValue = (typeof ControlType)[keyof typeof ControlType];

export interface EndTxnMarker {
  type: ControlTypeValue;
  coordinatorEpoch: number;
}

export interface MarkerBatchFields {
  producerId: bigint;
  producerEpoch: number;
  timestamp: number;
}

/** A control batch holding one end-transaction marker (batch-records.ts builds it). */
export function buildMarkerBatch(marker: EndTxnMarker, f: MarkerBatchFields): Promise<Buffer> {
  return buildControlBatch(marker.type, marker.coordinatorEpoch, f.producerId, f.producerEpoch, f.timestamp);
}

/**
 * The marker in a control batch, or null when its record is another control type (Kafka skips
 * unknown ones) or compaction emptied the batch. Throws DecodeError when the batch is not a
 * control batch or its record cannot be read.
 */
export async function readMarker(view: RecordBatchView): Promise<EndTxnMarker | null> {
  if (!view.isControl) throw new DecodeError('not a control batch');
  const [record] = await readBatchRecords(view);
  if (!record) return null;
  if (!record.key || record.key.length < 4) throw new DecodeError('control record without a key');
  const type = record.key.readInt16BE(2);
  if (type !== ControlType.ABORT && type !== ControlType.COMMIT) return null;
  if (!record.value || record.value.length < 6) throw new DecodeError('end transaction marker without a value');
  return { type, coordinatorEpoch: record.value.readInt32BE(2) };
}
