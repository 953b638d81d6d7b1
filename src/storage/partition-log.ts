/**
 * The narrow interface a partition needs from its log. Two implementations: the disk log
 * (log.ts) and its in-memory twin (memory-log.ts), tested by one shared suite.
 */
import type { EpochEndOffset, EpochEntry } from './leader-epoch-cache.js';
import type { AbortedTxn } from './txn-index.js';

export type { EpochEndOffset, EpochEntry } from './leader-epoch-cache.js';
export type { AbortedTxn } from './txn-index.js';

/**
 * A log that an I/O error took offline: it refuses appends and reads until a restart recovers it
 * (the partition answers KAFKA_STORAGE_ERROR).
 */
export class LogOfflineError extends Error {
  override readonly name = 'LogOfflineError';
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

/**
 * Batches copied from a leader that do not continue this log: the first begins below its end, or
 * offsets do not grow from batch to batch. The replica fetcher answers it by truncating (or
 * refetching from `logEndOffset`); nothing of the call was appended.
 */
export class OffsetMismatchError extends Error {
  override readonly name = 'OffsetMismatchError';
  constructor(
    message: string,
    /** The log end offset when the append was refused. */
    readonly logEndOffset: number,
    /** The base offset of the batch that did not fit. */
    readonly batchBaseOffset: number,
  ) {
    super(message);
  }
}

export interface AppendedBatches {
  /** Offset given to the first record. */
  readonly baseOffset: number;
  /** Offset of the last record appended. */
  readonly lastOffset: number;
}

/** What a batch header tells without reading its records. */
export interface BatchHeader {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly maxTimestamp: number;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  /** The batch attributes (bit 4 transactional, bit 5 control). */
  readonly attributes: number;
}

/** A segment as ListOffsets v0 sees it: Kafka's answer to "offsets before a time" uses file times. */
export interface SegmentTime {
  readonly baseOffset: number;
  /** When the segment file was last written (ms since the epoch). */
  readonly lastModifiedMs: number;
  readonly sizeInBytes: number;
}

export interface PartitionLog {
  /** First offset still in the log. */
  readonly logStartOffset: number;
  /** The offset the next record will get. */
  readonly logEndOffset: number;
  /** Bytes the log's batches take (the sum of its segment sizes; DescribeLogDirs reports it). */
  readonly sizeInBytes: number;
  /** Segments the log is made of (Kafka's NumLogSegments; an in-memory log is one). */
  readonly segmentCount: number;
  /**
   * Appends validated batches (their base offsets and leader epochs are patched in place) and
   * resolves once the flush policy considers them acknowledged (fsynced under the default).
   * Appends are applied in call order. `onWritten` is called once the batches are readable
   * (written, not yet necessarily fsynced): followers may copy them while the leader's fsync runs.
   */
  append(batches: Buffer, leaderEpoch: number, logAppendTime: number | null, onWritten?: (endOffset: number) => void): Promise<AppendedBatches>;
  /**
   * Appends batches copied from the leader exactly as they are (base offsets, partition leader
   * epochs and timestamps kept): the first must begin at or after the log end, and each batch
   * after the previous one (a compacted leader log has gaps between batches, as in Kafka),
   * else OffsetMismatchError and nothing is appended. Each batch whose epoch is new is noted in
   * the leader epoch cache at its base offset. Resolves as `append` does, under the flush policy.
   * Checking the batches (CRC, structure) is the caller's: see partition/replicated-batches.ts.
   * Keeps no reference to `batches` once settled (copies what it holds in memory): the replica
   * fetcher reuses that memory for the next answer.
   */
  appendAsFollower(batches: Buffer): Promise<AppendedBatches>;
  /**
   * Removes every batch at and after `offset` (a batch holding `offset` goes whole, so the log may
   * end below it), the epochs that began there, and the offset-named sidecars describing the log
   * past its new end (producer snapshots, see storage/file-names.ts). A target below the log start
   * empties the log as truncateFullyAndStartAt does; one at or past the end changes nothing.
   * No append may be started until it resolves. Survives a crash at any step: the log reopens
   * either as it was or cut, contiguous, with its epoch file agreeing with it.
   */
  truncateTo(offset: number): Promise<void>;
  /**
   * Empties the log and restarts it at `offset`, with no epochs and no offset-named sidecars
   * (a follower whose fetch offset fell below the leader's log start; Kafka's truncateFullyAndStartAt).
   */
  truncateFullyAndStartAt(offset: number): Promise<void>;
  /** The leader epochs and where each began (the leader epoch checkpoint), oldest first. */
  readonly leaderEpochs: readonly EpochEntry[];
  /** Kafka's endOffsetFor over this log's epochs (see leader-epoch-cache.ts). */
  endOffsetForEpoch(epoch: number): EpochEndOffset;
  /**
   * Reads whole batches from the one containing `offset`, at most `maxBytes` (but at least one
   * batch when `minOneBatch`), never including records at or past `maxOffsetExclusive`.
   */
  read(offset: number, maxBytes: number, maxOffsetExclusive: number, minOneBatch: boolean): Promise<Buffer>;
  /** First offset whose batch max timestamp is at or after `timestamp`, or null past the end. */
  offsetForTimestamp(timestamp: number): Promise<{ offset: number; timestamp: number } | null>;
  /** The record with the largest timestamp (ListOffsets MAX_TIMESTAMP), or null for an empty log. */
  maxTimestamp(): Promise<{ offset: number; timestamp: number } | null>;
  /** Every segment's base offset, modification time and size, oldest first (ListOffsets v0). */
  segmentTimes(): Promise<SegmentTime[]>;
  /** Advances the log start offset (DeleteRecords); the epoch cache is truncated from the start to it. */
  deleteRecordsBefore(offset: number): Promise<void>;
  /** The headers of the batches from the one holding `fromOffset` to the end (state is rebuilt from them). */
  batchHeaders(fromOffset: number): AsyncIterable<BatchHeader>;
  /**
   * Notes a transaction aborted by the ABORT marker at `t.lastOffset` in the aborted-transaction
   * index (durably, before it resolves); markers come in offset order, and one noted already
   * (a rebuild replaying the log) changes nothing. Truncation and segment deletion take entries with them.
   */
  appendAbortedTxn(t: AbortedTxn): Promise<void>;
  /** The aborted transactions overlapping [fetchOffset, upperBoundOffset), for a read_committed fetch. */
  collectAbortedTxns(fetchOffset: number, upperBoundOffset: number): Promise<AbortedTxn[]>;
  /** Tells compaction where the earliest open transaction begins (the partition knows): nothing from there is cleaned. */
  setFirstUnstableOffsetSource(source: () => number | null): void;
  /** Calls `listener` with the base offset of each new segment, as the log rolls. */
  onRoll(listener: (baseOffset: number) => void): void;
  /** The previous close was clean: state saved with it (sidecars) is current. */
  readonly openedClean: boolean;
  /** A small named file kept with the partition (state snapshots); null when absent. */
  readSidecar(name: string): Promise<Buffer | null>;
  /** Replaces a sidecar file atomically and durably. */
  writeSidecar(name: string, bytes: Buffer): Promise<void>;
  listSidecars(): Promise<string[]>;
  deleteSidecar(name: string): Promise<void>;
  close(): Promise<void>;
  /** Closes the log and removes its files. */
  destroy(): Promise<void>;
}
