/**
 * One transactional id's metadata and the transitions of it, after Kafka's TransactionMetadata: a
 * transition is first *prepared* (the target is computed and the id gets a pending state, so no
 * other transition can start), the target is written to __transaction_state, and only once the
 * write is durable is it *completed* (copied into the metadata, with Kafka's consistency checks).
 * A failed write drops the pending state and leaves the metadata as it was.
 *
 * This is transaction version 0/1 behaviour (the epoch changes at InitProducerId and fencing, not
 * at every EndTxn); the client transaction version is carried through the log unchanged.
 */
import { PartitionSet, type TopicPartition } from './partition-set.js';
import type { TxnLogValue } from './records.js';
import { canTransition, TxnState, txnStateName } from './txn-state.js';

export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
const MAX_EPOCH = 32767;

/**
 * Epochs are spent: Kafka never hands a client Short.MAX_VALUE - 1 or more, so the coordinator can
 * always bump once more to fence a producer.
 */
export function isEpochExhausted(epoch: number): boolean {
  return epoch >= MAX_EPOCH - 1;
}

/** A broken invariant of the state machine: a bug here, never a client's mistake. */
export class TxnStateError extends Error {}

/** The target of a transition (Kafka's TxnTransitMetadata); written to the log as one value. */
export interface TxnTransit {
  readonly producerId: bigint;
  /** The producer id before this transition (written as the v1 previous producer id). */
  readonly prevProducerId: bigint;
  readonly nextProducerId: bigint;
  readonly producerEpoch: number;
  readonly lastProducerEpoch: number;
  readonly txnTimeoutMs: number;
  readonly state: TxnState;
  readonly partitions: PartitionSet;
  readonly txnStartTimestamp: number;
  readonly txnLastUpdateTimestamp: number;
  readonly clientTransactionVersion: number;
}

export function transitToLogValue(t: TxnTransit): TxnLogValue {
  return {
    producerId: t.producerId,
    previousProducerId: t.prevProducerId,
    nextProducerId: t.nextProducerId,
    producerEpoch: t.producerEpoch,
    txnTimeoutMs: t.txnTimeoutMs,
    state: t.state,
    partitions: t.partitions.grouped(),
    lastUpdateTimestamp: t.txnLastUpdateTimestamp,
    startTimestamp: t.txnStartTimestamp,
    clientTransactionVersion: t.clientTransactionVersion,
  };
}

export class TxnMetadata {
  /** The state this id is on its way to while a write is in flight; null when none is. */
  pendingState: TxnState | null = null;
  /**
   * A fence bumped the epoch in memory but its abort record was not written: the next fence
   * reuses that epoch instead of bumping again (Kafka's hasFailedEpochFence). The bumped epoch was
   * never given to a client, so reusing it is safe.
   */
  hasFailedEpochFence = false;

  constructor(
    readonly transactionalId: string,
    public producerId: bigint,
    public previousProducerId: bigint,
    public nextProducerId: bigint,
    public producerEpoch: number,
    public lastProducerEpoch: number,
    public txnTimeoutMs: number,
    public state: TxnState,
    public readonly partitions: PartitionSet,
    public txnStartTimestamp: number,
    public txnLastUpdateTimestamp: number,
    public clientTransactionVersion: number,
  ) {}

  /** A new id as InitProducerId creates it before its first write: no epoch yet, Empty. */
  static fresh(transactionalId: string, producerId: bigint, txnTimeoutMs: number, now: number): TxnMetadata {
    return new TxnMetadata(transactionalId, producerId, NO_PRODUCER_ID, NO_PRODUCER_ID, NO_PRODUCER_EPOCH, NO_PRODUCER_EPOCH, txnTimeoutMs, TxnState.Empty, new PartitionSet(), -1, now, 0);
  }

  /** The metadata a log value describes, as Kafka loads it: the last epoch is not in the log. */
  static fromLogValue(transactionalId: string, v: TxnLogValue): TxnMetadata {
    const partitions = v.state === TxnState.Empty ? new PartitionSet() : PartitionSet.fromGrouped(v.partitions);
    return new TxnMetadata(transactionalId, v.producerId, v.previousProducerId, v.nextProducerId, v.producerEpoch, NO_PRODUCER_EPOCH, v.txnTimeoutMs, v.state, partitions, v.startTimestamp, v.lastUpdateTimestamp, v.clientTransactionVersion);
  }

  get isEpochExhausted(): boolean {
    return isEpochExhausted(this.producerEpoch);
  }

  get hasPendingTransition(): boolean {
    return this.pendingState !== null;
  }

