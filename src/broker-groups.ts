/**
 * Starts the group coordinator: creates __consumer_offsets when absent (compacted, with
 * offsets.topic.num.partitions partitions), replays it, and expires old offsets periodically.
 */
import type { Logger } from 'pino';
import type { BrokerConfig } from './config/broker-configs.js';
import { GroupCoordinator } from './coordinator/group/coordinator.js';
import { ConsumerOffsetsTopic, type OffsetsPartition } from './coordinator/group/offsets-topic.js';
import { systemScheduler } from './coordinator/scheduler.js';
import { READ_UNCOMMITTED } from './partition/partition.js';
import type { ReplicaManager } from './partition/replica-manager.js';
import type { TopicService } from './partition/topic-service.js';

export const OFFSETS_TOPIC = '__consumer_offsets';

export async function startGroupCoordinator(config: BrokerConfig, topics: TopicService, replicas: ReplicaManager, log: Logger): Promise<{ coordinator: GroupCoordinator; stop(): void }> {
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
    systemScheduler,
    {
      minSessionTimeoutMs: config.int('group.min.session.timeout.ms'),
      maxSessionTimeoutMs: config.int('group.max.session.timeout.ms'),
      initialRebalanceDelayMs: config.int('group.initial.rebalance.delay.ms'),
      maxSize: config.int('group.max.size'),
      offsetMetadataMaxBytes: config.int('offset.metadata.max.bytes'),
      offsetsRetentionMs: config.int('offsets.retention.minutes') * 60_000,
    },
    new ConsumerOffsetsTopic(partitions, () => Date.now()),
  );
  await coordinator.load();
  const timer = setInterval(() => {
    coordinator.expireOffsets().then(
      (n) => n > 0 && log.info({ expired: n }, 'expired committed offsets'),
      (err: unknown) => log.error({ err }, 'offset expiry failed'),
    );
  }, config.int('offsets.retention.check.interval.ms'));
  timer.unref();
  return { coordinator, stop: () => clearInterval(timer) };
}
