/**
 * The marker phase of ending a transaction, after Kafka's TransactionMarkerChannelManager and its
 * completion handler: once PrepareCommit/PrepareAbort is durable, the transaction's CompleteCommit/
 * CompleteAbort target is prepared (so the id stays pending: EndTxn and InitProducerId get
 * CONCURRENT_TRANSACTIONS) and markers go to every partition. Each partition's WriteTxnMarkers
 * result is reported back; a partition leaves the transaction when its marker is written, and when
 * none is left the completion record is written.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import type { Clock } from './config.js';
import type { TxnMetadata, TxnTransit } from './metadata.js';
import type { TopicPartition } from './partition-set.js';
import { outcome, PendingWrite, type MarkerWork, type TxnLogRecord, type TxnWrite } from './writes.js';

/**
 * One partition's answer to WriteTxnMarkers, or `deleted`: the partition has no leader at all
 * because its topic was deleted (Kafka then drops it from the transaction).
 */
export type MarkerResult = (TopicPartition & { readonly errorCode: number }) | (TopicPartition & { readonly deleted: true });

export interface MarkerProgress {
  /** Partitions to send again, possibly to a new leader: they failed with an error Kafka retries (or one it does not expect). */
  readonly retry: MarkerWork | null;
  /** Every marker is in: append this to complete the transaction. */
  readonly completion: TxnWrite<null> | null;
  /** Results Kafka treats as fatal (CORRUPT_MESSAGE, MESSAGE_TOO_LARGE, an unknown code …), for the caller to log; they are retried too. */
  readonly unexpected: readonly (TopicPartition & { readonly errorCode: number })[];
  /**
   * Stop sending these markers: the work is stale (the transaction completed, the shard closed, a
   * newer round started), or a partition answered INVALID_PRODUCER_EPOCH or
   * TRANSACTION_COORDINATOR_FENCED (a newer producer or coordinator took over). In the latter case
   * the transaction stays in Prepare* until the partition is loaded again, as in Kafka.
   */
  readonly cancelled: boolean;
}

interface Round {
  readonly txn: TxnMetadata;
  readonly work: MarkerWork;
  /** The completion target, prepared when the markers started (its timestamp is that moment's, as in Kafka). */
  readonly transit: TxnTransit;
}

const RETRIABLE: ReadonlySet<number> = new Set([
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.NOT_ENOUGH_REPLICAS,
  ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.KAFKA_STORAGE_ERROR,
]);

/** The producer could not have written to these partitions at all, so they need no marker. */
const NO_MARKER_NEEDED: ReadonlySet<number> = new Set([ErrorCode.NONE, ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, ErrorCode.UNSUPPORTED_VERSION]);

const FENCED: ReadonlySet<number> = new Set([ErrorCode.INVALID_PRODUCER_EPOCH, ErrorCode.TRANSACTION_COORDINATOR_FENCED]);

const CANCELLED: MarkerProgress = { retry: null, completion: null, unexpected: [], cancelled: true };

export class MarkerRounds {
  private readonly rounds = new Map<string, Round>();

  constructor(
    private readonly partition: number,
    private readonly coordinatorEpoch: number,
    private readonly recordsFor: (transactionalId: string, transit: TxnTransit) => TxnLogRecord[],
    private readonly isOpen: () => boolean,
    private readonly clock: Clock,
  ) {}

  /** The Prepare* record of `txn` is durable: prepare its completion and hand out its markers (or the completion at once if no partition is left). */
  start(txn: TxnMetadata, committed: boolean): { markers: MarkerWork | null; next: TxnWrite<null> | null } {
    const transit = txn.prepareComplete(this.clock.now());
    const work: MarkerWork = {
      transactionalId: txn.transactionalId,
      producerId: txn.producerId,
      producerEpoch: txn.producerEpoch,
      coordinatorEpoch: this.coordinatorEpoch,
      committed,
      partitions: txn.partitions.list(),
    };
    const round: Round = { txn, work, transit };
    if (work.partitions.length === 0) return { markers: null, next: this.completion(round) };
    this.rounds.set(txn.transactionalId, round);
    return { markers: work, next: null };
  }

  report(work: MarkerWork, results: readonly MarkerResult[]): MarkerProgress {
    const round = this.rounds.get(work.transactionalId);
    if (!this.isOpen() || !round || !sameRound(round.work, work)) return CANCELLED;
    const partitions = round.txn.partitions;
    const retry: TopicPartition[] = [];
    const unexpected: (TopicPartition & { errorCode: number })[] = [];
    for (const r of results) {
      if (!partitions.has(r.topic, r.partition)) continue; // done already, or never part of it
      if ('deleted' in r || NO_MARKER_NEEDED.has(r.errorCode)) {
        partitions.delete(r.topic, r.partition);
      } else if (FENCED.has(r.errorCode)) {
        this.rounds.delete(work.transactionalId);
        return CANCELLED;
      } else {
        if (!RETRIABLE.has(r.errorCode)) unexpected.push({ topic: r.topic, partition: r.partition, errorCode: r.errorCode });
        retry.push({ topic: r.topic, partition: r.partition });
      }
    }
    let completion: TxnWrite<null> | null = null;
    if (partitions.size === 0) {
      this.rounds.delete(work.transactionalId);
      completion = this.completion(round);
    }
    return { retry: retry.length > 0 ? { ...work, partitions: retry } : null, completion, unexpected, cancelled: false };
  }

  /**
   * The CompleteCommit/CompleteAbort write. COORDINATOR_NOT_AVAILABLE (too few replicas, a
   * timeout) is retried with the same record, keeping the id pending; any other failure leaves
   * the transaction in Prepare* until the partition is loaded again, as Kafka does.
   */
  private completion(round: Round): TxnWrite<null> {
    const { txn, transit } = round;
    return new PendingWrite<null>(this.partition, this.recordsFor(txn.transactionalId, transit), this.isOpen, {
      durable: () => {
        txn.completeTransition(transit);
        return outcome(null);
      },
      failed: (code) => {
        if (code === ErrorCode.COORDINATOR_NOT_AVAILABLE) return outcome(null, null, this.completion(round), true);
        txn.pendingState = null;
        return outcome(null);
      },
    });
  }
}

function sameRound(a: MarkerWork, b: MarkerWork): boolean {
  return a.producerId === b.producerId && a.producerEpoch === b.producerEpoch && a.committed === b.committed && a.coordinatorEpoch === b.coordinatorEpoch;
}
