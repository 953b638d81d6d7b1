/**
 * A partition log kept in memory: the twin of the disk log behind the same interface, for an
 * embedded broker that never touches disk (`startBroker({ storage: 'memory' })`) and for tests.
 */
import { RecordBatchView, BATCH_LOG_OVERHEAD } from '../protocol/records/record-batch.js';
import type { AppendedBatches, BatchHeader, PartitionLog } from './partition-log.js';

interface StoredBatch {
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  bytes: Buffer;
}

export class MemoryLog implements PartitionLog {
  private batches: StoredBatch[] = [];
  private start = 0;
  private end = 0;

  get logStartOffset(): number {
    return this.start;
  }

  get logEndOffset(): number {
    return this.end;
  }

  async append(batches: Buffer, leaderEpoch: number, logAppendTime: number | null): Promise<AppendedBatches> {
    const baseOffset = this.end;
    let at = 0;
    while (at < batches.length) {
      const view = new RecordBatchView(batches, at);
      const size = view.batchLength + BATCH_LOG_OVERHEAD;
      view.patchBaseOffset(BigInt(this.end));
      view.patchPartitionLeaderEpoch(leaderEpoch);
      if (logAppendTime !== null) view.patchLogAppendTime(BigInt(logAppendTime));
      // Copy: the request buffer must not be kept alive by the log.
      const bytes = Buffer.from(batches.subarray(at, at + size));
      this.batches.push({ baseOffset: this.end, lastOffset: this.end + view.lastOffsetDelta, maxTimestamp: Number(view.maxTimestamp), bytes });
      this.end += view.lastOffsetDelta + 1;
      at += size;
    }
    return { baseOffset, lastOffset: this.end - 1 };
  }

  async read(offset: number, maxBytes: number, maxOffsetExclusive: number, minOneBatch: boolean): Promise<Buffer> {
    const out: Buffer[] = [];
    let size = 0;
    for (const b of this.batches) {
      if (b.lastOffset < offset) continue;
      if (b.lastOffset >= maxOffsetExclusive) break;
      if (size + b.bytes.length > maxBytes && !(minOneBatch && out.length === 0)) break;
      out.push(b.bytes);
      size += b.bytes.length;
    }
    return Buffer.concat(out, size);
  }

  async offsetForTimestamp(timestamp: number): Promise<{ offset: number; timestamp: number } | null> {
    for (const b of this.batches) {
      if (b.lastOffset >= this.start && b.maxTimestamp >= timestamp) return { offset: Math.max(b.baseOffset, this.start), timestamp: b.maxTimestamp };
    }
    return null;
  }

  async maxTimestamp(): Promise<{ offset: number; timestamp: number } | null> {
    let best: StoredBatch | null = null;
    for (const b of this.batches) if (!best || b.maxTimestamp > best.maxTimestamp) best = b;
    return best ? { offset: best.baseOffset, timestamp: best.maxTimestamp } : null;
  }

  async deleteRecordsBefore(offset: number): Promise<void> {
    this.start = Math.max(this.start, Math.min(offset, this.end));
    this.batches = this.batches.filter((b) => b.lastOffset >= this.start);
  }

  private readonly sidecars = new Map<string, Buffer>();

  /** Nothing outlives a memory log: whatever state it was given is current. */
  readonly openedClean = true;

  /** A memory log never rolls. */
  onRoll(): void {}

  async *batchHeaders(fromOffset: number): AsyncGenerator<BatchHeader> {
    for (const b of [...this.batches]) {
      if (b.lastOffset < fromOffset) continue;
      const v = new RecordBatchView(b.bytes);
      yield { baseOffset: b.baseOffset, lastOffset: b.lastOffset, maxTimestamp: b.maxTimestamp, producerId: v.producerId, producerEpoch: v.producerEpoch, baseSequence: v.baseSequence };
    }
  }

  async listSidecars(): Promise<string[]> {
    return [...this.sidecars.keys()];
  }

  async deleteSidecar(name: string): Promise<void> {
    this.sidecars.delete(name);
  }

  async readSidecar(name: string): Promise<Buffer | null> {
    return this.sidecars.get(name) ?? null;
  }

  async writeSidecar(name: string, bytes: Buffer): Promise<void> {
    this.sidecars.set(name, Buffer.from(bytes));
  }

  async close(): Promise<void> {}

  async destroy(): Promise<void> {
    this.batches = [];
  }
}
