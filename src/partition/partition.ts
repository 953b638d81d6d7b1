/**
 * One partition led by this broker: its log, high watermark and leader epoch, and the fetches
 * waiting for it to grow. On a single node the high watermark is the end of what the flush
 * policy acknowledged, so a consumer never reads a record a crash could still take back.
 */
import { TransactionRules, type VerificationGuard } from './transaction-rules.js';
import { firstRecordWhere } from './record-search.js';
import { LogOfflineError, type PartitionLog, type SegmentTime } from '../storage/partition-log.js';
import { RecordBatchView } from '../protocol/records/record-batch.js';
import { KafkaError, ErrorCode } from '../protocol/error-codes.js';
import { ProducerStates } from './producer-state.js';
import { batchesIn } from '../protocol/records/batch-records.js';
import { restoreProducerState, saveProducerSnapshot } from './producer-persistence.js';
import type { PartitionState } from '../metadata/metadata-store.js';
import { FollowerProgress } from './follower-progress.js';
import { checkReplicatedBatches } from './replicated-batches.js';
import { highWatermarkOf, laggingReplicas, mayJoinIsr } from './isr-policy.js';
import { buildMarkerBatch, ControlType, type ControlTypeValue } from '../protocol/records/control-record.js';
import { replayCopiedBatches } from './replayed-producers.js';
import type { AbortedTxn } from '../storage/txn-index.js';
import type { ActiveProducer, CompletedTxn } from './producer-state.js';

export const READ_UNCOMMITTED = 0;
export const READ_COMMITTED = 1;

/** An offline log is answered as Kafka answers a partition on an offline log directory. */
function storageError(err: unknown): never {
  if (err instanceof LogOfflineError) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, err.message);
  throw err;
}

export interface PartitionRead {
  records: Buffer;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  /** For read_committed: the aborted transactions overlapping the records returned (Fetch aborted_transactions). */
  abortedTransactions?: AbortedTxn[];
}

/** A WriteTxnMarkers entry for this partition: end `producerId`'s transaction. */
export interface TxnMarker {
  producerId: bigint;
  producerEpoch: number;
  coordinatorEpoch: number;
  type: ControlTypeValue;
}

/** A partition state change the leader asks the metadata store for (compare-and-set on `expectedVersion`). */
export type PartitionStateProposal = (partition: Partition, expectedVersion: number, next: PartitionState) => Promise<{ ok: true; version: number } | { ok: false }>;

/** What a partition needs from the broker besides its log. */
export interface PartitionContext {
  now: () => number;
  /** Writes an ISR change to the metadata store; absent on a broker that never changes ISRs. */
  proposeState?: PartitionStateProposal;
  /** Told when the partition starts or stops following a leader (the replica fetchers act on it). */
  roleChanged?: (partition: Partition) => void;
  /** producer.id.expiration.ms */
  producerIdExpirationMs: () => number;
  /** Told of a background task's failure (a producer snapshot at a segment roll). */
  onBackgroundError: (what: string, err: unknown) => void;
}

const DEFAULT_CONTEXT: PartitionContext = { now: Date.now, producerIdExpirationMs: () => 86_400_000, onBackgroundError: () => undefined };

export class Partition {
  private hwm: number;
  private readonly listeners = new Set<() => void>();
  private readonly producers: ProducerStates;
  /** What this partition's open transactions allow, and KIP-890's verification guards. */
  readonly transactions: TransactionRules;
  leaderEpoch = 0;
  /** The partition's state as the cluster's metadata has it (replicas, ISR, leader, epochs). */
  private state: PartitionState | null = null;
  /** The compare-and-set version of `state`. */
  private version = -1;
  private nodeId = -1;
  /** The end of what the local log acknowledged (flush policy): the leader's own log end offset for the high watermark. */
  private ackedEnd: number;
  /**
   * As leader, the end of what the log has written, fsynced or not: followers copy up to here, so
   * replication runs beside the leader's fsync instead of after it (the high watermark still
   * waits for both: the leader's own part of it is `ackedEnd`).
   */
  private writtenEnd: number;
  private readonly followers = new FollowerProgress();
  /** An ISR change sent to the store and not answered yet: one at a time, as Kafka's AlterPartition. */
  private proposing = false;
  /**
   * The ISR proposed and not yet answered. Until the store answers, the high watermark waits for
   * every replica of both the current and the proposed ISR (KIP-497's maximal ISR): a follower
   * joining now could be elected from the new ISR, so nothing it lacks may be committed meanwhile.
   */
  private proposedIsr: readonly number[] | null = null;