  /** InitProducerId while a transaction is open: bump the epoch (once, even over a failed attempt) to fence the old producer. */
  prepareFenceProducerEpoch(): TxnTransit {
    // Kafka refuses at the maximum even when no bump is needed (a failed fence left 32767 in
    // memory); checking only when bumping lets that fence be tried again.
    if (!this.hasFailedEpochFence && this.producerEpoch === MAX_EPOCH) throw new TxnStateError(`cannot fence ${this.transactionalId}: its epoch is already ${MAX_EPOCH}`);
    const bumped = this.hasFailedEpochFence ? this.producerEpoch : this.producerEpoch + 1;
    return this.prepare(TxnState.PrepareEpochFence, this.producerId, bumped, NO_PRODUCER_EPOCH, this.txnTimeoutMs, this.partitions, this.txnStartTimestamp, this.txnLastUpdateTimestamp);
  }

  /**
   * InitProducerId on an id with no open transaction: the next epoch, or (KIP-360) for a producer
   * that names its epoch, a retry of the bump it never heard about answered with the same epoch,
   * or PRODUCER_FENCED if a newer producer has initialised since.
   */
  prepareIncrementProducerEpoch(newTxnTimeoutMs: number, expectedEpoch: number | null, now: number): TxnTransit | 'fenced' {
    let nextEpoch: number;
    let lastEpoch: number;
    if (expectedEpoch === null) {
      nextEpoch = this.producerEpoch + 1;
      lastEpoch = NO_PRODUCER_EPOCH;
    } else if (this.producerEpoch === NO_PRODUCER_EPOCH || expectedEpoch === this.producerEpoch) {
      nextEpoch = this.producerEpoch + 1;
      lastEpoch = this.producerEpoch;
    } else if (expectedEpoch === this.lastProducerEpoch) {
      nextEpoch = this.producerEpoch;
      lastEpoch = this.lastProducerEpoch;
    } else {
      return 'fenced';
    }
    // Kafka checks exhaustion before looking at the expected epoch; checking only when an epoch is
    // really spent answers a fenced retry PRODUCER_FENCED instead of failing the request.
    if (nextEpoch !== this.producerEpoch && this.isEpochExhausted) throw new TxnStateError(`no epochs left for producer id ${this.producerId}`);
    return this.prepare(TxnState.Empty, this.producerId, nextEpoch, lastEpoch, newTxnTimeoutMs, new PartitionSet(), -1, now);
  }

  /** Epochs exhausted: a new producer id at epoch 0; the last epoch is kept for a producer that named it, so its retry is recognised. */
  prepareProducerIdRotation(newProducerId: bigint, newTxnTimeoutMs: number, now: number, recordLastEpoch: boolean): TxnTransit {
    if (this.state === TxnState.Ongoing || this.state === TxnState.PrepareCommit || this.state === TxnState.PrepareAbort) {
      throw new TxnStateError(`cannot rotate the producer id of ${this.transactionalId} while a transaction is pending`);
    }
    return this.prepare(TxnState.Empty, newProducerId, 0, recordLastEpoch ? this.producerEpoch : NO_PRODUCER_EPOCH, newTxnTimeoutMs, new PartitionSet(), -1, now);
  }

  prepareAddPartitions(added: Iterable<TopicPartition>, now: number): TxnTransit {
    const startsTransaction = this.state === TxnState.Empty || this.state === TxnState.CompleteAbort || this.state === TxnState.CompleteCommit;
    return this.prepare(TxnState.Ongoing, this.producerId, this.producerEpoch, this.lastProducerEpoch, this.txnTimeoutMs, this.partitions.union(added), startsTransaction ? now : this.txnStartTimestamp, now);
  }

  prepareAbortOrCommit(newState: typeof TxnState.PrepareCommit | typeof TxnState.PrepareAbort, now: number): TxnTransit {
    return this.prepare(newState, this.producerId, this.producerEpoch, this.lastProducerEpoch, this.txnTimeoutMs, this.partitions, this.txnStartTimestamp, now);
  }

  /** Every marker is written: CompleteCommit or CompleteAbort, with no partitions left. */
  prepareComplete(now: number): TxnTransit {
    const newState = this.state === TxnState.PrepareCommit ? TxnState.CompleteCommit : TxnState.CompleteAbort;
    // The Prepare record is durable, so a failed fence before it no longer matters.
    this.hasFailedEpochFence = false;
    return this.prepare(newState, this.producerId, this.producerEpoch, this.producerEpoch, this.txnTimeoutMs, new PartitionSet(), this.txnStartTimestamp, now, this.clientTransactionVersion);
  }

