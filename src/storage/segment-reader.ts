/**
 * Reads a segment's batches in order, in chunks of a bounded size (log.cleaner.io.buffer.size),
 * for compaction: memory stays at one chunk, or one batch when a single batch is larger. A view
 * yielded lives in the current chunk: copy it before keeping it past the next step.
 */
import { BATCH_HEADER_SIZE, BATCH_LOG_OVERHEAD, CURRENT_MAGIC, RecordBatchView } from '../protocol/records/record-batch.js';
import type { Segment } from './segment.js';

/** A segment below the recovery point holds a batch that cannot be read: the log is not cleanable. */
export class CorruptSegmentError extends Error {
  override readonly name = 'CorruptSegmentError';
}

export interface PositionedBatch {
  view: RecordBatchView;
  /** Where the batch starts in the segment file. */
  position: number;
}

/** The batches of `segment` from byte `from` up to its size when the read began. */
export async function* segmentBatches(segment: Segment, chunkBytes: number, from = 0): AsyncGenerator<PositionedBatch> {
  const end = segment.size;
  let position = from;
  while (position < end) {
    if (position + BATCH_HEADER_SIZE > end) throw corrupt(segment, position, 'a partial batch header');
    const chunk = await segment.read(position, Math.min(Math.max(chunkBytes, BATCH_HEADER_SIZE), end - position));
    let at = 0;
    while (at + BATCH_HEADER_SIZE <= chunk.length) {
      const view = new RecordBatchView(chunk, at);
      const size = view.batchLength + BATCH_LOG_OVERHEAD;
      if (view.magic !== CURRENT_MAGIC || size < BATCH_HEADER_SIZE || position + at + size > end) throw corrupt(segment, position + at, `magic ${view.magic}, size ${size}`);
      if (at + size > chunk.length) break;
      yield { view, position: position + at };
      at += size;
    }
    if (at === 0) {
      // One batch larger than the chunk: it is read whole (its size is bounded by what the log accepted).
      const header = new RecordBatchView(chunk);
      const whole = await segment.read(position, header.batchLength + BATCH_LOG_OVERHEAD);
      if (whole.length !== header.batchLength + BATCH_LOG_OVERHEAD) throw corrupt(segment, position, 'a short read');
      yield { view: new RecordBatchView(whole), position };
      at = whole.length;
    }
    position += at;
  }
}

function corrupt(segment: Segment, position: number, what: string): CorruptSegmentError {
  return new CorruptSegmentError(`cannot clean ${segment.logPath}: ${what} at position ${position}`);
}
