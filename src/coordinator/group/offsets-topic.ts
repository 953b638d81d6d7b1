/**
 * __consumer_offsets as the coordinator's log: key/value records written as uncompressed batches
 * to the group's partition (durable before the append resolves), and read back one partition at
 * a time when the coordinator loads it.
 *
 * TxnOffsetCommit's records go in one transactional batch carrying the producer's id and epoch
 * and no sequence (-1), as Kafka's coordinator writes them: the partition opens the producer's
 * transaction there, and the transaction coordinator's COMMIT or ABORT marker ends it. The read
 * gives each record its offset and whether its batch was transactional, and gives the markers.
 */
import { batchesIn, buildBatch, readBatchRecords } from '../../protocol/records/batch-records.js';
import { ControlType, readMarker } from '../../protocol/records/control-record.js';
import type { KeyValue, OffsetsLogEntry, OffsetsTopic, TxnProducer } from './offsets-log.js';

/** What the offsets topic needs of a partition: append and read, on the broker's partition layer. */
export interface OffsetsPartition {
  readonly logStartOffset: number;
  readonly highWatermark: number;
  /** Appends one batch; resolves with its base offset once it is acknowledged. */
  append(batch: Buffer): Promise<number>;
  read(offset: number, maxBytes: number): Promise<Buffer>;
}

/** Kafka's RecordBatch.NO_SEQUENCE: coordinators write without sequence numbers. */
const NO_SEQUENCE = -1;

export class ConsumerOffsetsTopic implements OffsetsTopic {
  constructor(
    private readonly partitionsList: OffsetsPartition[],
    private readonly now: () => number,
  ) {}

  get partitions(): number {
    return this.partitionsList.length;
  }

  async append(partition: number, records: KeyValue[], producer?: TxnProducer): Promise<number> {
    const now = this.now();
    const options = producer ? { producerId: producer.producerId, producerEpoch: producer.producerEpoch, baseSequence: NO_SEQUENCE, transactional: true } : {};
    return this.partitionsList[partition].append(await buildBatch(records.map((r) => ({ key: r.key, value: r.value, timestamp: now })), options));
  }

  /**
   * Reads from the log start up to the high watermark, re-read after every chunk so records that
   * arrive while the replay runs (replicated from the previous leader) are read too.
   */
  async *read(partition: number): AsyncIterable<OffsetsLogEntry> {
    const p = this.partitionsList[partition];
    let offset = p.logStartOffset;
    while (offset < p.highWatermark) {
      const bytes = await p.read(offset, 1 << 20);
      let last = offset - 1;
      for (const view of batchesIn(bytes)) {
        last = Number(view.lastOffset);
        if (Number(view.baseOffset) < offset && view.isControl) continue;
        if (view.isControl) {
          // Compaction may have emptied a marker's batch, and other control types end nothing; a
          // marker whose record cannot be read ends nothing either, as the partition layer treats it.
          const marker = await readMarker(view).catch(() => null);
          if (marker) yield { kind: 'marker', offset: Number(view.baseOffset), producerId: view.producerId, committed: marker.type === ControlType.COMMIT };
          continue;
        }
        const producerId = view.isTransactional ? view.producerId : null;
        for (const r of await readBatchRecords(view)) {
          if (r.offset >= BigInt(offset) && r.key !== null) yield { kind: 'record', offset: Number(r.offset), key: r.key, value: r.value, producerId };
        }
      }
      if (last < offset) break;
      offset = last + 1;
    }
  }
}