  constructor(
    readonly topic: string,
    readonly index: number,
    readonly log: PartitionLog,
    private readonly context: PartitionContext = DEFAULT_CONTEXT,
  ) {
    // Everything recovered from disk at open is acknowledged data.
    this.hwm = log.logEndOffset;
    this.ackedEnd = log.logEndOffset;
    this.writtenEnd = log.logEndOffset;
    this.producers = new ProducerStates(context.producerIdExpirationMs);
    this.transactions = new TransactionRules(this.producers, `${topic}-${index}`);
    log.setFirstUnstableOffsetSource(() => this.producers.firstUnstableOffset);
    // Kafka snapshots producer state at every roll, so a restart replays at most one segment.
    log.onRoll((baseOffset) => {
      saveProducerSnapshot(this.log, this.producers, baseOffset).catch((err: unknown) => this.context.onBackgroundError('producer state snapshot', err));
    });
  }

  /**
   * Takes the partition's state from the cluster's metadata: whether this broker leads it, with
   * which leader epoch, and which replicas are in sync. An older version than the one held (an ISR
   * change this leader made and applied before the watch brought it) changes nothing.
   */
  applyState(state: PartitionState, version: number, nodeId: number): void {
    if (version <= this.version && this.nodeId === nodeId) return;
    const first = this.state === null;
    const wasLeading = this.state === null ? true : this.state.leader === this.nodeId;
    const previousLeader = this.state?.leader ?? nodeId;
    const previousEpoch = this.leaderEpoch;
    this.state = state;
    this.version = version;
    this.nodeId = nodeId;
    this.leaderEpoch = state.leaderEpoch;
    const leads = state.leader === nodeId;
    if (leads && (!wasLeading || previousEpoch !== state.leaderEpoch)) {
      // A new term: followers' positions are learnt again; until then they count as caught up.
      this.followers.reset(state.isr, this.context.now());
    }
    if (leads) this.advanceHighWatermark();
    if (first || leads !== wasLeading || previousLeader !== state.leader || previousEpoch !== state.leaderEpoch) this.context.roleChanged?.(this);
    this.notify();
  }

  /** True while this broker leads the partition (a partition with no state yet is a lone broker's). */
  get isLeader(): boolean {
    if (this.retired) return false;
    return this.state === null || this.state.leader === this.nodeId;
  }

  /** True when the metadata names another broker the leader and this one a replica. */
  get isFollower(): boolean {
    return !this.retired && this.state !== null && this.state.leader !== this.nodeId && this.state.replicas.includes(this.nodeId);
  }

  /** The leader's node id, -1 when none leads. */
  get leaderId(): number {
    return this.state?.leader ?? this.nodeId;
  }

  get inSyncReplicas(): readonly number[] {
    return this.state?.isr ?? [this.nodeId];
  }

  get replicaIds(): readonly number[] {
    return this.state?.replicas ?? [this.nodeId];
  }

  /**
   * The leader heard a follower's fetch at `fetchOffset`: the follower holds everything below it.
   * The high watermark may advance, and a follower that caught up joins the ISR.
   */
  recordFollowerFetch(replicaId: number, fetchOffset: number): void {
    if (!this.state || this.state.leader !== this.nodeId || !this.state.replicas.includes(replicaId) || replicaId === this.nodeId) return;
    // A fetch offset past this log's end is a follower holding records this leader does not have
    // (it truncates first); it says nothing about what it copied.
    if (fetchOffset > this.replicaEnd || fetchOffset < this.log.logStartOffset) return;
    this.followers.recordFetch(replicaId, fetchOffset, this.replicaEnd, this.context.now());
    this.advanceHighWatermark();
    if (!this.state.isr.includes(replicaId) && mayJoinIsr(this.followers.of(replicaId), this.hwm, this.epochStartOffset())) {
      this.proposeIsr([...this.state.isr, replicaId]);
    }
  }

