/**
 * __consumer_offsets as the coordinator's log: key/value records written as uncompressed batches
 * to the group's partition (durable before the append resolves), and read back one partition at
 * a time when the coordinator loads it.
 */
import { batchesIn, buildBatch, readBatchRecords } from '../../protocol/records/batch-records.js';
import type { KeyValue, OffsetsTopic } from './coordinator.js';

/** What the offsets topic needs of a partition: append and read, on the broker's partition layer. */
export interface OffsetsPartition {
  readonly logStartOffset: number;
  readonly highWatermark: number;
  append(batch: Buffer): Promise<void>;
  read(offset: number, maxBytes: number): Promise<Buffer>;
}

export class ConsumerOffsetsTopic implements OffsetsTopic {
  constructor(
    private readonly partitionsList: OffsetsPartition[],
    private readonly now: () => number,
  ) {}

  get partitions(): number {
    return this.partitionsList.length;
  }

  async append(partition: number, records: KeyValue[]): Promise<void> {
    const now = this.now();
    await this.partitionsList[partition].append(await buildBatch(records.map((r) => ({ key: r.key, value: r.value, timestamp: now }))));
  }

  /**
   * Reads from the log start up to the high watermark, re-read after every chunk so records that
   * arrive while the replay runs (replicated from the previous leader) are read too.
   */
  async *read(partition: number): AsyncIterable<KeyValue> {
    const p = this.partitionsList[partition];
    let offset = p.logStartOffset;
    while (offset < p.highWatermark) {
      const bytes = await p.read(offset, 1 << 20);
      let last = offset - 1;
      for (const view of batchesIn(bytes)) {
        last = Number(view.lastOffset);
        if (view.isControl) continue;
        for (const r of await readBatchRecords(view)) {
          if (r.offset >= BigInt(offset) && r.key !== null) yield { key: r.key, value: r.value };
        }
      }
      if (last < offset) break;
      offset = last + 1;
    }
  }
}
