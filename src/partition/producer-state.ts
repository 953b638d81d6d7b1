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
 *
 * Transactions (Kafka's ProducerStateManager): a transactional batch opens its producer's
 * transaction at its first offset when none is open; an end-transaction marker closes it. The
 * first offsets of the open ones bound the last stable offset. A transaction whose marker is
 * being written still holds the LSO until the marker (and, for an abort, its index entry) is
 * durable. Producers with an open transaction never expire.
 *
 * A batch with a producer id but no sequence (-1, Kafka's NO_SEQUENCE) is one a coordinator wrote
 * (the group coordinator's TxnOffsetCommit batches on __consumer_offsets; the log validator refuses
 * it from clients): as Kafka's append with origin COORDINATOR, only its epoch is checked, and it is
 * never taken for a retry of another batch.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import type { SnapshotEntry } from './producer-snapshot.js';

const CACHED_BATCHES = 5;
const MAX_SEQUENCE = 2 ** 31 - 1;
/** Kafka's RecordBatch.NO_SEQUENCE. */
export const NO_SEQUENCE = -1;

interface BatchMeta {
  firstSeq: number;
  lastSeq: number;
  /** Records in the batch minus one. */
  offsetDelta: number;
  baseOffset: Promise<number>;
}

/** An open transaction; `firstOffset` is a lower bound until its first batch has its offset. */
export interface OpenTxn {
  readonly producerId: bigint;
  firstOffset: number;
}

interface ProducerEntry {
  epoch: number;
  batches: BatchMeta[];
  /** Largest timestamp of its last batch, for expiration. */
  lastTimestamp: number;
  /** The coordinator epoch of its last marker (-1 before any). */
  coordinatorEpoch: number;
  currentTxn: OpenTxn | null;
  /** The last transaction closed, while a snapshot below its marker must still call it open. */
  lastClosed: { firstOffset: number; markerOffset: number } | null;
  /** Offset of its last marker written (-1: none), so a producer known only by markers is snapshotted too. */
  lastMarkerOffset: number;
}

/** A transaction a marker ended, as the aborted-transaction index needs it. */
export interface CompletedTxn {
  producerId: bigint;
  firstOffset: number;
  lastOffset: number;
  aborted: boolean;
  /** Kafka's lastStableOffset(completedTxn): the next open transaction's first offset, else the marker's next. */
  lastStableOffset: number;
}

export type MarkerCheck =
  | {
      kind: 'append';
      /**
       * Given the marker's offset promise (resolving once it is durable) and, for an abort, the
       * index write: the transaction holds the LSO until both are done, as in Kafka.
       */
      settle(markerOffset: Promise<number>, aborted: boolean, indexAbort: (c: CompletedTxn) => Promise<void>): Promise<CompletedTxn | null>;
    }
  | { kind: 'error'; errorCode: number; message: string };

/** What a batch header tells about its producer (for replaying the log). */
export interface ProducerBatch {
  producerId: bigint;
  epoch: number;
  baseSequence: number;
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  isTransactional?: boolean;
}

/** One producer as DescribeProducers reports it: a copy, the state itself stays private. */
export interface ActiveProducer {
  readonly producerId: bigint;
  readonly producerEpoch: number;
  /** The last sequence of its last batch; -1 for a producer known only by its markers. */
  readonly lastSequence: number;
  /** The largest timestamp of its last batch or marker. */
  readonly lastTimestamp: number;
  /** The coordinator epoch of its last marker; -1 before any. */
  readonly coordinatorEpoch: number;
  /** The first offset of its open transaction; -1 when none is open. */
  readonly currentTxnStartOffset: number;
}

export type SequenceCheck = { kind: 'append'; record(baseOffset: Promise<number>): void } | { kind: 'duplicate'; baseOffset: Promise<number> } | { kind: 'error'; errorCode: number; message: string };

function nextSeq(seq: number): number {
  return seq === MAX_SEQUENCE ? 0 : seq + 1;
}

function newEntry(epoch: number, timestamp: number, coordinatorEpoch = -1): ProducerEntry {
  return { epoch, batches: [], lastTimestamp: timestamp, coordinatorEpoch, currentTxn: null, lastClosed: null, lastMarkerOffset: -1 };
}

export class ProducerStates {
  private readonly producers = new Map<bigint, ProducerEntry>();
  /** Open transactions, and those whose marker is being written. */
  private readonly ongoing = new Set<OpenTxn>();
  /** Markers being written: a snapshot waits for them. */
  private readonly pendingMarkers = new Set<Promise<unknown>>();

  constructor(private readonly expirationMs: () => number = () => 86_400_000) {}

  get isEmpty(): boolean {
    return this.producers.size === 0;
  }

  get size(): number {
    return this.producers.size;
  }

  /** Checks a batch of `count` records from (producerId, epoch) starting at `firstSeq`, with its max timestamp. */
  check(producerId: bigint, epoch: number, firstSeq: number, count: number, maxTimestamp: number): SequenceCheck {
    const lastSeq = firstSeq === NO_SEQUENCE ? NO_SEQUENCE : (firstSeq + count - 1) % (MAX_SEQUENCE + 1);
    const entry = this.producers.get(producerId);
    const accept = (reset: boolean): SequenceCheck => ({
      kind: 'append',
      record: (baseOffset) => {
        const e = !entry ? newEntry(epoch, maxTimestamp) : entry;
        if (reset) {
          e.epoch = epoch;
          e.batches = [];
        }
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
    // A coordinator's batch: no sequence to follow on or to recognise a retry by.
    if (firstSeq === NO_SEQUENCE) return accept(epoch > entry.epoch);
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

  /** Every producer known now, in the order they were first seen (Kafka's activeProducers). */
  active(): ActiveProducer[] {
    return [...this.producers].map(([producerId, e]) => ({
      producerId,
      producerEpoch: e.epoch,
      lastSequence: e.batches.length > 0 ? e.batches[e.batches.length - 1].lastSeq : -1,
      lastTimestamp: e.lastTimestamp,
      coordinatorEpoch: e.coordinatorEpoch,
      currentTxnStartOffset: e.currentTxn?.firstOffset ?? -1,
    }));
  }

  /** The producer's open transaction, or null. */
  currentTransaction(producerId: bigint): OpenTxn | null {
    return this.producers.get(producerId)?.currentTxn ?? null;
  }

  /**
   * A transactional batch accepted for `producerId` (after `check`): opens its transaction when
   * none is open, at `lowerBound` (the log end now) until `baseOffset` tells; a failed append
   * that opened it closes it again.
   */
  openTransaction(producerId: bigint, lowerBound: number, baseOffset: Promise<number>): void {
    const e = this.producers.get(producerId);
    if (!e || e.currentTxn) return;
    const txn: OpenTxn = { producerId, firstOffset: lowerBound };
    e.currentTxn = txn;
    this.ongoing.add(txn);
    baseOffset.then(
      (offset) => {
        txn.firstOffset = offset;
      },
      () => {
        this.ongoing.delete(txn);
        if (e.currentTxn === txn) e.currentTxn = null;
      },
    );
  }

  /**
   * Checks an end-transaction marker (Kafka's appendEndTxnMarker): an older producer epoch is
   * INVALID_PRODUCER_EPOCH, an older coordinator epoch TRANSACTION_COORDINATOR_FENCED. Accepted,
   * the producer takes the marker's epochs at once and its open transaction is detached (a batch
   * after the marker opens a new one); `settle` is given the marker's offset promise, which must
   * resolve only once the marker is durable, and releases the transaction's hold on the LSO.
   */
  checkMarker(producerId: bigint, epoch: number, coordinatorEpoch: number, timestamp: number): MarkerCheck {
    const e = this.producers.get(producerId);
    if (e && epoch < e.epoch) return { kind: 'error', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH, message: `Producer ${producerId} epoch ${epoch} is older than ${e.epoch}.` };
    if (e && coordinatorEpoch < e.coordinatorEpoch) return { kind: 'error', errorCode: ErrorCode.TRANSACTION_COORDINATOR_FENCED, message: `Coordinator epoch ${coordinatorEpoch} for producer ${producerId} is older than ${e.coordinatorEpoch}.` };
    const entry = this.markerEntry(producerId, epoch, coordinatorEpoch, timestamp, e);
    const txn = entry.currentTxn;
    entry.currentTxn = null;
    return {
      kind: 'append',
      settle: (markerOffset, aborted, indexAbort) => {
        const done = markerOffset.then(
          async (offset) => {
            entry.lastMarkerOffset = Math.max(entry.lastMarkerOffset, offset);
            const completed = txn ? this.completion(txn, offset, aborted) : null;
            if (completed?.aborted) await indexAbort(completed);
            if (txn) this.release(entry, txn, offset);
            return completed;
          },
          (err: unknown) => {
            // Not written: the transaction stays open unless a later batch opened another.
            if (txn && entry.currentTxn === null) entry.currentTxn = txn;
            throw err;
          },
        );
        this.holdSnapshotsFor(done);
        return done;
      },
    };
  }

  /** Snapshots wait for `work` (a marker and its index entry being written) before they are taken. */
  holdSnapshotsFor(work: Promise<unknown>): void {
    const tracked: Promise<unknown> = work.catch(() => undefined).finally(() => this.pendingMarkers.delete(tracked));
    this.pendingMarkers.add(tracked);
  }

  private markerEntry(producerId: bigint, epoch: number, coordinatorEpoch: number, timestamp: number, e: ProducerEntry | undefined): ProducerEntry {
    if (!e) {
      const fresh = newEntry(epoch, timestamp, coordinatorEpoch);
      this.producers.set(producerId, fresh);
      return fresh;
    }
    // A new epoch starts its sequences over (its next batch is at sequence 0).
    if (epoch > e.epoch) e.batches = [];
    e.epoch = epoch;
    e.coordinatorEpoch = coordinatorEpoch;
    e.lastTimestamp = Math.max(e.lastTimestamp, timestamp);
    return e;
  }

  private release(e: ProducerEntry, txn: OpenTxn, markerOffset: number): void {
    this.ongoing.delete(txn);
    e.lastClosed = { firstOffset: txn.firstOffset, markerOffset };
  }

  private completion(txn: OpenTxn, markerOffset: number, aborted: boolean): CompletedTxn {
    let next: number | null = null;
    for (const t of this.ongoing) if (t.producerId !== txn.producerId && (next === null || t.firstOffset < next)) next = t.firstOffset;
    return { producerId: txn.producerId, firstOffset: txn.firstOffset, lastOffset: markerOffset, aborted, lastStableOffset: next ?? markerOffset + 1 };
  }

  /** The first offset of the earliest transaction still open (or whose marker is not durable yet), or null. */
  get firstUnstableOffset(): number | null {
    let first: number | null = null;
    for (const t of this.ongoing) if (first === null || t.firstOffset < first) first = t.firstOffset;
    return first;
  }

  /** Replays a marker read from the log (the log is the truth: no epoch checks). */
  replayMarker(producerId: bigint, epoch: number, coordinatorEpoch: number, markerOffset: number, aborted: boolean, timestamp: number): CompletedTxn | null {
    const entry = this.markerEntry(producerId, epoch, coordinatorEpoch, timestamp, this.producers.get(producerId));
    entry.lastMarkerOffset = Math.max(entry.lastMarkerOffset, markerOffset);
    const txn = entry.currentTxn;
    entry.currentTxn = null;
    if (!txn) return null;
    const completed = this.completion(txn, markerOffset, aborted);
    this.release(entry, txn, markerOffset);
    return completed;
  }

  /** Replays a batch read from the log (no checks: the log is the truth). */
  replay(b: ProducerBatch): void {
    let e = this.producers.get(b.producerId);
    if (!e) {
      e = newEntry(b.epoch, b.maxTimestamp);
      this.producers.set(b.producerId, e);
    } else if (b.epoch !== e.epoch) {
      e.epoch = b.epoch;
      e.batches = [];
    }
    if (b.isTransactional && !e.currentTxn) {
      e.currentTxn = { producerId: b.producerId, firstOffset: b.baseOffset };
      this.ongoing.add(e.currentTxn);
    }
    const offsetDelta = b.lastOffset - b.baseOffset;
    const lastSeq = b.baseSequence === NO_SEQUENCE ? NO_SEQUENCE : (b.baseSequence + offsetDelta) % (MAX_SEQUENCE + 1);
    this.push(e, { firstSeq: b.baseSequence, lastSeq, offsetDelta, baseOffset: Promise.resolve(b.baseOffset) }, b.maxTimestamp);
  }

  /**
   * Loads the entries of the snapshot taken where the log ended at `snapshotOffset` (those already
   * expired at `now` are left out).
   */
  load(entries: SnapshotEntry[], now: number, snapshotOffset: number): void {
    this.clear();
    for (const s of entries) {
      if (s.currentTxnFirstOffset < 0 && now - s.timestamp >= this.expirationMs()) continue;
      const e = newEntry(s.epoch, s.timestamp, s.coordinatorEpoch);
      // A marker-only entry (Kafka writes them too) has no batch to remember; a coordinator's
      // batch has one without a sequence, kept so the next snapshot still has the producer.
      if (s.lastSequence >= 0) {
        const firstSeq = (s.lastSequence - s.offsetDelta + MAX_SEQUENCE + 1) % (MAX_SEQUENCE + 1);
        e.batches.push({ firstSeq, lastSeq: s.lastSequence, offsetDelta: s.offsetDelta, baseOffset: Promise.resolve(s.lastOffset - s.offsetDelta) });
      } else if (s.lastOffset >= 0) {
        e.batches.push({ firstSeq: NO_SEQUENCE, lastSeq: NO_SEQUENCE, offsetDelta: s.offsetDelta, baseOffset: Promise.resolve(s.lastOffset - s.offsetDelta) });
      } else {
        // Known only by markers, somewhere below the snapshot's offset: the next snapshot must
        // keep it too, or its epochs stop fencing after a second restart.
        e.lastMarkerOffset = snapshotOffset - 1;
      }
      if (s.currentTxnFirstOffset >= 0) {
        e.currentTxn = { producerId: s.producerId, firstOffset: s.currentTxnFirstOffset };
        this.ongoing.add(e.currentTxn);
      }
      this.producers.set(s.producerId, e);
    }
  }

  /** Forgets every producer and transaction. */
  clear(): void {
    this.producers.clear();
    this.ongoing.clear();
  }

  /** Forgets producers idle for longer than producer.id.expiration.ms; returns how many went. */
  expire(now: number): number {
    let n = 0;
    for (const [id, e] of this.producers) {
      if (!e.currentTxn && now - e.lastTimestamp >= this.expirationMs()) {
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
    await Promise.all([...this.pendingMarkers]);
    for (const [producerId, e] of [...this.producers]) {
      let last: { meta: BatchMeta; baseOffset: number } | null = null;
      for (const meta of [...e.batches]) {
        const baseOffset = await meta.baseOffset.catch(() => -1);
        if (baseOffset >= 0 && baseOffset + meta.offsetDelta < endOffset) last = { meta, baseOffset };
      }
      if (last) {
        out.push({ producerId, epoch: e.epoch, lastSequence: last.meta.lastSeq, lastOffset: last.baseOffset + last.meta.offsetDelta, offsetDelta: last.meta.offsetDelta, timestamp: e.lastTimestamp, coordinatorEpoch: e.coordinatorEpoch, currentTxnFirstOffset: this.openAt(e, endOffset) });
      } else if (e.lastMarkerOffset >= 0 && e.lastMarkerOffset < endOffset) {
        // Known only by markers (Kafka snapshots such a producer with no sequence): its epochs still fence.
        out.push({ producerId, epoch: e.epoch, lastSequence: -1, lastOffset: -1, offsetDelta: 0, timestamp: e.lastTimestamp, coordinatorEpoch: e.coordinatorEpoch, currentTxnFirstOffset: -1 });
      }
    }
    return out;
  }

  /** The first offset of the producer's transaction open where the log ends at `endOffset`, else -1. */
  private openAt(e: ProducerEntry, endOffset: number): number {
    if (e.currentTxn && e.currentTxn.firstOffset < endOffset) return e.currentTxn.firstOffset;
    if (e.lastClosed && e.lastClosed.firstOffset < endOffset && e.lastClosed.markerOffset >= endOffset) return e.lastClosed.firstOffset;
    return -1;
  }
}
