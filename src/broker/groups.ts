/**
 * Starts the group coordinator: on a lone broker creates __consumer_offsets when absent
 * (compacted, with offsets.topic.num.partitions partitions) and loads every partition of it; in a
 * cluster, loads and unloads each offsets partition as this broker comes to lead it or stops, as
 * Kafka's coordinator follows leadership. It expires old offsets periodically and drops the
 * committed offsets of deleted topics.
 * Its timers run on `scheduler` (the system clock unless a test injects one); stop() cancels
 * them all and waits for the coordinator's writes, and must run before the logs close.
 */
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-configs.js';
import { GroupCoordinator } from '../coordinator/group/coordinator.js';
import { ConsumerOffsetsTopic, type OffsetsPartition } from '../coordinator/group/offsets-topic.js';
import type { Scheduler } from '../coordinator/scheduler.js';
import type { ReplicaManager } from '../partition/replica-manager.js';
import type { TopicService } from '../partition/topic-service.js';
import type { Partition } from '../partition/partition.js';
import type { Purgatory } from '../partition/purgatory.js';
import { appendCommitted } from '../partition/committed-append.js';
import { logValidationConfig } from '../config/log-validation-config.js';
import { ErrorCode, KafkaError } from '../protocol/error-codes.js';
import { batchesIn } from '../protocol/records/batch-records.js';

export const OFFSETS_TOPIC = '__consumer_offsets';

export interface RunningGroupCoordinator {
  readonly coordinator: GroupCoordinator;
  stop(): Promise<void>;
}

export interface GroupHosting {
  /** A cluster: offsets partitions are loaded as this broker comes to lead them. A lone broker loads them all. */
  readonly clustered: boolean;
  /** The delayed-operation queue where an offsets append waits for its in-sync replicas. */
  readonly purgatory: Purgatory;
  /** Hears every partition role change (leader, follower, removed). */
  onRoleChange(listener: (partition: Partition) => void): void;
}

/**
 * __consumer_offsets' settings as Kafka creates it; the replication factor is at most the live
 * brokers (a lone broker: 1), so a development cluster is not stuck for want of three brokers.
 */
export async function createOffsetsTopic(config: BrokerConfig, topics: TopicService, liveBrokers: number): Promise<void> {
  if (topics.get(OFFSETS_TOPIC)) return;
  const replicationFactor = Math.max(1, Math.min(config.int('offsets.topic.replication.factor'), liveBrokers));
  const created = await topics.create(OFFSETS_TOPIC, { numPartitions: config.int('offsets.topic.num.partitions'), replicationFactor }, { 'cleanup.policy': 'compact', 'segment.bytes': '104857600' }, false);
  if (created.errorCode !== 0 && created.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) throw new KafkaError(created.errorCode, `cannot create ${OFFSETS_TOPIC}: ${created.errorMessage}`);
}

/** Offsets partition `index` as the coordinator reads and writes it: on whatever partition is hosted now, led here. */
function offsetsPartition(config: BrokerConfig, topics: TopicService, replicas: ReplicaManager, hosting: GroupHosting, index: number): OffsetsPartition {
  const hosted = () => {
    const p = replicas.get(OFFSETS_TOPIC, index);
    if (!p) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${OFFSETS_TOPIC}-${index} is not hosted here`);
    return p;
  };
  return {
    get logStartOffset() {
      return hosted().logStartOffset;
    },
    // The replay reads to the log end, as Kafka's does: a new leader's high watermark may lag commits
    // the previous leader acknowledged (its followers have not fetched again yet), and they are here.
    get highWatermark() {
      return hosted().acknowledgedEnd;
    },
    // As Kafka writes offsets with acks=all: the commit stands once every in-sync replica has it.
    append: async (batch) => {
      const p = hosted();
      const minInsyncReplicas = logValidationConfig(config, topics.get(OFFSETS_TOPIC)?.configs ?? {}).minInsyncReplicas;
      let baseOffset = -1;
      await appendCommitted(p, { purgatory: hosting.purgatory, timeoutMs: config.int('offsets.commit.timeout.ms'), minInsyncReplicas }, async () => {
        baseOffset = (await p.append(batch, null)).baseOffset;
        return baseOffset + lastOffsetDelta(batch);
      });
      return baseOffset;
    },
    read: async (offset, maxBytes) => (await hosted().readForReplica(offset, maxBytes, true)).records,
  };
}

function lastOffsetDelta(batch: Buffer): number {
  let delta = 0;
  for (const view of batchesIn(batch)) delta = view.lastOffsetDelta;
  return delta;
}

export async function startGroupCoordinator(config: BrokerConfig, topics: TopicService, replicas: ReplicaManager, log: Logger, scheduler: Scheduler, hosting: GroupHosting): Promise<RunningGroupCoordinator> {
  // A lone broker creates the topic at start; a cluster at the first FindCoordinator, once brokers are up.
  if (!hosting.clustered) await createOffsetsTopic(config, topics, 1);
  const count = topics.get(OFFSETS_TOPIC)?.partitions ?? config.int('offsets.topic.num.partitions');
  const partitions = Array.from({ length: count }, (_, i) => offsetsPartition(config, topics, replicas, hosting, i));
  const coordinator = new GroupCoordinator(
    scheduler,
    {
      minSessionTimeoutMs: config.int('group.min.session.timeout.ms'),
      maxSessionTimeoutMs: config.int('group.max.session.timeout.ms'),
      initialRebalanceDelayMs: config.int('group.initial.rebalance.delay.ms'),
      maxSize: config.int('group.max.size'),
      offsetMetadataMaxBytes: config.int('offset.metadata.max.bytes'),
      offsetsRetentionMs: config.int('offsets.retention.minutes') * 60_000,
    },
    new ConsumerOffsetsTopic(partitions, () => Date.now()),
    (err, what) => log.error({ err }, `group coordinator: ${what} failed`),
  );
  if (hosting.clustered) {
    // Each offsets partition is loaded while this broker leads it, from the leader epoch it leads at.
    const follow = (p: Partition) => {
      if (p.topic !== OFFSETS_TOPIC || p.index >= count) return;
      if (p.isLeader && replicas.get(OFFSETS_TOPIC, p.index) === p) {
        coordinator.loadPartition(p.index, p.leaderEpoch).catch((err: unknown) => log.error({ err, partition: p.index }, `loading ${OFFSETS_TOPIC} failed`));
      } else {
        coordinator.unloadPartition(p.index);
      }
    };
    hosting.onRoleChange(follow);
    for (let i = 0; i < count; i++) {
      const p = replicas.get(OFFSETS_TOPIC, i);
      if (p) follow(p);
    }
  } else {
    try {
      await coordinator.load();
    } catch (err) {
      // Members replayed before the failure have armed session timers.
      await coordinator.close();
      throw err;
    }
  }
  topics.onTopicDeleted(async (topic) => {
    try {
      const removed = await coordinator.deleteTopicOffsets(new Set([topic.name]));
      if (removed > 0) log.info({ topic: topic.name, offsets: removed }, 'removed the committed offsets of a deleted topic');
    } catch (err) {
      log.error({ err, topic: topic.name }, 'removing the committed offsets of a deleted topic failed');
    }
  });
  coordinator.startOffsetExpiry(config.int('offsets.retention.check.interval.ms'), (n) => {
    if (n > 0) log.info({ expired: n }, 'expired committed offsets');
  });
  return { coordinator, stop: () => coordinator.close() };
}
