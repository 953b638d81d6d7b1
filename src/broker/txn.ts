/**
 * Starts the transaction coordinator: __transaction_state is created at the first FindCoordinator
 * for a transactional id (as Kafka does, on a lone broker too), and each of its partitions is
 * loaded while this broker leads it and unloaded when it stops, as the group coordinator follows
 * the leadership of __consumer_offsets. Writes go to the partition with acks=all; markers to the
 * partitions' leaders (txn-markers.ts). stop() must run before the logs close.
 */
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-configs.js';
import { TransactionCoordinator, type MarkerChannel, type ProducerIdSource, type TxnStateLog } from '../coordinator/txn/transaction-coordinator.js';
import type { ReplayRecord } from '../coordinator/txn/replay.js';
import type { Scheduler } from '../coordinator/scheduler.js';
import type { ReplicaManager } from '../partition/replica-manager.js';
import type { TopicService } from '../partition/topic-service.js';
import type { Partition } from '../partition/partition.js';
import { appendCommitted } from '../partition/committed-append.js';
import { ErrorCode, KafkaError } from '../protocol/error-codes.js';
import { batchesIn, buildBatch, readBatchRecords } from '../protocol/records/batch-records.js';
import { OFFSETS_TOPIC } from './groups.js';

export const TXN_STATE_TOPIC = '__transaction_state';

export interface RunningTransactionCoordinator {
  readonly coordinator: TransactionCoordinator;
  stop(): Promise<void>;
}

/** __transaction_state as Kafka creates it; replication factor and min ISR at most the live brokers. */
export async function createTransactionStateTopic(config: BrokerConfig, topics: TopicService, liveBrokers: number): Promise<void> {
  if (topics.get(TXN_STATE_TOPIC)) return;
  const replicationFactor = Math.max(1, Math.min(config.int('transaction.state.log.replication.factor'), liveBrokers));
  const minIsr = Math.min(config.int('transaction.state.log.min.isr'), replicationFactor);
  const configs = {
    'cleanup.policy': 'compact',
    'compression.type': 'uncompressed',
    'min.insync.replicas': String(minIsr),
    'segment.bytes': String(config.int('transaction.state.log.segment.bytes')),
    'unclean.leader.election.enable': 'false',
  };
  const created = await topics.create(TXN_STATE_TOPIC, { numPartitions: config.int('transaction.state.log.num.partitions'), replicationFactor }, configs, false);
  if (created.errorCode !== ErrorCode.NONE && created.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) throw new KafkaError(created.errorCode, `cannot create ${TXN_STATE_TOPIC}: ${created.errorMessage}`);
}

function stateLog(config: BrokerConfig, topics: TopicService, replicas: ReplicaManager): TxnStateLog {
  const led = (index: number): Partition => {
    const p = replicas.get(TXN_STATE_TOPIC, index);
    if (!p?.isLeader) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${TXN_STATE_TOPIC}-${index} is not led here`);
    return p;
  };
  return {
    async append(index, records) {
      const p = led(index);
      const now = Date.now();
      const batch = await buildBatch(records.map((r) => ({ key: r.key, value: r.value, timestamp: now })));
      const minInsyncReplicas = Number(topics.get(TXN_STATE_TOPIC)?.configs['min.insync.replicas'] ?? config.int('transaction.state.log.min.isr'));
      await appendCommitted(p, { purgatory: replicas.purgatory, timeoutMs: config.int('request.timeout.ms'), minInsyncReplicas }, async () => {
        const { baseOffset } = await p.append(batch, null);
        return baseOffset + records.length - 1;
      });
    },
    // To the log end, as the group coordinator's replay: a new leader's high watermark may lag
    // records the previous leader had acknowledged.
    async *read(index): AsyncIterable<ReplayRecord> {
      const chunk = config.int('transaction.state.log.load.buffer.size');
      const p = () => {
        const found = replicas.get(TXN_STATE_TOPIC, index);
        if (!found) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${TXN_STATE_TOPIC}-${index} is not hosted here`);
        return found;
      };
      let offset = p().logStartOffset;
      while (offset < p().acknowledgedEnd) {
        const { records } = await p().readForReplica(offset, chunk, true);
        let last = offset - 1;
        for (const view of batchesIn(records)) {
          last = Number(view.lastOffset);
          if (view.isControl) continue;
          for (const r of await readBatchRecords(view)) if (r.offset >= BigInt(offset)) yield { key: r.key, value: r.value };
        }
        if (last < offset) break;
        offset = last + 1;
      }
    },
  };
}

export interface TxnHosting {
  /** Hears every partition role change (leader, follower, removed). */
  onRoleChange(listener: (partition: Partition) => void): void;
  readonly markers: MarkerChannel;
  readonly producerIds: ProducerIdSource;
}

export function startTransactionCoordinator(config: BrokerConfig, topics: TopicService, replicas: ReplicaManager, log: Logger, scheduler: Scheduler, hosting: TxnHosting): RunningTransactionCoordinator {
  const count = topics.get(TXN_STATE_TOPIC)?.partitions ?? config.int('transaction.state.log.num.partitions');
  const coordinator = new TransactionCoordinator(
    {
      transactionMaxTimeoutMs: config.int('transaction.max.timeout.ms'),
      transactionalIdExpirationMs: config.int('transactional.id.expiration.ms'),
      transactionStatePartitions: count,
      offsetsTopicPartitions: topics.get(OFFSETS_TOPIC)?.partitions ?? config.int('offsets.topic.num.partitions'),
      logValueVersion: 1,
    },
    scheduler,
    stateLog(config, topics, replicas),
    hosting.markers,
    hosting.producerIds,
    {
      abortTimedOutIntervalMs: config.int('transaction.abort.timed.out.transaction.cleanup.interval.ms'),
      removeExpiredIntervalMs: config.int('transaction.remove.expired.transaction.cleanup.interval.ms'),
      retryBackoffMs: 100,
      concurrentWaitMs: 1000,
    },
    (err, what) => log.warn({ err }, `transaction coordinator: ${what} failed`),
  );
  // Each partition is served while led here, from the leader epoch it is led at (the coordinator epoch of its markers).
  const follow = (p: Partition): void => {
    if (p.topic !== TXN_STATE_TOPIC || p.index >= count) return;
    if (p.isLeader && replicas.get(TXN_STATE_TOPIC, p.index) === p) {
      coordinator.loadPartition(p.index, p.leaderEpoch).catch((err: unknown) => log.error({ err, partition: p.index }, `loading ${TXN_STATE_TOPIC} failed`));
    } else {
      coordinator.unloadPartition(p.index);
    }
  };
  hosting.onRoleChange(follow);
  for (let i = 0; i < count; i++) {
    const p = replicas.get(TXN_STATE_TOPIC, i);
    if (p) follow(p);
  }
  coordinator.startTimers();
  return { coordinator, stop: () => coordinator.close() };
}