  /** The leader drops from the ISR the followers that have not caught up for `lagMaxMs` (replica.lag.time.max.ms). */
  shrinkIsrIfLagging(lagMaxMs: number): void {
    if (!this.state || this.state.leader !== this.nodeId) return;
    const lagging = laggingReplicas(this.state.isr, this.nodeId, (id) => this.followers.of(id), this.context.now(), lagMaxMs);
    if (lagging.length > 0) this.proposeIsr(this.state.isr.filter((id) => !lagging.includes(id)));
  }

  /** The offset where the current leader epoch began (the log end when it has no record yet). */
  private epochStartOffset(): number {
    return this.log.leaderEpochs.find((e) => e.epoch === this.leaderEpoch)?.startOffset ?? this.ackedEnd;
  }

  private proposeIsr(isr: number[]): void {
    const state = this.state;
    const propose = this.context.proposeState;
    if (!state || !propose || this.proposing) return;
    this.proposing = true;
    this.proposedIsr = isr;
    const next: PartitionState = { ...state, isr, partitionEpoch: state.partitionEpoch + 1 };
    const expected = this.version;
    propose(this, expected, next).then(
      (result) => {
        this.proposing = false;
        this.proposedIsr = null;
        // Applied at once (the watch brings the same version later); a lost race waits for the watch.
        if (result.ok && this.version === expected) this.applyState(next, result.version, this.nodeId);
      },
      (err: unknown) => {
        this.proposing = false;
        this.proposedIsr = null;
        this.context.onBackgroundError(`changing the ISR of ${this.topic}-${this.index}`, err);
      },
    );
  }

  /** As leader: the high watermark moves up to the smallest log end offset over the ISR, never down. */
  private advanceHighWatermark(): boolean {
    const current = this.state?.isr ?? [this.nodeId];
    const isr = this.proposedIsr ? [...new Set([...current, ...this.proposedIsr])] : current;
    const hwm = this.state === null ? this.ackedEnd : highWatermarkOf(isr, this.nodeId, this.ackedEnd, (id) => this.followers.of(id));
    if (hwm === null || hwm <= this.hwm) return false;
    this.hwm = hwm;
    this.notify();
    return true;
  }

  /**
   * As follower: appends batches copied from the leader, offsets and epochs as the leader gave
   * them, and takes the leader's high watermark as far as the local log reaches.
   */
  async appendReplicated(batches: Buffer, leaderHighWatermark: number): Promise<void> {
    const checked = checkReplicatedBatches(batches, `${this.topic}-${this.index}`);
    if (!checked.ok) throw new KafkaError(checked.errorCode, checked.message);
    batches = checked.records;
    if (batches.length > 0) {
      // The producers' state takes the batches before the log does, as on the leader: a segment
      // roll during this append snapshots the state at the new segment's base offset, and that
      // snapshot must include the batches before it.
      const aborted = await replayCopiedBatches(this.producers, batches);
      // A snapshot taken meanwhile (at a roll) describes the aborts as done: it waits for their index entries.
      const written = this.log.appendAsFollower(batches).then(async (appended) => {
        for (const c of aborted) await this.log.appendAbortedTxn(c);
        return appended;
      });
      this.producers.holdSnapshotsFor(written);
      const appended = await written.catch(this.storageError);
      this.ackedEnd = appended.lastOffset + 1;
    }
    this.followHighWatermark(leaderHighWatermark);
  }

