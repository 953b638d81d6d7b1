/**
 * Idempotent producers on one partition: per producer id, its epoch and the sequence numbers of
 * its last five batches (Kafka's max.in.flight for idempotence). A retried batch is recognised and
 * answered with the offset it already has; a gap in sequences or an old epoch is refused.
 *
 * State is built as batches are accepted, including batches still being written, so pipelined
 * batches of one producer are checked in order; a batch whose append fails is forgotten again.
 * Across restarts it is rebuilt as Kafka does: from the latest snapshot (producer-snapshot.ts)
 * plus the batch headers of the log after it. Producers idle for producer.id.expiration.ms are
 * forgotten. A producer the partition does not know is accepted at any sequence.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import type { SnapshotEntry } from './producer-snapshot.js';

const CACHED_BATCHES = 5;
const MAX_SEQUENCE = 2 ** 31 - 1;

interface BatchMeta {
  firstSeq: number;
  lastSeq: number;
  /** Records in the batch minus one. */
  offsetDelta: number;
  baseOffset: Promise<number>;
}

interface ProducerEntry {
  epoch: number;
  batches: BatchMeta[];
  /** Largest timestamp of its last batch, for expiration. */
  lastTimestamp: number;
}

/** What a batch header tells about its producer (for replaying the log). */
export interface ProducerBatch {
  producerId: bigint;
  epoch: number;
  baseSequence: number;
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
}

export type SequenceCheck = { kind: 'append'; record(baseOffset: Promise<number>): void } | { kind: 'duplicate'; baseOffset: Promise<number> } | { kind: 'error'; errorCode: number; message: string };

function nextSeq(seq: number): number {
  return seq === MAX_SEQUENCE ? 0 : seq + 1;
}

export class ProducerStates {
  private readonly producers = new Map<bigint, ProducerEntry>();

  constructor(private readonly expirationMs: () => number = () => 86_400_000) {}

  get isEmpty(): boolean {
    return this.producers.size === 0;
  }

  get size(): number {
    return this.producers.size;
  }

  /** Checks a batch of `count` records from (producerId, epoch) starting at `firstSeq`, with its max timestamp. */
  check(producerId: bigint, epoch: number, firstSeq: number, count: number, maxTimestamp: number): SequenceCheck {
    const lastSeq = (firstSeq + count - 1) % (MAX_SEQUENCE + 1);
    const entry = this.producers.get(producerId);
    const accept = (reset: boolean): SequenceCheck => ({
      kind: 'append',
      record: (baseOffset) => {
        const e = reset || !entry ? { epoch, batches: [], lastTimestamp: maxTimestamp } : entry;
        const batch = { firstSeq, lastSeq, offsetDelta: count - 1, baseOffset };
        this.push(e, batch, maxTimestamp);
        this.producers.set(producerId, e);
        // A failed append must not advance the sequence: the batch (and any pipelined after it,
        // which fail with it) is forgotten, so the producer's retry is appended, not "duplicate".
        baseOffset.catch(() => {
          const at = e.batches.indexOf(batch);
          if (at >= 0) e.batches.splice(at);
        });
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

  private push(e: ProducerEntry, batch: BatchMeta, maxTimestamp: number): void {
    e.batches.push(batch);
    if (e.batches.length > CACHED_BATCHES) e.batches.shift();
    e.lastTimestamp = Math.max(e.lastTimestamp, maxTimestamp);
  }

  /** Replays a batch read from the log (no checks: the log is the truth). */
  replay(b: ProducerBatch): void {
    let e = this.producers.get(b.producerId);
    if (!e || b.epoch !== e.epoch) {
      e = { epoch: b.epoch, batches: [], lastTimestamp: b.maxTimestamp };
      this.producers.set(b.producerId, e);
    }
    const offsetDelta = b.lastOffset - b.baseOffset;
    this.push(e, { firstSeq: b.baseSequence, lastSeq: (b.baseSequence + offsetDelta) % (MAX_SEQUENCE + 1), offsetDelta, baseOffset: Promise.resolve(b.baseOffset) }, b.maxTimestamp);
  }

  /** Loads the entries of a snapshot file (those already expired at `now` are left out). */
  load(entries: SnapshotEntry[], now: number): void {
    this.producers.clear();
    for (const s of entries) {
      if (now - s.timestamp >= this.expirationMs()) continue;
      const firstSeq = (s.lastSequence - s.offsetDelta + MAX_SEQUENCE + 1) % (MAX_SEQUENCE + 1);
      const baseOffset = s.lastOffset - s.offsetDelta;
      this.producers.set(s.producerId, { epoch: s.epoch, lastTimestamp: s.timestamp, batches: [{ firstSeq, lastSeq: s.lastSequence, offsetDelta: s.offsetDelta, baseOffset: Promise.resolve(baseOffset) }] });
    }
  }

  /** Forgets every producer. */
  clear(): void {
    this.producers.clear();
  }

  /** Forgets producers idle for longer than producer.id.expiration.ms; returns how many went. */
  expire(now: number): number {
    let n = 0;
    for (const [id, e] of this.producers) {
      if (now - e.lastTimestamp >= this.expirationMs()) {
        this.producers.delete(id);
        n++;
      }
    }
    return n;
  }

  /**
   * The snapshot entries for the log as it ends at `endOffset`: each producer's last batch below
   * it. Waits for the appends in flight to settle; failed ones are not there.
   */
  async entriesBelow(endOffset: number): Promise<SnapshotEntry[]> {
    const out: SnapshotEntry[] = [];
    for (const [producerId, e] of [...this.producers]) {
      let last: { meta: BatchMeta; baseOffset: number } | null = null;
      for (const meta of [...e.batches]) {
        const baseOffset = await meta.baseOffset.catch(() => -1);
        if (baseOffset >= 0 && baseOffset + meta.offsetDelta < endOffset) last = { meta, baseOffset };
      }
      if (last) {
        out.push({ producerId, epoch: e.epoch, lastSequence: last.meta.lastSeq, lastOffset: last.baseOffset + last.meta.offsetDelta, offsetDelta: last.meta.offsetDelta, timestamp: e.lastTimestamp });
      }
    }
    return out;
  }
}
