/**
 * The transaction coordinator of one __transaction_state partition, as a state machine: each
 * request (InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, EndTxn), each marker result and
 * each periodic sweep (timed-out transactions, expired transactional ids) is a method that
 * changes the in-memory metadata of the partition's transactional ids and returns its effects,
 * never doing I/O itself.
 *
 * Design
 * - One shard per __transaction_state partition this broker leads, created with the leader epoch
 *   of that partition as its coordinator epoch (it goes into every marker). When leadership moves
 *   the caller close()s the shard: from then on every answer is NOT_COORDINATOR and late write
 *   outcomes change nothing. The new leader replays the partition (replay.ts) into a new shard.
 * - A state change is prepared, written, then completed (metadata.ts): a method returns a Step,
 *   either an answer now or a TxnWrite. The caller appends the write's records to the write's
 *   partition and reports durable() or failed(code); the outcome carries the client's answer, the
 *   markers to send, and possibly another write. While a write is in flight the id has a pending
 *   state and other requests for it get CONCURRENT_TRANSACTIONS, as in Kafka.
 * - Ending a transaction: EndTxn writes PrepareCommit/PrepareAbort; once durable the client is
 *   answered and the outcome holds MarkerWork (producer id, epoch, coordinator epoch, COMMIT or
 *   ABORT, the partitions). The caller sends WriteTxnMarkers and reports each partition's result
 *   to markersWritten(); when none is left, that returns the CompleteCommit/CompleteAbort write.
 * - Fencing: InitProducerId for an id with an open transaction, or the timeout sweep, bumps the
 *   epoch and aborts the transaction at the bumped epoch (the old producer is then refused with
 *   PRODUCER_FENCED); InitProducerId answers CONCURRENT_TRANSACTIONS until the abort completes and
 *   the client's retry bumps the epoch again.
 * - Time and producer ids are injected (config.ts); the caller runs abortTimedOutTransactions()
 *   and expireTransactionalIds() on Kafka's intervals.
 * - Transaction version 0/1 semantics only: the epoch is not bumped at each EndTxn (KIP-890 part 2
 *   / EndTxn v5 is not implemented here). The client transaction version a Kafka-written log
 *   carries is kept through a reload, not acted on.
 *
 * Where this differs from Kafka on purpose (each where Kafka fails a request, crashes its marker
 * thread, or lets memory and log disagree):
 * - AddPartitionsToTxn with no partitions answers NONE and opens no transaction (Kafka would open
 *   an Ongoing one with none, which the timeout then aborts with no markers).
 * - InitProducerId naming a stale epoch of an exhausted producer answers PRODUCER_FENCED (Kafka
 *   throws "cannot allocate any more producer epochs", an UNKNOWN_SERVER_ERROR).
 * - A transition to Empty takes the log's start time (-1) in memory too, and a fence whose write
 *   failed at epoch 32767 may be tried again (metadata.ts).
 * - Replay skips and reports unreadable records instead of stopping the load (replay.ts).
 * - Marker results Kafka treats as fatal are reported and retried; a completion write failing with
 *   anything but COORDINATOR_NOT_AVAILABLE leaves the transaction for the next load (markers.ts).
 */
import { ErrorCode, KafkaError } from '../../protocol/error-codes.js';
import { partitionForGroup } from '../group/records.js';
import type { Clock, ProducerIdAllocator, TxnCoordinatorConfig } from './config.js';
import { isEpochExhausted, NO_PRODUCER_EPOCH, NO_PRODUCER_ID, TxnMetadata, TxnStateError, transitToLogValue, type TxnTransit } from './metadata.js';
import { MarkerRounds, type MarkerProgress, type MarkerResult } from './markers.js';
import type { TopicPartition } from './partition-set.js';
import { partitionForTransactionalId, txnKey, txnValue } from './records.js';
import { isExpirationAllowed, TxnState, txnStateName } from './txn-state.js';
import { answerNow, outcome, PendingWrite, type MarkerWork, type Step, type TxnWrite, type WriteOutcome } from './writes.js';

export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets';

