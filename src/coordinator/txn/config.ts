/** The transaction coordinator's settings, under Kafka's config names, with Kafka's defaults. */
import type { TxnLogValueVersion } from './records.js';

export interface TxnCoordinatorConfig {
  /** transaction.max.timeout.ms: the longest transaction.timeout.ms a producer may ask for (INVALID_TRANSACTION_TIMEOUT above it). */
  transactionMaxTimeoutMs: number;
  /** transactional.id.expiration.ms: an id with no transaction open and no update for this long is removed (a tombstone). */
  transactionalIdExpirationMs: number;
  /** transaction.state.log.num.partitions: which partition of __transaction_state holds an id. */
  transactionStatePartitions: number;
  /** offsets.topic.num.partitions: which __consumer_offsets partition AddOffsetsToTxn adds for a group. */
  offsetsTopicPartitions: number;
  /** The __transaction_state value version to write: 0 as Kafka with transaction.version 0, 1 from transaction.version 1. */
  logValueVersion: TxnLogValueVersion;
}

export const TXN_COORDINATOR_DEFAULTS: TxnCoordinatorConfig = {
  transactionMaxTimeoutMs: 900_000,
  transactionalIdExpirationMs: 604_800_000,
  transactionStatePartitions: 50,
  offsetsTopicPartitions: 50,
  logValueVersion: 1,
};

/** transaction.abort.timed.out.transaction.cleanup.interval.ms: how often the caller should run abortTimedOutTransactions(). */
export const ABORT_TIMED_OUT_TRANSACTIONS_INTERVAL_MS = 10_000;
/** transaction.remove.expired.transaction.cleanup.interval.ms: how often the caller should run expireTransactionalIds(). */
export const REMOVE_EXPIRED_TRANSACTIONAL_IDS_INTERVAL_MS = 3_600_000;

/** The time source; a manual clock in tests. */
export interface Clock {
  now(): number;
}

/**
 * Producer ids, handed out synchronously as Kafka's ProducerIdManager.generateProducerId does: a
 * source that has no id at hand (its next block is still being fetched) throws a KafkaError, e.g.
 * COORDINATOR_LOAD_IN_PROGRESS, which becomes the client's answer.
 */
export interface ProducerIdAllocator {
  allocate(): bigint;
}