  /** As follower: the leader's high watermark, capped at what this log holds. */
  followHighWatermark(leaderHighWatermark: number): void {
    const hwm = Math.min(leaderHighWatermark, this.ackedEnd);
    if (hwm > this.hwm) {
      this.hwm = hwm;
      this.notify();
    }
  }

  /** The end of what this log acknowledged: where a follower fetches from next. */
  get acknowledgedEnd(): number {
    return this.ackedEnd;
  }

  /** As leader, how far followers may copy: everything written (see `writtenEnd`). */
  get replicaEnd(): number {
    return Math.max(this.ackedEnd, this.writtenEnd);
  }

  /** Rebuilds the idempotent producers' state from the latest snapshot and the log after it. */
  async restoreProducers(): Promise<void> {
    await restoreProducerState(this.log, this.producers, this.context.now());
  }

  /**
   * A follower cuts its log at `offset` (the leader's epoch boundary, KIP-279): the log drops the
   * batches and producer snapshots past it, the producers' state is rebuilt from what is left,
   * and the high watermark falls to the new end when it was above it, as in Kafka.
   */
  async truncateTo(offset: number): Promise<void> {
    await this.log.truncateTo(offset).catch(this.storageError);
    await this.afterTruncation();
  }

  /** A follower behind the leader's log start restarts its log there, empty (Kafka's truncateFullyAndStartAt). */
  async truncateFullyAndStartAt(offset: number): Promise<void> {
    await this.log.truncateFullyAndStartAt(offset).catch(this.storageError);
    this.hwm = offset;
    await this.afterTruncation();
  }

  private async afterTruncation(): Promise<void> {
    this.ackedEnd = this.log.logEndOffset;
    this.writtenEnd = this.ackedEnd;
    this.hwm = Math.min(this.hwm, this.log.logEndOffset);
    await restoreProducerState(this.log, this.producers, this.context.now(), false);
    this.notify();
  }

  /** Saves the idempotent producers' state at a clean shutdown, after the last append. */
  async saveProducers(): Promise<void> {
    // Partitions no idempotent producer wrote to (most of them) cost nothing at shutdown.
    if (this.producers.isEmpty) return;
    await saveProducerSnapshot(this.log, this.producers, this.log.logEndOffset);
  }

  /** The producers this replica knows, with their open transactions (DescribeProducers). */
  activeProducers(): ActiveProducer[] {
    return this.producers.active();
  }

  /** Forgets producers idle for producer.id.expiration.ms; returns how many went. */
  expireProducers(): number {
    return this.producers.expire(this.context.now());
  }

  get highWatermark(): number {
    return this.hwm;
  }

  /**
   * Kafka's last stable offset: below the first offset of every open transaction (but not below
   * the log start, which retention may move past an open one), never above the high watermark.
   */
  get lastStableOffset(): number {
    const unstable = this.producers.firstUnstableOffset;
    return unstable === null ? this.hwm : Math.min(Math.max(unstable, this.log.logStartOffset), this.hwm);
  }

  get logStartOffset(): number {
    return this.log.logStartOffset;
  }

  get logEndOffset(): number {
    return this.log.logEndOffset;
  }

  /**
   * Appends validated batches; resolves when they are acknowledged and visible to consumers.
   * A batch of an idempotent producer is checked against that producer's sequence first: a retry
   * of a batch already appended resolves with that batch's offset and appends nothing (`duplicate`).
   * Throws KafkaError for a fenced epoch or a sequence gap.
   */
  append(batches: Buffer, logAppendTime: number | null, guard?: VerificationGuard): Promise<{ baseOffset: number; duplicate: boolean }> {
    if (this.retired) return Promise.reject(this.notHostedError());
    const view = new RecordBatchView(batches);
    if (view.producerId < 0n) return this.appendToLog(batches, logAppendTime).then((baseOffset) => ({ baseOffset, duplicate: false }));
    if (view.sizeInBytes !== batches.length) {
      return Promise.reject(new KafkaError(ErrorCode.INVALID_RECORD, 'An idempotent producer must send one batch per partition.'));
    }
    const check = this.producers.check(view.producerId, view.producerEpoch, view.baseSequence, view.lastOffsetDelta + 1, Number(view.maxTimestamp));
    if (check.kind === 'error') return Promise.reject(new KafkaError(check.errorCode, check.message));
    if (check.kind === 'duplicate') return check.baseOffset.then((baseOffset) => ({ baseOffset, duplicate: true }));
    const refused = this.transactions.refusal(view.producerId, view.isTransactional, guard);
    if (refused) return Promise.reject(refused);
    // The log end now bounds the transaction's first offset before the append gives it.
    const lowerBound = this.log.logEndOffset;
    const appended = this.appendToLog(batches, logAppendTime);
    check.record(appended);
    if (view.isTransactional) this.producers.openTransaction(view.producerId, lowerBound, appended);
    return appended.then((baseOffset) => ({ baseOffset, duplicate: false }));
  }

