/**
 * The effects a transition hands its caller: records to append to __transaction_state, and what
 * to do once the append is durable or has failed. The coordinator never appends itself; the
 * caller appends `records` to `partition` (acks=all, no compression, as Kafka enforces) and then
 * calls exactly one of `durable()` or `failed(code)`, which apply the transition (or undo its
 * pending state) and give the answer for the client plus any marker work.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { TxnStateError } from './metadata.js';
import type { TopicPartition } from './partition-set.js';

export interface TxnLogRecord {
  readonly key: Buffer;
  /** null: a tombstone (the transactional id expired). */
  readonly value: Buffer | null;
}

/**
 * COMMIT or ABORT markers to write (WriteTxnMarkers) to every listed partition for one producer,
 * at the coordinator epoch of the __transaction_state partition that owns the transaction.
 */
export interface MarkerWork {
  readonly transactionalId: string;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly coordinatorEpoch: number;
  readonly committed: boolean;
  readonly partitions: readonly TopicPartition[];
}

export interface WriteOutcome<A> {
  /** What to answer the client now (null for the coordinator's own writes). */
  readonly answer: A;
  /** Markers to send now (after a PrepareCommit / PrepareAbort became durable). */
  readonly markers: MarkerWork | null;
  /** Another write to make right away (the completion of a transaction that had no partition left to mark). */
  readonly next: TxnWrite<null> | null;
  /** Append the same records again and report again: the failure was one Kafka retries (completion writes only). */
  readonly retry: boolean;
}

export interface TxnWrite<A> {
  /** The __transaction_state partition to append to. */
  readonly partition: number;
  readonly records: readonly TxnLogRecord[];
  durable(): WriteOutcome<A>;
  /** The append failed with this Kafka error code (as the partition leader answered it). */
  failed(appendErrorCode: number): WriteOutcome<A>;
}

/** Either an answer now, or a write whose outcome carries the answer. */
export type Step<A> = { readonly kind: 'answer'; readonly answer: A } | { readonly kind: 'write'; readonly write: TxnWrite<A> };

export function answerNow<A>(answer: A): Step<A> {
  return { kind: 'answer', answer };
}

export function outcome<A>(answer: A, markers: MarkerWork | null = null, next: TxnWrite<null> | null = null, retry = false): WriteOutcome<A> {
  return { answer, markers, next, retry };
}

/**
 * What a client is told when its state change could not be written, as Kafka's
 * TransactionStateManager maps the append error: retriable unavailability, a moved leader (look
 * the coordinator up again), a record too large (a server-side bug), or the error itself.
 */
export function coordinatorErrorForAppend(code: number): number {
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return code;
  }
}

interface WriteHandlers<A> {
  durable(): WriteOutcome<A>;
  /** Receives the coordinator error the append error maps to (NOT_COORDINATOR once the shard is closed). */
  failed(coordinatorError: number): WriteOutcome<A>;
}

/**
 * A write whose outcome may be reported once. After the shard closed, either report is a failure
 * with NOT_COORDINATOR: the state it would change is no longer served, and the client must find
 * the new coordinator.
 */
export class PendingWrite<A> implements TxnWrite<A> {
  private settled = false;

  constructor(
    readonly partition: number,
    readonly records: readonly TxnLogRecord[],
    private readonly isOpen: () => boolean,
    private readonly handlers: WriteHandlers<A>,
  ) {}

  durable(): WriteOutcome<A> {
    this.settle();
    return this.isOpen() ? this.handlers.durable() : this.handlers.failed(ErrorCode.NOT_COORDINATOR);
  }

  failed(appendErrorCode: number): WriteOutcome<A> {
    this.settle();
    if (appendErrorCode === ErrorCode.NONE) throw new TxnStateError('a failed append needs an error code');
    return this.handlers.failed(this.isOpen() ? coordinatorErrorForAppend(appendErrorCode) : ErrorCode.NOT_COORDINATOR);
  }

  private settle(): void {
    // A write retried after a failure is a new PendingWrite (WriteOutcome.next), so this one is done.
    if (this.settled) throw new TxnStateError('the outcome of this write was already reported');
    this.settled = true;
  }
}
