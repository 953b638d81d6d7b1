/**
 * Idempotent producers on one partition: per producer id, its epoch and the sequence numbers of
 * its last five batches (Kafka's max.in.flight for idempotence). A retried batch is recognised and
 * answered with the offset it already has; a gap in sequences or an old epoch is refused.
 *
 * State is built as batches are accepted, including batches still being written, so pipelined
 * batches of one producer are checked in order. A producer this partition has not seen since the
 * broker started is accepted at any sequence (its history is not rebuilt from the log yet).
 */
import { ErrorCode } from '../protocol/error-codes.js';

const CACHED_BATCHES = 5;
const MAX_SEQUENCE = 2 ** 31 - 1;

interface BatchMeta {
  firstSeq: number;
  lastSeq: number;
  baseOffset: Promise<number>;
}

interface ProducerEntry {
  epoch: number;
  batches: BatchMeta[];
}

export type SequenceCheck = { kind: 'append'; record(baseOffset: Promise<number>): void } | { kind: 'duplicate'; baseOffset: Promise<number> } | { kind: 'error'; errorCode: number; message: string };

function nextSeq(seq: number): number {
  return seq === MAX_SEQUENCE ? 0 : seq + 1;
}

export class ProducerStates {
  private readonly producers = new Map<bigint, ProducerEntry>();

  /** Checks a batch of `count` records from (producerId, epoch) starting at `firstSeq`. */
  check(producerId: bigint, epoch: number, firstSeq: number, count: number): SequenceCheck {
    const lastSeq = (firstSeq + count - 1) % (MAX_SEQUENCE + 1);
    const entry = this.producers.get(producerId);
    const accept = (reset: boolean): SequenceCheck => ({
      kind: 'append',
      record: (baseOffset) => {
        const e = reset || !entry ? { epoch, batches: [] } : entry;
        e.batches.push({ firstSeq, lastSeq, baseOffset });
        if (e.batches.length > CACHED_BATCHES) e.batches.shift();
        this.producers.set(producerId, e);
      },
    });
    if (!entry) return accept(true);
    if (epoch < entry.epoch) return { kind: 'error', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH, message: `Producer ${producerId} epoch ${epoch} is older than ${entry.epoch}.` };
    if (epoch > entry.epoch) {
      if (firstSeq !== 0) return { kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message: `A new epoch ${epoch} of producer ${producerId} must start at sequence 0, not ${firstSeq}.` };
      return accept(true);
    }
    const dup = entry.batches.find((b) => b.firstSeq === firstSeq && b.lastSeq === lastSeq);
    if (dup) return { kind: 'duplicate', baseOffset: dup.baseOffset };
    const last = entry.batches[entry.batches.length - 1];
    if (last && firstSeq !== nextSeq(last.lastSeq)) {
      return { kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message: `Producer ${producerId} sent sequence ${firstSeq}; ${nextSeq(last.lastSeq)} was expected.` };
    }
    return accept(false);
  }
}
