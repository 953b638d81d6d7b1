/**
 * Writes one cleaned segment, `<base>.log.cleaned`, incrementally: batches are copied into a
 * write buffer of bounded size and written out whenever it fills, so a pass never holds a whole
 * segment in memory. The replacement Segment object (a new identity for the same base offset) is
 * built alongside, with its indexes in memory; it serves reads only after the swap.
 */
import { RecordBatchView } from '../protocol/records/record-batch.js';
import { cleanedFile } from './file-names.js';
import { writeFully, type StorageFile } from './file-system.js';
import type { HandleCache } from './handle-cache.js';
import { infoOf, Segment } from './segment.js';

export class CleanedSegmentWriter {
  private file: StorageFile | null = null;
  private readonly buffer: Buffer;
  private buffered = 0;
  /** Bytes written to the file so far (the buffer follows them). */
  private written = 0;
  readonly segment: Segment;
  readonly path: string;

  constructor(
    private readonly handles: HandleCache,
    dir: string,
    baseOffset: number,
    indexIntervalBytes: number,
    createdAt: number,
    bufferBytes: number,
  ) {
    this.path = cleanedFile(dir, baseOffset);
    this.buffer = Buffer.allocUnsafe(Math.max(bufferBytes, 1024));
    this.segment = new Segment(dir, baseOffset, 0, handles, indexIntervalBytes, createdAt);
    this.segment.startEmptyIndexes();
  }

  /** Appends one whole batch (the bytes are copied). */
  async add(batch: Buffer): Promise<void> {
    this.file ??= await this.handles.fs.open(this.path, 'replace');
    this.segment.indexBatch(infoOf(new RecordBatchView(batch), this.segment.size));
    this.segment.size += batch.length;
    if (this.buffered + batch.length > this.buffer.length) await this.flushBuffer();
    if (batch.length > this.buffer.length) {
      await writeFully(this.file, batch, this.written);
      this.written += batch.length;
      return;
    }
    batch.copy(this.buffer, this.buffered);
    this.buffered += batch.length;
  }

  private async flushBuffer(): Promise<void> {
    if (this.buffered === 0 || !this.file) return;
    await writeFully(this.file, this.buffer.subarray(0, this.buffered), this.written);
    this.written += this.buffered;
    this.buffered = 0;
  }

  /** Writes what is buffered and fsyncs the file: it is complete on disk before any swap names it. */
  async finish(): Promise<Segment> {
    this.file ??= await this.handles.fs.open(this.path, 'replace');
    await this.flushBuffer();
    await this.file.sync();
    await this.file.close();
    this.file = null;
    return this.segment;
  }

  /** Gives up: the partial file is removed. */
  async discard(): Promise<void> {
    const file = this.file;
    this.file = null;
    if (file) await file.close().catch(() => undefined);
    await this.handles.fs.unlink(this.path);
  }
}
