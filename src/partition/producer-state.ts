/**
 * Idempotent producers on one partition: per producer id, its epoch and the sequence numbers of
 * its last five batches (Kafka's max.in.flight for idempotence). A retried batch is recognised and
 * answered with the offset it already has; a gap in sequences or an old epoch is refused.
 *
 * State is built as batches are accepted, including batches still being written, so pipelined
 * batches of one producer are checked in order. A clean shutdown saves it as a snapshot that is
 * reloaded when it matches the log's end; a producer the partition does not know (after an unclean
 * stop) is accepted at any sequence, since its history is not rebuilt from the log.
 *
 *   snapshot (JSON): {"endOffset": N, "producers": [{"id": "…", "epoch": E, "batches": [[firstSeq, lastSeq, baseOffset], …]}]}
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

interface Snapshot {
  endOffset: number;
  producers: { id: string; epoch: number; batches: [number, number, number][] }[];
}

export class ProducerStates {
  private readonly producers = new Map<bigint, ProducerEntry>();

  get isEmpty(): boolean {
    return this.producers.size === 0;
  }

  /** The state as a snapshot taken at `endOffset` (every append settled). */
  async snapshot(endOffset: number): Promise<Buffer> {
    const producers: Snapshot['producers'] = [];
    for (const [id, e] of this.producers) {
      const batches: [number, number, number][] = [];
      for (const b of e.batches) {
        const offset = await b.baseOffset.catch(() => -1);
        if (offset >= 0) batches.push([b.firstSeq, b.lastSeq, offset]);
      }
      producers.push({ id: String(id), epoch: e.epoch, batches });
    }
    return Buffer.from(JSON.stringify({ endOffset, producers } satisfies Snapshot));
  }

  /** Loads a snapshot if it was taken at `endOffset`; returns whether it was used. */
  restore(bytes: Buffer, endOffset: number): boolean {
    let snap: Snapshot;
    try {
      snap = JSON.parse(bytes.toString('utf8')) as Snapshot;
    } catch {
      return false;
    }
    if (snap.endOffset !== endOffset || !Array.isArray(snap.producers)) return false;
    for (const p of snap.producers) {
      this.producers.set(BigInt(p.id), { epoch: p.epoch, batches: p.batches.map(([firstSeq, lastSeq, offset]) => ({ firstSeq, lastSeq, baseOffset: Promise.resolve(offset) })) });
    }
    return true;
  }

  /** Checks a batch of `count` records from (producerId, epoch) starting at `firstSeq`. */
  check(producerId: bigint, epoch: number, firstSeq: number, count: number): SequenceCheck {
    const lastSeq = (firstSeq + count - 1) % (MAX_SEQUENCE + 1);
    const entry = this.producers.get(producerId);
    const accept = (reset: boolean): SequenceCheck => ({
      kind: 'append',
      record: (baseOffset) => {
        const e = reset || !entry ? { epoch, batches: [] } : entry;
        const batch = { firstSeq, lastSeq, baseOffset };
        e.batches.push(batch);
        if (e.batches.length > CACHED_BATCHES) e.batches.shift();
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
}
