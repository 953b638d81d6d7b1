/**
 * The transaction coordinator a broker runs: one TxnCoordinatorShard per __transaction_state
 * partition this broker leads, and the I/O the shards only describe. It appends each shard's
 * writes to the partition (through TxnStateLog, acks=all), reports the outcome back, sends the
 * markers an outcome asks for (through MarkerChannel) until every partition has its marker, and
 * writes the completion that follows. Its timers abort timed-out transactions and expire old ids.
 *
 * Partitions are claimed as leadership arrives (loadPartition: replay, then serve) and released as
 * it leaves (unloadPartition), with the bookkeeping of the group coordinator (ownership.ts): while
 * a partition loads, its ids answer COORDINATOR_LOAD_IN_PROGRESS; when it is not here, NOT_COORDINATOR.
 */
import { ErrorCode, KafkaError } from '../../protocol/error-codes.js';
import { BackgroundWork, type FailureReport } from '../background.js';
import { PartitionOwnership, type Claim, type OwnershipStatus, ownershipError } from '../group/ownership.js';
import { TrackedScheduler, type Scheduler, type Timer } from '../scheduler.js';
import type { TxnCoordinatorConfig } from './config.js';
import {
  TxnCoordinatorShard,
  type AddOffsetsFields,
  type AddPartitionsFields,
  type EndTxnFields,
  type ErrorAnswer,
  type InitProducerIdFields,
  type PartitionError,
  type ProducerAnswer,
  type TxnView,
} from './coordinator.js';
import type { MarkerResult } from './markers.js';
import { NO_PRODUCER_EPOCH, NO_PRODUCER_ID } from './metadata.js';
import { partitionForTransactionalId } from './records.js';
import { replayTxnPartition, type ReplayRecord } from './replay.js';
import type { MarkerWork, Step, TxnLogRecord, TxnWrite } from './writes.js';

/** __transaction_state as the coordinator writes and replays it. */
export interface TxnStateLog {
  /**
   * Appends the records to the partition (uncompressed, acks=all) while this broker leads it;
   * rejects with a KafkaError carrying the partition's error code otherwise.
   */
  append(partition: number, records: readonly TxnLogRecord[]): Promise<void>;
  /** The partition's records from its log start to its log end, as they stand when read. */
  read(partition: number): AsyncIterable<ReplayRecord>;
}

/** How markers reach the partition leaders (WriteTxnMarkers, or a local append). */
export interface MarkerChannel {
  /** Writes the marker to every partition of `work`; one result per partition, never rejects. */
  write(work: MarkerWork): Promise<MarkerResult[]>;
}

/** Producer ids for new transactional ids (the broker's ProducerIdManager). */
export interface ProducerIdSource {
  nextId(): Promise<bigint>;
}

export interface TransactionCoordinatorTimings {
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms */
  readonly abortTimedOutIntervalMs: number;
  /** transaction.remove.expired.transaction.cleanup.interval.ms */
  readonly removeExpiredIntervalMs: number;
  /** Pause before markers or a completion are tried again (Kafka's marker sender retries at its next poll). */
  readonly retryBackoffMs: number;
  /**
   * How long a request that would answer CONCURRENT_TRANSACTIONS waits for the id's write under
   * way (the completion after EndTxn, most often) before it answers so; 0 answers at once, as Kafka.
   */
  readonly concurrentWaitMs: number;
}

export type TxnLoadOutcome = 'loaded' | 'superseded' | 'stale-epoch';

const refusal = (errorCode: number): ProducerAnswer => ({ errorCode, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH });

export class TransactionCoordinator {
  private readonly ownership = new PartitionOwnership();
  private readonly shards = new Map<Claim, TxnCoordinatorShard>();
  private readonly loads = new Map<Claim, Promise<TxnLoadOutcome>>();
  private readonly scheduler: TrackedScheduler;
  private readonly background: BackgroundWork;
  /** Ids fetched ahead of a call that may need one (the shard allocates synchronously). */
  private readonly spareIds: bigint[] = [];
  private readonly pauses = new Set<() => void>();
  /** Requests waiting for a write of their partition to settle (see run()). */
  private readonly settleWaiters = new Map<number, Set<() => void>>();
  private readonly timers: Timer[] = [];
  private closed = false;

