/**
 * Starts the group coordinator: creates __consumer_offsets when absent (compacted, with
 * offsets.topic.num.partitions partitions), loads every partition of it (a single broker leads
 * them all, at coordinator epoch 0; in a cluster, loadPartition/unloadPartition follow the
 * partitions' leadership instead), expires old offsets periodically, and drops the committed
 * offsets of deleted topics.
 * Its timers run on `scheduler` (the system clock unless a test injects one); stop() cancels
 * them all and waits for the coordinator's writes, and must run before the logs close.
 */
import type { Logger } from 'pino';
import type { BrokerConfig } from './config/broker-configs.js';
import { GroupCoordinator } from './coordinator/group/coordinator.js';
import { ConsumerOffsetsTopic, type OffsetsPartition } from './coordinator/group/offsets-topic.js';
import type { Scheduler } from './coordinator/scheduler.js';
import { READ_UNCOMMITTED } from './partition/partition.js';
import type { ReplicaManager } from './partition/replica-manager.js';
import type { TopicService } from './partition/topic-service.js';

export const OFFSETS_TOPIC = '__consumer_offsets';

export interface RunningGroupCoordinator {
  readonly coordinator: GroupCoordinator;
  stop(): Promise<void>;
}

export async function startGroupCoordinator(config: BrokerConfig, topics: TopicService, replicas: ReplicaManager, log: Logger, scheduler: Scheduler): Promise<RunningGroupCoordinator> {
  if (!topics.get(OFFSETS_TOPIC)) {
    const created = await topics.create(OFFSETS_TOPIC, config.int('offsets.topic.num.partitions'), 1, { 'cleanup.policy': 'compact', 'segment.bytes': '104857600' }, false);
    if (created.errorCode !== 0) throw new Error(`cannot create ${OFFSETS_TOPIC}: ${created.errorMessage}`);
  }
  const count = topics.get(OFFSETS_TOPIC)?.partitions ?? 0;
  const partitions: OffsetsPartition[] = [];
  for (let i = 0; i < count; i++) {
    const p = replicas.get(OFFSETS_TOPIC, i);
    if (!p) throw new Error(`${OFFSETS_TOPIC}-${i} has no log`);
    partitions.push({
      get logStartOffset() {
        return p.logStartOffset;
      },
      get highWatermark() {
        return p.highWatermark;
      },
      append: async (batch) => {
        await p.append(batch, null);
      },
      read: async (offset, maxBytes) => (await p.read(offset, maxBytes, READ_UNCOMMITTED, true)).records,
    });
  }
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
  try {
    await coordinator.load();
  } catch (err) {
    // Members replayed before the failure have armed session timers.
    await coordinator.close();
    throw err;
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
