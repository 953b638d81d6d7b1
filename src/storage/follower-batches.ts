/**
 * The offset rule a follower's append obeys (Kafka's appendAsFollower): batches copied from the
 * leader keep their offsets, so the first must begin at or after the log end and every batch must
 * begin after the previous one ends. Gaps are allowed: a compacted leader log has them.
 */
import { BATCH_HEADER_SIZE, RecordBatchView } from '../protocol/records/record-batch.js';
import { OffsetMismatchError } from './partition-log.js';
import { infoOf, type BatchInfo } from './segment.js';

/** The batches of `bytes` (positions within it), or OffsetMismatchError when they do not continue a log ending at `logEndOffset`. */
export function followerBatches(bytes: Buffer, logEndOffset: number): BatchInfo[] {
  const out: BatchInfo[] = [];
  let at = 0;
  let next = logEndOffset;
  while (at < bytes.length) {
    if (at + BATCH_HEADER_SIZE > bytes.length) throw new Error(`replicated records end inside a batch header at byte ${at} of ${bytes.length}`);
    const info = infoOf(new RecordBatchView(bytes, at), at);
    if (info.size < BATCH_HEADER_SIZE || at + info.size > bytes.length) throw new Error(`replicated batch at byte ${at} claims ${info.size} bytes of ${bytes.length - at}`);
    if (info.baseOffset < next || info.lastOffset < info.baseOffset) {
      const what = out.length === 0 ? `the log ends at ${logEndOffset}` : `the previous batch ends at ${next - 1}`;
      throw new OffsetMismatchError(`replicated batch ${info.baseOffset}..${info.lastOffset} does not follow: ${what}`, logEndOffset, info.baseOffset);
    }
    out.push(info);
    next = info.lastOffset + 1;
    at += info.size;
  }
  return out;
}