export interface InitProducerIdFields {
  readonly transactionalId: string;
  readonly transactionTimeoutMs: number;
  /** -1 (with epoch -1) when the producer names no previous id (KIP-360). */
  readonly producerId: bigint;
  readonly producerEpoch: number;
}

export interface ProducerFields {
  readonly transactionalId: string;
  readonly producerId: bigint;
  readonly producerEpoch: number;
}

export interface AddPartitionsFields extends ProducerFields {
  readonly partitions: readonly TopicPartition[];
}

export interface AddOffsetsFields extends ProducerFields {
  readonly groupId: string;
}

export interface EndTxnFields extends ProducerFields {
  readonly committed: boolean;
}

/** InitProducerId's and EndTxn's answer. */
export interface ProducerAnswer {
  readonly errorCode: number;
  readonly producerId: bigint;
  readonly producerEpoch: number;
}

/** AddPartitionsToTxn's answer for one transaction (every partition gets this code) and AddOffsetsToTxn's. */
export interface ErrorAnswer {
  readonly errorCode: number;
}

export interface PartitionError extends TopicPartition {
  readonly errorCode: number;
}

/** What DescribeTransactions / ListTransactions and tests see of one id. */
export interface TxnView {
  readonly transactionalId: string;
  readonly producerId: bigint;
  readonly previousProducerId: bigint;
  readonly producerEpoch: number;
  readonly lastProducerEpoch: number;
  readonly state: TxnState;
  readonly stateName: string;
  readonly pendingState: TxnState | null;
  readonly partitions: readonly TopicPartition[];
  readonly txnTimeoutMs: number;
  readonly txnStartTimestamp: number;
  readonly txnLastUpdateTimestamp: number;
}

/** What a newly elected coordinator must do at once: resend the markers of transactions left in PrepareCommit/PrepareAbort. */
export interface LoadedShard {
  readonly shard: TxnCoordinatorShard;
  readonly markers: readonly MarkerWork[];
  /** Completions to write now: transactions left in Prepare* with no partition to mark. */
  readonly writes: readonly TxnWrite<null>[];
}

const refusal = (errorCode: number): ProducerAnswer => ({ errorCode, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH });

/** A write that answers something else: the same records and state changes, a different answer. */
function mapWrite<A, B>(write: TxnWrite<A>, f: (a: A) => B): TxnWrite<B> {
  const map = (o: WriteOutcome<A>): WriteOutcome<B> => ({ ...o, answer: f(o.answer) });
  return { partition: write.partition, records: write.records, durable: () => map(write.durable()), failed: (code) => map(write.failed(code)) };
}

function mapStep<A, B>(step: Step<A>, f: (a: A) => B): Step<B> {
  return step.kind === 'answer' ? answerNow(f(step.answer)) : { kind: 'write', write: mapWrite(step.write, f) };
}

export class TxnCoordinatorShard {
  private readonly txns: Map<string, TxnMetadata>;
  private readonly markers: MarkerRounds;
  private open = true;
  private readonly isOpen = (): boolean => this.open;

  constructor(
    readonly partition: number,
    readonly coordinatorEpoch: number,
    private readonly config: TxnCoordinatorConfig,
    private readonly clock: Clock,
    private readonly producerIds: ProducerIdAllocator,
    loaded: Map<string, TxnMetadata> = new Map(),
  ) {
    this.txns = loaded;
    this.markers = new MarkerRounds(partition, coordinatorEpoch, (id, transit) => this.recordsFor(id, transit), this.isOpen, clock);
  }

  /**
   * A shard over replayed state (Kafka's loadTransactionsForTxnTopicPartition): transactions the
   * log leaves in PrepareCommit/PrepareAbort are completed again, their markers resent at this
   * coordinator epoch.
   */
  static load(partition: number, coordinatorEpoch: number, replayed: Map<string, TxnMetadata>, config: TxnCoordinatorConfig, clock: Clock, producerIds: ProducerIdAllocator): LoadedShard {
    const shard = new TxnCoordinatorShard(partition, coordinatorEpoch, config, clock, producerIds, replayed);
    const markers: MarkerWork[] = [];
    const writes: TxnWrite<null>[] = [];
    for (const txn of replayed.values()) {
      if (txn.state !== TxnState.PrepareCommit && txn.state !== TxnState.PrepareAbort) continue;
      const start = shard.markers.start(txn, txn.state === TxnState.PrepareCommit);
      if (start.markers) markers.push(start.markers);
      if (start.next) writes.push(start.next);
    }
    return { shard, markers, writes };
  }

