/**
 * The narrow interface a partition needs from its log. Two implementations: the disk log
 * (log.ts) and its in-memory twin (memory-log.ts), tested by one shared suite.
 */

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
}

export interface PartitionLog {
  /** First offset still in the log. */
  readonly logStartOffset: number;
  /** The offset the next record will get. */
  readonly logEndOffset: number;
  /**
   * Appends validated batches (their base offsets and leader epochs are patched in place) and
   * resolves once the flush policy considers them acknowledged (fsynced under the default).
   * Appends are applied in call order.
   */
  append(batches: Buffer, leaderEpoch: number, logAppendTime: number | null): Promise<AppendedBatches>;
  /**
   * Reads whole batches from the one containing `offset`, at most `maxBytes` (but at least one
   * batch when `minOneBatch`), never including records at or past `maxOffsetExclusive`.
   */
  read(offset: number, maxBytes: number, maxOffsetExclusive: number, minOneBatch: boolean): Promise<Buffer>;
  /** First offset whose batch max timestamp is at or after `timestamp`, or null past the end. */
  offsetForTimestamp(timestamp: number): Promise<{ offset: number; timestamp: number } | null>;
  /** The record with the largest timestamp (ListOffsets MAX_TIMESTAMP), or null for an empty log. */
  maxTimestamp(): Promise<{ offset: number; timestamp: number } | null>;
  /** Advances the log start offset (DeleteRecords). */
  deleteRecordsBefore(offset: number): Promise<void>;
  /** The headers of the batches from the one holding `fromOffset` to the end (state is rebuilt from them). */
  batchHeaders(fromOffset: number): AsyncIterable<BatchHeader>;
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