  constructor(
    private readonly config: TxnCoordinatorConfig,
    scheduler: Scheduler,
    private readonly stateLog: TxnStateLog,
    private readonly markerChannel: MarkerChannel,
    private readonly producerIds: ProducerIdSource,
    private readonly timings: TransactionCoordinatorTimings,
    private readonly report: FailureReport,
  ) {
    this.scheduler = new TrackedScheduler(scheduler);
    this.background = new BackgroundWork(report);
  }

  get partitions(): number {
    return this.config.transactionStatePartitions;
  }

  partitionFor(transactionalId: string): number {
    return partitionForTransactionalId(transactionalId, this.config.transactionStatePartitions);
  }

  /** Whether this coordinator answers for the id now. */
  owns(transactionalId: string): OwnershipStatus {
    if (this.closed) return 'not-owned';
    return this.ownership.status(this.partitionFor(transactionalId));
  }

  /**
   * This broker leads `partition` at leader epoch `coordinatorEpoch`: replays it, then serves its
   * ids, resending the markers of transactions the log leaves half-completed. Semantics of epochs
   * as the group coordinator's loadPartition: an older epoch is ignored, the same one is the same
   * load, a newer one drops what is in memory and replays again.
   */
  loadPartition(partition: number, coordinatorEpoch: number): Promise<TxnLoadOutcome> {
    if (!Number.isInteger(partition) || partition < 0 || partition >= this.partitions) return Promise.reject(new RangeError(`__transaction_state has no partition ${partition}`));
    if (this.closed) return Promise.resolve('superseded');
    if (!this.ownership.acceptEpoch(partition, coordinatorEpoch)) return Promise.resolve('stale-epoch');
    const current = this.ownership.current(partition);
    if (current?.epoch === coordinatorEpoch) return this.loads.get(current) ?? Promise.resolve('loaded');
    if (current) this.drop(current);
    const claim = this.ownership.begin(partition, coordinatorEpoch);
    const loading = this.replay(claim).finally(() => this.loads.delete(claim));
    this.loads.set(claim, loading);
    return loading;
  }

  /** This broker no longer leads `partition`: its ids answer NOT_COORDINATOR, marker work for it stops. */
  unloadPartition(partition: number, coordinatorEpoch?: number): boolean {
    if (!this.ownership.acceptEpoch(partition, coordinatorEpoch)) return false;
    const current = this.ownership.current(partition);
    if (current) this.drop(current);
    return true;
  }

