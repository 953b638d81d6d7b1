/**
 * __consumer_offsets as the group coordinator sees it: records appended to one partition (plain,
 * or as one transactional batch of a producer, for TxnOffsetCommit), and every entry of a
 * partition read back in log order with its offset, transaction markers included, so the replay
 * can rebuild the offsets of transactions still open and those their markers ended.
 */

export interface KeyValue {
  key: Buffer;
  value: Buffer | null;
}

/** The transactional producer a batch of offset commits is written for (TxnOffsetCommit). */
export interface TxnProducer {
  readonly producerId: bigint;
  readonly producerEpoch: number;
}

/**
 * One entry of an offsets partition, with its offset in the log: a record (`producerId` set when
 * its batch is transactional), or the end-transaction marker of a producer.
 */
export type OffsetsLogEntry =
  | { readonly kind: 'record'; readonly offset: number; readonly key: Buffer; readonly value: Buffer | null; readonly producerId: bigint | null }
  | { readonly kind: 'marker'; readonly offset: number; readonly producerId: bigint; readonly committed: boolean };

/** The __consumer_offsets topic as the coordinator sees it. */
export interface OffsetsTopic {
  readonly partitions: number;
  /**
   * Appends records to one partition as one batch, transactional for `producer` when given;
   * resolves with the log offset of the first record once they are durable (acknowledged). The
   * coordinator applies a write to its state only after that, and only if it still owns the
   * partition then; it never reads its own writes back.
   */
  append(partition: number, records: KeyValue[], producer?: TxnProducer): Promise<number>;
  /** Every entry of one partition, oldest first, up to its end (read while it may still grow). */
  read(partition: number): AsyncIterable<OffsetsLogEntry>;
}
