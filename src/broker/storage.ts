/**
 * Chooses the partition log implementation (disk by default, memory on request), maps each
 * topic's Kafka configuration (segment.bytes, retention.ms, flush.messages, …) onto it, and runs
 * the disk logs' background work: checkpoints, retention, and the log cleaner (log.cleaner.*).
 */
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-configs.js';
import { topicConfigValue } from '../config/topic-config-values.js';
import type { TopicRecord } from '../metadata/local-store.js';
import type { PartitionLogStore } from '../partition/replica-manager.js';
import { MemoryLog } from '../storage/memory-log.js';
import { LogManager } from '../storage/log-manager.js';
import type { LogCleanerSettings } from '../storage/log-cleaner.js';
import { DiskLog, type LogConfig } from '../storage/log.js';
import type { FileSystem } from '../storage/file-system.js';

export type StorageKind = 'disk' | 'memory';

/** The partition logs' storage as the replica manager uses it, plus its shutdown. */
export interface LogFactory extends PartitionLogStore {
  close(): Promise<void>;
}

function clampLong(text: string): number {
  const n = Number(text);
  return Number.isFinite(n) ? Math.min(n, Number.MAX_SAFE_INTEGER) : Number.MAX_SAFE_INTEGER;
}

export function logConfigFor(config: BrokerConfig, topic: TopicRecord): LogConfig {
  const v = (name: string) => clampLong(topicConfigValue(config, topic.configs, name));
  return {
    segmentBytes: v('segment.bytes'),
    segmentMs: v('segment.ms'),
    segmentIndexBytes: v('segment.index.bytes'),
    indexIntervalBytes: v('index.interval.bytes'),
    retentionMs: topicConfigValue(config, topic.configs, 'cleanup.policy').includes('delete') ? v('retention.ms') : -1,
    retentionBytes: topicConfigValue(config, topic.configs, 'cleanup.policy').includes('delete') ? v('retention.bytes') : -1,
    flushMessages: v('flush.messages'),
    flushMs: v('flush.ms'),
    compact: topicConfigValue(config, topic.configs, 'cleanup.policy').includes('compact'),
    deleteRetentionMs: v('delete.retention.ms'),
    minCleanableDirtyRatio: Number(topicConfigValue(config, topic.configs, 'min.cleanable.dirty.ratio')),
    minCompactionLagMs: v('min.compaction.lag.ms'),
    maxCompactionLagMs: v('max.compaction.lag.ms'),
    producerIdExpirationMs: config.int('producer.id.expiration.ms'),
  };
}

/** The log cleaner's broker settings; one pass at a time runs however many threads are asked for. */
function cleanerSettings(config: BrokerConfig): Partial<LogCleanerSettings> {
  return {
    enabled: config.bool('log.cleaner.enable') && config.int('log.cleaner.threads') > 0,
    backoffMs: config.int('log.cleaner.backoff.ms'),
    dedupeBufferBytes: Math.min(config.int('log.cleaner.dedupe.buffer.size'), 2 ** 31 - 1),
    ioBufferBytes: config.int('log.cleaner.io.buffer.size'),
    loadFactor: Number(config.get('log.cleaner.io.buffer.load.factor')),
  };
}

export async function openLogFactory(kind: StorageKind, config: BrokerConfig, log: Logger, fs?: FileSystem): Promise<LogFactory> {
  if (kind === 'memory') {
    return {
      open: async () => new MemoryLog(),
      remove: async (_topic, _partitions, logs) => {
        for (const l of logs) await l.destroy();
      },
      syncCreated: async () => {},
      setAsideUnowned: async () => {},
      reconfigure: () => {},
      close: async () => {},
    };
  }
  const manager = await LogManager.open(config.dataDir, {
    fs,
    onOffline: (topic, partition, err) => log.error({ err, topic, partition }, 'I/O error: the partition log is offline until a restart recovers it'),
    fileDeleteDelayMs: config.int('log.segment.delete.delay.ms'),
    onDeleteError: (path, err) => log.error({ err, path }, 'removing a deleted partition directory failed; it is tried again at the next start'),
    onSetAside: (from, to, reason) => log.info({ from, to, reason }, `partition directory ${from} set aside as ${to}`),
    cleaner: cleanerSettings(config),
    cleanerEvents: {
      onCleaned: (e, r) => {
        if (r.segments > 0) log.info({ topic: e.topic, partition: e.partition, segments: r.segments, bytesBefore: r.bytesBefore, bytesAfter: r.bytesAfter, recordsRemoved: r.recordsRemoved }, 'compaction rewrote segments');
      },
      onError: (e, err) => log.error({ err, topic: e?.topic, partition: e?.partition }, 'compaction failed'),
    },
  });
  if (!manager.wasCleanShutdown) log.warn('the previous shutdown was not clean: recovering logs from their recovery points');
  if (manager.deletions.pending > 0) log.info({ directories: manager.deletions.pending }, 'finishing the deletion of partition directories deleted before the last stop');
  const checkpoints = setInterval(() => void manager.checkpoint().catch((err: unknown) => log.error({ err }, 'checkpoint failed')), 60_000);
  checkpoints.unref();
  const retention = setInterval(() => {
    manager.applyRetention().then(
      (n) => n > 0 && log.info({ segments: n }, 'retention deleted segments'),
      (err: unknown) => log.error({ err }, 'retention failed'),
    );
  }, config.int('log.retention.check.interval.ms'));
  retention.unref();
  manager.startCleaner();
  return {
    open: (topic, partition, create) => manager.openLog(topic.name, partition, logConfigFor(config, topic), { topicId: topic.topicId, create }),
    syncCreated: () => manager.syncCreated(),
    remove: (topic, partitions) => manager.deleteLogs(topic.name, partitions),
    setAsideUnowned: async (topics) => {
      const moved = await manager.setAsideUnowned(new Set(topics.map((t) => t.topicId)));
      if (moved.length > 0) log.warn({ directories: moved.length }, 'partition directories no topic owns were set aside (names ending in -stray are kept for an operator, -delete ones are removed)');
    },
    reconfigure: (topic, logs) => {
      for (const l of logs) if (l instanceof DiskLog) l.config = logConfigFor(config, topic);
    },
    close: async () => {
      clearInterval(checkpoints);
      clearInterval(retention);
      // Stops the cleaner first (a pass in progress is aborted and waited for), then closes the logs.
      await manager.close();
    },
  };
}