  async initProducerId(req: InitProducerIdFields): Promise<ProducerAnswer> {
    if (req.transactionalId === '') return refusal(ErrorCode.INVALID_REQUEST);
    // A new id needs a producer id, taken synchronously by the shard: fetch one ahead.
    if (this.spareIds.length === 0 && this.owns(req.transactionalId) === 'owned') {
      try {
        this.spareIds.push(await this.producerIds.nextId());
      } catch (err) {
        this.report(err, 'allocating a producer id');
        return refusal(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      }
    }
    return this.run(req.transactionalId, refusal, (shard) => shard.initProducerId(req));
  }

  addPartitions(req: AddPartitionsFields): Promise<ErrorAnswer> {
    return this.run(req.transactionalId, (errorCode) => ({ errorCode }), (shard) => shard.addPartitions(req));
  }

  addOffsets(req: AddOffsetsFields): Promise<ErrorAnswer> {
    return this.run(req.transactionalId, (errorCode) => ({ errorCode }), (shard) => shard.addOffsets(req));
  }

  endTxn(req: EndTxnFields): Promise<ProducerAnswer> {
    return this.run(req.transactionalId, refusal, (shard) => shard.endTxn(req));
  }

  /** AddPartitionsToTxn v4+ verifyOnly: is each partition in the producer's ongoing transaction? */
  verifyPartitions(req: AddPartitionsFields): PartitionError[] {
    const shard = this.shardFor(req.transactionalId);
    if (typeof shard === 'number') return req.partitions.map((tp) => ({ topic: tp.topic, partition: tp.partition, errorCode: shard }));
    return shard.verifyPartitions(req);
  }

  /** One id's state (DescribeTransactions), or an error code: NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, TRANSACTIONAL_ID_NOT_FOUND. */
  describe(transactionalId: string): TxnView | number {
    const shard = this.shardFor(transactionalId);
    if (typeof shard === 'number') return shard;
    return shard.describe(transactionalId) ?? ErrorCode.TRANSACTIONAL_ID_NOT_FOUND;
  }

  /** Every id of the loaded partitions (ListTransactions). */
  list(): TxnView[] {
    return [...this.shards.values()].flatMap((s) => s.list());
  }

  /** Some partition is still being replayed (ListTransactions says so, as in Kafka). */
  get isLoading(): boolean {
    return this.ownership.anyLoading;
  }

  /** Arms the periodic sweeps: timed-out transactions aborted, expired ids removed. */
  startTimers(): void {
    this.every(this.timings.abortTimedOutIntervalMs, 'aborting timed-out transactions', (shard) => shard.abortTimedOutTransactions());
    this.every(this.timings.removeExpiredIntervalMs, 'removing expired transactional ids', (shard) => shard.expireTransactionalIds());
  }

  /** Runs one sweep now (tests and the timers). */
  sweep(kind: 'abort-timed-out' | 'expire-ids'): void {
    for (const shard of this.shards.values()) {
      const writes = kind === 'abort-timed-out' ? shard.abortTimedOutTransactions() : shard.expireTransactionalIds();
      for (const w of writes) this.background.run(kind, this.execute(w));
    }
  }

  /**
   * Stops serving: new requests answer NOT_COORDINATOR, timers are cancelled and nothing is
   * retried any more. Writes and marker rounds under way may finish for up to `graceMs` (so a
   * clean stop right after an EndTxn usually leaves the transaction completed, not to be completed
   * again by the next load); then every shard closes, late outcomes change nothing, and close()
   * resolves once nothing touches the logs. A transaction left half-completed is completed by the
   * next load.
   */
  async close(graceMs = 5000): Promise<void> {
    this.closed = true;
    for (const t of this.timers) t.cancel();
    this.scheduler.close();
    for (const wake of [...this.pauses]) wake();
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([this.background.settled(), new Promise<void>((resolve) => (grace = setTimeout(resolve, graceMs).unref()))]);
    clearTimeout(grace);
    for (const claim of [...this.shards.keys()]) this.drop(claim);
    for (const p of this.ownership.partitions()) this.ownership.release(p);
    await this.background.settled();
  }

  private every(intervalMs: number, what: string, sweep: (shard: TxnCoordinatorShard) => TxnWrite<null>[]): void {
    const arm = (): void => {
      this.timers.push(
        this.scheduler.schedule(intervalMs, () => {
          for (const shard of this.shards.values()) for (const w of sweep(shard)) this.background.run(what, this.execute(w));
          arm();
        }),
      );
    };
    arm();
  }

  private async replay(claim: Claim): Promise<TxnLoadOutcome> {
    let shard: ReturnType<typeof TxnCoordinatorShard.load>;
    try {
      const replayed = await replayTxnPartition(this.stateLog.read(claim.partition));
      for (const s of replayed.skipped) this.report(new Error(s.reason), `reading record ${s.index} of __transaction_state-${claim.partition}`);
      shard = TxnCoordinatorShard.load(claim.partition, claim.epoch, replayed.txns, this.config, this.scheduler, { allocate: () => this.takeSpareId() });
    } catch (err) {
      this.ownership.release(claim.partition, claim);
      throw err;
    }
    if (!this.ownership.finish(claim)) return 'superseded';
    this.shards.set(claim, shard.shard);
    for (const work of shard.markers) this.sendMarkers(shard.shard, work);
    for (const w of shard.writes) this.background.run('completing a transaction', this.execute(w));
    return 'loaded';
  }

  private drop(claim: Claim): void {
    this.shards.get(claim)?.close();
    this.shards.delete(claim);
    this.ownership.release(claim.partition, claim);
  }

  private shardFor(transactionalId: string): TxnCoordinatorShard | number {
    if (transactionalId === '') return ErrorCode.INVALID_REQUEST;
    const status = this.owns(transactionalId);
    if (status !== 'owned') return ownershipError(status);
    const claim = this.ownership.owned(this.partitionFor(transactionalId));
    const shard = claim ? this.shards.get(claim) : undefined;
    return shard ?? ErrorCode.NOT_COORDINATOR;
  }

  /**
   * Runs one request's step. An answer of CONCURRENT_TRANSACTIONS means a write for the id is
   * under way (most often the markers and completion of the transaction the producer just ended,
   * when its next AddPartitionsToTxn arrives). Clients retry it after a backoff of 20-100 ms, which
   * would bound a producer to a few transactions per second; the request waits for that write
   * instead (up to concurrentWaitMs) and is stepped again: the same answers, sooner.
   */
  private async run<A extends { errorCode: number }>(transactionalId: string, refused: (errorCode: number) => A, step: (shard: TxnCoordinatorShard) => Step<A>): Promise<A> {
    const deadline = this.scheduler.now() + this.timings.concurrentWaitMs;
    for (;;) {
      const shard = this.shardFor(transactionalId);
      if (typeof shard === 'number') return refused(shard);
      const s = step(shard);
      if (s.kind === 'write') return this.execute(s.write);
      if (s.answer.errorCode !== ErrorCode.CONCURRENT_TRANSACTIONS || this.closed) return s.answer;
      const left = deadline - this.scheduler.now();
      if (left <= 0) return s.answer;
      await this.nextSettle(shard.partition, left);
    }
  }

  /** Resolves when a write of `partition` settles, or after `ms`. */
  private nextSettle(partition: number, ms: number): Promise<void> {
    let waiters = this.settleWaiters.get(partition);
    if (!waiters) this.settleWaiters.set(partition, (waiters = new Set()));
    const set = waiters;
    return new Promise((resolve) => {
      const done = (): void => {
        set.delete(done);
        this.pauses.delete(done);
        timer.cancel();
        resolve();
      };
      set.add(done);
      this.pauses.add(done);
      const timer = this.scheduler.schedule(ms, done);
    });
  }

  private settled(partition: number): void {
    const waiters = this.settleWaiters.get(partition);
    if (waiters) for (const wake of [...waiters]) wake();
  }

  /** Appends a write, reports its outcome, and starts what the outcome asks for (markers, a next write). */
  private async execute<A>(write: TxnWrite<A>): Promise<A> {
    let failure: number | null = null;
    try {
      await this.stateLog.append(write.partition, write.records);
    } catch (err) {
      if (!(err instanceof KafkaError)) this.report(err, `writing to __transaction_state-${write.partition}`);
      failure = err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR;
    }
    const outcome = failure === null ? write.durable() : write.failed(failure);
    // Requests answered CONCURRENT_TRANSACTIONS because of this write may go ahead now.
    this.settled(write.partition);
    const shard = this.shardOfPartition(write.partition);
    if (outcome.markers && shard) this.sendMarkers(shard, outcome.markers);
    const next = outcome.next;
    if (next && !(outcome.retry && this.closed)) {
      const run = outcome.retry ? this.pause(this.timings.retryBackoffMs).then(() => this.execute(next)) : this.execute(next);
      this.background.run('completing a transaction', run);
    }
    return outcome.answer;
  }

  private shardOfPartition(partition: number): TxnCoordinatorShard | undefined {
    const claim = this.ownership.owned(partition);
    return claim ? this.shards.get(claim) : undefined;
  }

  private sendMarkers(shard: TxnCoordinatorShard, work: MarkerWork): void {
    this.background.run(`writing the markers of ${work.transactionalId}`, this.markerRounds(shard, work));
  }

  /** Sends the markers, and again to the partitions that failed, until all are in or the work is stale. */
  private async markerRounds(shard: TxnCoordinatorShard, work: MarkerWork): Promise<void> {
    let pending: MarkerWork | null = work;
    while (pending && !shard.isClosed) {
      const results = await this.markerChannel.write(pending);
      const progress = shard.markersWritten(pending, results);
      for (const u of progress.unexpected) this.report(new KafkaError(u.errorCode, `the marker for ${u.topic}-${u.partition} was refused`), `writing a marker of ${work.transactionalId}`);
      if (progress.completion) this.background.run('completing a transaction', this.execute(progress.completion));
      if (progress.cancelled) return;
      pending = progress.retry;
      // A stopping coordinator retries nothing: the next load sends what is left.
      if (pending && this.closed) return;
      if (pending) await this.pause(this.timings.retryBackoffMs);
    }
  }

  /** A wait that close() cuts short. */
  private pause(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        this.pauses.delete(wake);
        timer.cancel();
        resolve();
      };
      this.pauses.add(wake);
      const timer = this.scheduler.schedule(ms, wake);
    });
  }

  private takeSpareId(): bigint {
    const id = this.spareIds.pop();
    if (id === undefined) throw new KafkaError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, 'no producer id at hand yet');
    return id;
  }
}