  /**
   * Appends an end-transaction marker the coordinator sent (WriteTxnMarkers; Kafka's append with
   * origin COORDINATOR): the broker builds the control batch. Refused with INVALID_PRODUCER_EPOCH
   * for an older producer epoch and TRANSACTION_COORDINATOR_FENCED for an older coordinator
   * epoch. Resolves with the marker's offset once it (and, for an abort, its aborted-transaction
   * index entry) is durable; the LSO moves past the transaction then.
   */
  async appendTxnMarker(m: TxnMarker): Promise<{ offset: number }> {
    if (this.retired) throw this.notHostedError();
    const batch = await buildMarkerBatch({ type: m.type, coordinatorEpoch: m.coordinatorEpoch }, { producerId: m.producerId, producerEpoch: m.producerEpoch, timestamp: this.context.now() });
    // Checked and applied at once after the build: markers and batches keep their call order.
    const check = this.producers.checkMarker(m.producerId, m.producerEpoch, m.coordinatorEpoch, this.context.now());
    if (check.kind === 'error') throw new KafkaError(check.errorCode, check.message);
    this.transactions.markerAccepted(m.producerId);
    const offset = this.appendToLog(batch, null);
    const indexAbort = (c: CompletedTxn): Promise<void> => this.log.appendAbortedTxn({ producerId: c.producerId, firstOffset: c.firstOffset, lastOffset: c.lastOffset, lastStableOffset: c.lastStableOffset }).catch(this.storageError);
    await check.settle(offset, m.type === ControlType.ABORT, indexAbort);
    // The LSO moved: read_committed fetches waiting on it wake.
    this.notify();
    return { offset: await offset };
  }

  private async appendToLog(batches: Buffer, logAppendTime: number | null): Promise<number> {
    const result = await this.log.append(batches, this.leaderEpoch, logAppendTime, (end) => this.written(end)).catch(this.storageError);
    this.ackedEnd = Math.max(this.ackedEnd, result.lastOffset + 1);
    // Followers waiting at the old end have something to fetch (their fetches watch this partition).
    if (!this.advanceHighWatermark()) this.notify();
    return result.baseOffset;
  }

  /** Reads from `offset` up to the high watermark (or the last stable offset for read_committed). */
  async read(offset: number, maxBytes: number, isolationLevel: number, minOneBatch: boolean): Promise<PartitionRead> {
    const limit = isolationLevel === READ_COMMITTED ? this.lastStableOffset : this.hwm;
    const hwm = this.hwm;
    const records = offset >= limit ? Buffer.alloc(0) : await this.log.read(offset, maxBytes, limit, minOneBatch).catch(this.storageError);
    const read: PartitionRead = { records, highWatermark: hwm, lastStableOffset: this.lastStableOffset, logStartOffset: this.log.logStartOffset };
    if (isolationLevel === READ_COMMITTED) read.abortedTransactions = await this.abortedIn(offset, records);
    return read;
  }