  /** Leadership of the partition moved: answer NOT_COORDINATOR from now on and ignore late outcomes. */
  close(): void {
    this.open = false;
  }

  get isClosed(): boolean {
    return !this.open;
  }

  initProducerId(req: InitProducerIdFields): Step<ProducerAnswer> {
    const id = req.transactionalId;
    if (id === '') return answerNow(refusal(ErrorCode.INVALID_REQUEST));
    // Kafka's KafkaApis: an id without an epoch, or an epoch without an id, is malformed.
    if ((req.producerId === NO_PRODUCER_ID) !== (req.producerEpoch === NO_PRODUCER_EPOCH)) return answerNow(refusal(ErrorCode.INVALID_REQUEST));
    if (!(req.transactionTimeoutMs > 0 && req.transactionTimeoutMs <= this.config.transactionMaxTimeoutMs)) return answerNow(refusal(ErrorCode.INVALID_TRANSACTION_TIMEOUT));
    const routing = this.routingError(id);
    if (routing !== ErrorCode.NONE) return answerNow(refusal(routing));
    const expected = req.producerId === NO_PRODUCER_ID ? null : { producerId: req.producerId, epoch: req.producerEpoch };
    const now = this.clock.now();
    let txn = this.txns.get(id);
    if (!txn) {
      const producerId = this.allocateProducerId();
      if (typeof producerId === 'number') return answerNow(refusal(producerId));
      // Kept even if its first write fails, as Kafka does: the next InitProducerId starts from it.
      txn = TxnMetadata.fresh(id, producerId, req.transactionTimeoutMs, now);
      this.txns.set(id, txn);
    }
    if (txn.hasPendingTransition) return answerNow(refusal(ErrorCode.CONCURRENT_TRANSACTIONS));
    if (expected && !this.isKnownProducer(txn, expected.producerId, expected.epoch)) return answerNow(refusal(ErrorCode.PRODUCER_FENCED));
    switch (txn.state) {
      case TxnState.PrepareCommit:
      case TxnState.PrepareAbort:
        return answerNow(refusal(ErrorCode.CONCURRENT_TRANSACTIONS));
      case TxnState.Empty:
      case TxnState.CompleteCommit:
      case TxnState.CompleteAbort: {
        let transit: TxnTransit;
        if (txn.isEpochExhausted && (expected === null || expected.epoch === txn.producerEpoch)) {
          const producerId = this.allocateProducerId();
          if (typeof producerId === 'number') return answerNow(refusal(producerId));
          transit = txn.prepareProducerIdRotation(producerId, req.transactionTimeoutMs, now, expected !== null);
        } else {
          const bumped = txn.prepareIncrementProducerEpoch(req.transactionTimeoutMs, expected?.epoch ?? null, now);
          if (bumped === 'fenced') return answerNow(refusal(ErrorCode.PRODUCER_FENCED));
          transit = bumped;
        }
        return this.writeTransition(txn, transit, () => outcome({ errorCode: ErrorCode.NONE, producerId: transit.producerId, producerEpoch: transit.producerEpoch }), (code) => outcome(refusal(code)));
      }
      case TxnState.Ongoing: {
        // Abort the previous producer's transaction at a bumped epoch; this epoch is never handed
        // out: the client retries on CONCURRENT_TRANSACTIONS and gets the next one.
        const fence = txn.prepareFenceProducerEpoch();
        const abort = this.endTransaction(txn, fence.producerId, fence.producerEpoch, false, false);
        return mapStep(abort, (a) => refusal(a.errorCode === ErrorCode.NONE ? ErrorCode.CONCURRENT_TRANSACTIONS : a.errorCode));
      }
      default:
        throw new TxnStateError(`${id} is ${txnStateName(txn.state)}, a state it can never be in`);
    }
  }