  prepareDead(): TxnTransit {
    return this.prepare(TxnState.Dead, this.producerId, this.producerEpoch, this.lastProducerEpoch, this.txnTimeoutMs, new PartitionSet(), this.txnStartTimestamp, this.txnLastUpdateTimestamp);
  }

  private prepare(
    state: TxnState,
    producerId: bigint,
    epoch: number,
    lastEpoch: number,
    txnTimeoutMs: number,
    partitions: PartitionSet,
    txnStartTimestamp: number,
    now: number,
    clientTransactionVersion = 0,
  ): TxnTransit {
    if (this.pendingState !== null) throw new TxnStateError(`${this.transactionalId}: preparing ${txnStateName(state)} while ${txnStateName(this.pendingState)} is pending`);
    if (producerId < 0n) throw new TxnStateError(`${this.transactionalId}: illegal producer id ${producerId}`);
    if (state !== TxnState.Dead && epoch < 0) throw new TxnStateError(`${this.transactionalId}: illegal producer epoch ${epoch}`);
    if (!canTransition(this.state, state)) throw new TxnStateError(`${this.transactionalId}: ${txnStateName(this.state)} cannot become ${txnStateName(state)}`);
    this.pendingState = state;
    return {
      producerId,
      prevProducerId: this.producerId,
      nextProducerId: NO_PRODUCER_ID,
      producerEpoch: epoch,
      lastProducerEpoch: lastEpoch,
      txnTimeoutMs,
      state,
      partitions: new PartitionSet(partitions.list()),
      txnStartTimestamp,
      txnLastUpdateTimestamp: now,
      clientTransactionVersion,
    };
  }

  /** The write of `t` is durable: apply it, after Kafka's checks that it follows from the current metadata. */
  completeTransition(t: TxnTransit): void {
    if (this.pendingState === null) throw new TxnStateError(`${this.transactionalId}: completing a transition with none pending`);
    if (this.pendingState !== t.state) this.fail(t);
    switch (t.state) {
      case TxnState.Empty: {
        const validBump = t.producerEpoch === this.producerEpoch + 1 || (t.producerEpoch === 0 && t.producerId !== this.producerId);
        if ((this.producerEpoch !== t.producerEpoch && !validBump) || t.partitions.size > 0 || t.txnStartTimestamp !== -1) this.fail(t);
        this.txnTimeoutMs = t.txnTimeoutMs;
        this.producerEpoch = t.producerEpoch;
        this.lastProducerEpoch = t.lastProducerEpoch;
        this.producerId = t.producerId;
        this.previousProducerId = t.prevProducerId;
        // Kafka keeps the finished transaction's start time in memory here while the log says -1;
        // taking the log's value keeps a reloaded coordinator describing the id as this one does.
        this.txnStartTimestamp = t.txnStartTimestamp;
        break;
      }
      case TxnState.Ongoing:
        if (!this.sameProducer(t) || !t.partitions.containsAll(this.partitions.list()) || this.txnTimeoutMs !== t.txnTimeoutMs) this.fail(t);
        this.txnStartTimestamp = t.txnStartTimestamp;
        for (const tp of t.partitions.list()) this.partitions.add(tp.topic, tp.partition);
        break;
      case TxnState.PrepareCommit:
      case TxnState.PrepareAbort:
        if (!this.sameProducer(t) || !this.partitions.equals(t.partitions) || this.txnTimeoutMs !== t.txnTimeoutMs || this.txnStartTimestamp !== t.txnStartTimestamp) this.fail(t);
        break;
      case TxnState.CompleteCommit:
      case TxnState.CompleteAbort:
        if (!this.sameProducer(t) || this.txnTimeoutMs !== t.txnTimeoutMs || t.txnStartTimestamp === -1) this.fail(t);
        this.txnStartTimestamp = t.txnStartTimestamp;
        this.partitions.clear();
        break;
      default:
        // PrepareEpochFence is never completed (it turns into PrepareAbort), nor Dead (the id is removed instead).
        this.fail(t);
    }
    this.clientTransactionVersion = t.clientTransactionVersion;
    this.txnLastUpdateTimestamp = t.txnLastUpdateTimestamp;
    this.pendingState = null;
    this.state = t.state;
  }

  private sameProducer(t: TxnTransit): boolean {
    return t.producerEpoch === this.producerEpoch && t.producerId === this.producerId;
  }

  private fail(t: TxnTransit): never {
    throw new TxnStateError(`${this.transactionalId}: ${txnStateName(this.state)} (pending ${this.pendingState === null ? 'none' : txnStateName(this.pendingState)}) cannot complete to ${txnStateName(t.state)} at producer ${t.producerId}/${t.producerEpoch}`);
  }
}