  /** The aborted transactions a read_committed consumer must know to drop records of `records` (read from `offset`). */
  private async abortedIn(offset: number, records: Buffer): Promise<AbortedTxn[]> {
    let end = offset;
    for (const view of batchesIn(records)) end = Number(view.baseOffset) + view.lastOffsetDelta + 1;
    if (end <= offset) return [];
    return this.log.collectAbortedTxns(offset, end).catch(this.storageError);
  }

  /** Written but maybe not yet fsynced: waiting followers may copy it now. */
  private written(end: number): void {
    if (end <= this.writtenEnd) return;
    this.writtenEnd = end;
    this.notify();
  }

  /** A follower's read: from `offset` up to everything written here (`replicaEnd`), not just the high watermark. */
  async readForReplica(offset: number, maxBytes: number, minOneBatch: boolean): Promise<PartitionRead> {
    const end = this.replicaEnd;
    const records = offset >= end ? Buffer.alloc(0) : await this.log.read(offset, maxBytes, end, minOneBatch).catch(this.storageError);
    return { records, highWatermark: this.hwm, lastStableOffset: this.lastStableOffset, logStartOffset: this.log.logStartOffset };
  }

  /**
   * ListOffsets by timestamp: the first record at or after `timestamp`, below the high watermark.
   * The log finds the batch by its max timestamp; the records inside it decide the exact offset.
   */
  async offsetForTimestamp(timestamp: number): Promise<{ offset: number; timestamp: number } | null> {
    const found = await this.log.offsetForTimestamp(timestamp).catch(this.storageError);
    if (!found || found.offset >= this.hwm) return null;
    const bytes = await this.log.read(found.offset, 1, this.hwm, true).catch(this.storageError);
    return (await firstRecordWhere(bytes, (o, t) => o >= BigInt(found.offset) && t >= BigInt(timestamp))) ?? found;
  }

  /** ListOffsets MAX_TIMESTAMP: the first record carrying the largest timestamp below the high watermark. */
  async maxTimestamp(): Promise<{ offset: number; timestamp: number } | null> {
    const found = await this.log.maxTimestamp().catch(this.storageError);
    if (!found || found.offset >= this.hwm) return found;
    const bytes = await this.log.read(found.offset, 1, this.hwm, true).catch(this.storageError);
    return (await firstRecordWhere(bytes, (_, t) => t === BigInt(found.timestamp))) ?? found;
  }

  /** The log's segments with their file times (ListOffsets v0, see legacy-offsets.ts). */
  segmentTimes(): Promise<SegmentTime[]> {
    return this.log.segmentTimes().catch(this.storageError);
  }

  /** DeleteRecords: advances the log start offset. */
  async deleteRecordsBefore(offset: number): Promise<void> {
    await this.log.deleteRecordsBefore(offset).catch(this.storageError);
    this.notify();
  }

  private retired = false;

  /**
   * A log error as a partition error: KAFKA_STORAGE_ERROR for an offline log, as Kafka answers a
   * partition on an offline log directory; NOT_LEADER_OR_FOLLOWER once the partition is being
   * deleted, whatever its log says (a discarded log refuses what was not under way, and its files
   * are renamed away under a read).
   */
  private readonly storageError = (err: unknown): never => {
    if (this.retired) throw this.notHostedError();
    return storageError(err);
  };

  private notHostedError(): KafkaError {
    return new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${this.topic}-${this.index} is no longer hosted here (its topic was deleted).`);
  }

  /**
   * Refuses appends from now on and wakes waiting fetches: the partition is being removed. An
   * append that started before either finishes or, when its log is discarded first, is refused
   * with NOT_LEADER_OR_FOLLOWER too.
   */
  retire(): void {
    this.retired = true;
    this.context.roleChanged?.(this);
    this.notify();
  }

  /**
   * Calls `listener` at every change a delayed operation may wait on (the high watermark, the log
   * start, the partition's retirement) until the returned function is called. The replica manager
   * listens once per partition and tells its purgatory (checkAndComplete of the partition's key).
   */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Says "this partition changed" to its listeners; call it wherever such a change happens. */
  notify(): void {
    for (const l of this.listeners) l();
  }
}