  addPartitions(req: AddPartitionsFields): Step<ErrorAnswer> {
    const refused = (errorCode: number): Step<ErrorAnswer> => answerNow({ errorCode });
    const routing = this.routingError(req.transactionalId);
    if (routing !== ErrorCode.NONE) return refused(routing);
    const txn = this.txns.get(req.transactionalId);
    if (!txn || txn.producerId !== req.producerId) return refused(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    if (txn.producerEpoch !== req.producerEpoch) return refused(ErrorCode.PRODUCER_FENCED);
    if (txn.hasPendingTransition) return refused(ErrorCode.CONCURRENT_TRANSACTIONS);
    if (txn.state === TxnState.PrepareCommit || txn.state === TxnState.PrepareAbort) return refused(ErrorCode.CONCURRENT_TRANSACTIONS);
    if (txn.state === TxnState.Ongoing && txn.partitions.containsAll(req.partitions)) return refused(ErrorCode.NONE);
    // Nothing to add: Kafka would open an Ongoing transaction with no partitions; nothing is done instead.
    if (req.partitions.length === 0) return refused(ErrorCode.NONE);
    const transit = txn.prepareAddPartitions(req.partitions, this.clock.now());
    return this.writeTransition(txn, transit, () => outcome({ errorCode: ErrorCode.NONE }), (code) => outcome({ errorCode: code }));
  }

  /** AddOffsetsToTxn: the group's __consumer_offsets partition joins the transaction, so TxnOffsetCommit's offsets get markers too. */
  addOffsets(req: AddOffsetsFields): Step<ErrorAnswer> {
    const partition = partitionForGroup(req.groupId, this.config.offsetsTopicPartitions);
    return this.addPartitions({ ...req, partitions: [{ topic: CONSUMER_OFFSETS_TOPIC, partition }] });
  }

  /**
   * AddPartitionsToTxn v4+ with verifyOnly (a partition leader checking a transactional produce,
   * KIP-890): no state changes; each partition answers NONE if it is in the ongoing transaction,
   * TRANSACTION_ABORTABLE if not; a producer mismatch answers every partition the same.
   */
  verifyPartitions(req: AddPartitionsFields): PartitionError[] {
    const all = (errorCode: number): PartitionError[] => req.partitions.map((tp) => ({ topic: tp.topic, partition: tp.partition, errorCode }));
    const routing = this.routingError(req.transactionalId);
    if (routing !== ErrorCode.NONE) return all(routing);
    const txn = this.txns.get(req.transactionalId);
    if (!txn || txn.producerId !== req.producerId) return all(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    if (txn.producerEpoch !== req.producerEpoch) return all(ErrorCode.PRODUCER_FENCED);
    if (txn.state === TxnState.PrepareCommit || txn.state === TxnState.PrepareAbort) return all(ErrorCode.CONCURRENT_TRANSACTIONS);
    return req.partitions.map((tp) => ({ topic: tp.topic, partition: tp.partition, errorCode: txn.partitions.has(tp.topic, tp.partition) ? ErrorCode.NONE : ErrorCode.TRANSACTION_ABORTABLE }));
  }

  endTxn(req: EndTxnFields): Step<ProducerAnswer> {
    const routing = this.routingError(req.transactionalId);
    if (routing !== ErrorCode.NONE) return answerNow(refusal(routing));
    const txn = this.txns.get(req.transactionalId);
    if (!txn) return answerNow(refusal(ErrorCode.INVALID_PRODUCER_ID_MAPPING));
    return this.endTransaction(txn, req.producerId, req.producerEpoch, req.committed, true);
  }

  /** Markers were written (or refused) for some partitions of `work`; see MarkerRounds.report. */
  markersWritten(work: MarkerWork, results: readonly MarkerResult[]): MarkerProgress {
    return this.markers.report(work, results);
  }

  /**
   * Kafka's abortTimedOutTransactions: every Ongoing transaction older than its timeout, with no
   * write in flight, is fenced (epoch bumped) and aborted. Returns the PrepareAbort writes.
   */
  abortTimedOutTransactions(): TxnWrite<null>[] {
    const now = this.clock.now();
    const writes: TxnWrite<null>[] = [];
    if (!this.open) return writes;
    for (const txn of this.txns.values()) {
      if (txn.hasPendingTransition || txn.state !== TxnState.Ongoing || !(txn.txnStartTimestamp + txn.txnTimeoutMs < now)) continue;
      const fence = txn.prepareFenceProducerEpoch();
      const abort = this.endTransaction(txn, fence.producerId, fence.producerEpoch, false, false);
      if (abort.kind !== 'write') throw new TxnStateError(`aborting the timed-out transaction of ${txn.transactionalId} answered ${abort.answer.errorCode}`);
      writes.push(mapWrite(abort.write, () => null));
    }
    return writes;
  }

  /**
   * transactional.id.expiration.ms: ids with no transaction open or completing and no update
   * for that long get a tombstone and are forgotten once it is durable. At most `maxPerWrite`
   * tombstones per write (Kafka fills batches up to the partition's max message size).
   */
  expireTransactionalIds(maxPerWrite = 500): TxnWrite<null>[] {
    const cutoff = this.clock.now() - this.config.transactionalIdExpirationMs;
    const writes: TxnWrite<null>[] = [];
    if (!this.open) return writes;
    let batch: { txn: TxnMetadata; epoch: number }[] = [];
    for (const txn of this.txns.values()) {
      if (txn.hasPendingTransition || !isExpirationAllowed(txn.state) || txn.txnLastUpdateTimestamp > cutoff) continue;
      batch.push({ txn, epoch: txn.prepareDead().producerEpoch });
      if (batch.length === maxPerWrite) {
        writes.push(this.tombstoneWrite(batch));
        batch = [];
      }
    }
    if (batch.length > 0) writes.push(this.tombstoneWrite(batch));
    return writes;
  }

  describe(transactionalId: string): TxnView | null {
    const txn = this.txns.get(transactionalId);
    return txn ? viewOf(txn) : null;
  }

  /** Every id of the partition except those being expired (Kafka hides Dead from ListTransactions). */
  list(): TxnView[] {
    return [...this.txns.values()].filter((t) => t.pendingState !== TxnState.Dead).map(viewOf);
  }

  private endTransaction(txn: TxnMetadata, producerId: bigint, producerEpoch: number, committed: boolean, fromClient: boolean): Step<ProducerAnswer> {
    if (txn.producerId !== producerId) return answerNow(refusal(ErrorCode.INVALID_PRODUCER_ID_MAPPING));
    // A client must name the current epoch; the coordinator's own abort names the bumped one.
    if (!((!fromClient || producerEpoch === txn.producerEpoch) && producerEpoch >= txn.producerEpoch)) return answerNow(refusal(ErrorCode.PRODUCER_FENCED));
    const fencing = txn.pendingState === TxnState.PrepareEpochFence;
    if (txn.hasPendingTransition && !fencing) return answerNow(refusal(ErrorCode.CONCURRENT_TRANSACTIONS));
    const same = (): Step<ProducerAnswer> => answerNow({ errorCode: ErrorCode.NONE, producerId: txn.producerId, producerEpoch: txn.producerEpoch });
    const invalid = (): Step<ProducerAnswer> => answerNow(refusal(ErrorCode.INVALID_TXN_STATE));
    switch (txn.state) {
      case TxnState.Ongoing: {
        if (fencing) {
          // The fence becomes the abort: its bumped epoch is taken now and written with PrepareAbort.
          txn.pendingState = null;
          txn.producerEpoch = producerEpoch;
          txn.lastProducerEpoch = NO_PRODUCER_EPOCH;
        }
        const transit = txn.prepareAbortOrCommit(committed ? TxnState.PrepareCommit : TxnState.PrepareAbort, this.clock.now());
        return this.writeTransition(
          txn,
          transit,
          () => {
            const start = this.markers.start(txn, committed);
            return outcome({ errorCode: ErrorCode.NONE, producerId: txn.producerId, producerEpoch: txn.producerEpoch }, start.markers, start.next);
          },
          (code) => {
            if (fencing) txn.hasFailedEpochFence = true;
            return outcome(refusal(code));
          },
        );
      }
      // A retry of an EndTxn that already completed succeeds; the opposite outcome is refused.
      case TxnState.CompleteCommit:
        return committed ? same() : invalid();
      case TxnState.CompleteAbort:
        return committed ? invalid() : same();
      case TxnState.PrepareCommit:
        return committed ? answerNow(refusal(ErrorCode.CONCURRENT_TRANSACTIONS)) : invalid();
      case TxnState.PrepareAbort:
        return committed ? invalid() : answerNow(refusal(ErrorCode.CONCURRENT_TRANSACTIONS));
      case TxnState.Empty:
        return invalid();
      default:
        throw new TxnStateError(`${txn.transactionalId} is ${txnStateName(txn.state)}, a state it can never be in`);
    }
  }

  /** The write of one transition: completed when durable, its pending state dropped when it fails. */
  private writeTransition<A>(txn: TxnMetadata, transit: TxnTransit, onDurable: () => WriteOutcome<A>, onFailed: (coordinatorError: number) => WriteOutcome<A>): Step<A> {
    const write = new PendingWrite<A>(this.partition, this.recordsFor(txn.transactionalId, transit), this.isOpen, {
      durable: () => {
        txn.completeTransition(transit);
        return onDurable();
      },
      failed: (code) => {
        txn.pendingState = null;
        return onFailed(code);
      },
    });
    return { kind: 'write', write };
  }

  private tombstoneWrite(batch: { txn: TxnMetadata; epoch: number }[]): TxnWrite<null> {
    const records = batch.map(({ txn }) => ({ key: txnKey(txn.transactionalId), value: null }));
    return new PendingWrite<null>(this.partition, records, this.isOpen, {
      durable: () => {
        for (const { txn, epoch } of batch) {
          if (this.txns.get(txn.transactionalId) === txn && txn.pendingState === TxnState.Dead && txn.producerEpoch === epoch) this.txns.delete(txn.transactionalId);
          else txn.pendingState = null;
        }
        return outcome(null);
      },
      failed: () => {
        for (const { txn } of batch) txn.pendingState = null;
        return outcome(null);
      },
    });
  }

  private recordsFor(transactionalId: string, transit: TxnTransit): { key: Buffer; value: Buffer }[] {
    return [{ key: txnKey(transactionalId), value: txnValue(transitToLogValue(transit), this.config.logValueVersion) }];
  }

  /**
   * Kafka's check of the producer id a KIP-360 InitProducerId names: the id is new (no epoch yet),
   * or it is the current producer id, or it is the previous one and its epoch was exhausted (a
   * retry of the rotation whose answer was lost).
   */
  private isKnownProducer(txn: TxnMetadata, producerId: bigint, epoch: number): boolean {
    return txn.producerEpoch === NO_PRODUCER_EPOCH || producerId === txn.producerId || (producerId === txn.previousProducerId && isEpochExhausted(epoch));
  }

  private routingError(transactionalId: string): number {
    if (transactionalId === '') return ErrorCode.INVALID_REQUEST;
    if (!this.open) return ErrorCode.NOT_COORDINATOR;
    if (partitionForTransactionalId(transactionalId, this.config.transactionStatePartitions) !== this.partition) return ErrorCode.NOT_COORDINATOR;
    return ErrorCode.NONE;
  }

  /** A new producer id, or the error code to answer when the source has none at hand. */
  private allocateProducerId(): bigint | number {
    try {
      return this.producerIds.allocate();
    } catch (err) {
      return err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR;
    }
  }
}

function viewOf(t: TxnMetadata): TxnView {
  return {
    transactionalId: t.transactionalId,
    producerId: t.producerId,
    previousProducerId: t.previousProducerId,
    producerEpoch: t.producerEpoch,
    lastProducerEpoch: t.lastProducerEpoch,
    state: t.state,
    stateName: txnStateName(t.state),
    pendingState: t.pendingState,
    partitions: t.partitions.list(),
    txnTimeoutMs: t.txnTimeoutMs,
    txnStartTimestamp: t.txnStartTimestamp,
    txnLastUpdateTimestamp: t.txnLastUpdateTimestamp,
  };
}
