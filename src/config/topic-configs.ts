/**
 * Topic-level configuration keys with Kafka's names and defaults. Each names the broker-level key
 * that supplies its default (its "synonym"), so `log.retention.ms` in server.properties becomes
 * the default `retention.ms` of every topic, as in Kafka.
 */
import { atLeast, between, ConfigType, listOf, LONG_MAX, oneOf, type ConfigDef } from './config-def.js';

export interface TopicConfigDef extends ConfigDef {
  /** The broker key whose value is this key's default. */
  readonly brokerSynonym: string | null;
}

function def(name: string, type: ConfigType, defaultValue: string, brokerSynonym: string | null, doc: string, validate?: (v: string) => string | null): TopicConfigDef {
  return { name, type, defaultValue, brokerSynonym, doc, validate };
}

export const TOPIC_CONFIG_DEFS: readonly TopicConfigDef[] = [
  def('cleanup.policy', ConfigType.List, 'delete', 'log.cleanup.policy', 'How old segments are removed: delete them, compact them, or both.', listOf('delete', 'compact')),
  def('compression.type', ConfigType.String, 'producer', 'compression.type', 'The compression kept on disk: "producer" keeps what the producer sent; a codec (or "uncompressed") has the broker recompress batches that arrive otherwise.', oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer')),
  def('delete.retention.ms', ConfigType.Long, '86400000', 'log.cleaner.delete.retention.ms', 'How long tombstones stay in a compacted topic.', atLeast(0)),
  def('file.delete.delay.ms', ConfigType.Long, '60000', 'log.segment.delete.delay.ms', 'Delay before a deleted segment file is removed from disk.', atLeast(0)),
  def('flush.messages', ConfigType.Long, '1', 'log.flush.interval.messages', 'Messages between fsyncs; 1 (the default here) acknowledges only fsynced writes, with group commit.', atLeast(1)),
  def('flush.ms', ConfigType.Long, LONG_MAX, 'log.flush.interval.ms', 'Longest time data stays in the page cache before an fsync.', atLeast(0)),
  def('index.interval.bytes', ConfigType.Int, '4096', 'log.index.interval.bytes', 'Bytes of log between two offset index entries.', atLeast(0)),
  def('max.compaction.lag.ms', ConfigType.Long, LONG_MAX, 'log.cleaner.max.compaction.lag.ms', 'Longest time a record stays uncompacted.'),
  def('max.message.bytes', ConfigType.Int, '1048588', 'message.max.bytes', 'Largest record batch the topic accepts.', atLeast(0)),
  def('message.timestamp.type', ConfigType.String, 'CreateTime', 'log.message.timestamp.type', 'CreateTime keeps the producer timestamp; LogAppendTime stamps the broker time.', oneOf('CreateTime', 'LogAppendTime')),
  def('message.timestamp.before.max.ms', ConfigType.Long, LONG_MAX, 'log.message.timestamp.before.max.ms', 'How far before the broker\'s time a CreateTime record timestamp may be; older records are refused with INVALID_TIMESTAMP.', atLeast(0)),
  def('message.timestamp.after.max.ms', ConfigType.Long, LONG_MAX, 'log.message.timestamp.after.max.ms', 'How far after the broker\'s time a CreateTime record timestamp may be; later records are refused with INVALID_TIMESTAMP.', atLeast(0)),
  def('message.timestamp.difference.max.ms', ConfigType.Long, LONG_MAX, 'log.message.timestamp.difference.max.ms', 'Deprecated (Kafka 3.6): the bound both ways, used where message.timestamp.before.max.ms or .after.max.ms is left at its default.', atLeast(0)),
  def('min.cleanable.dirty.ratio', ConfigType.Double, '0.5', 'log.cleaner.min.cleanable.ratio', 'Share of uncompacted log that triggers compaction.', between(0, 1)),
  def('min.compaction.lag.ms', ConfigType.Long, '0', 'log.cleaner.min.compaction.lag.ms', 'Shortest time a record stays uncompacted.'),
  def('min.insync.replicas', ConfigType.Int, '1', 'min.insync.replicas', 'In-sync replicas a write with acks=all needs (capped at the replication factor, as Kafka 3.7+ does), else NOT_ENOUGH_REPLICAS.', atLeast(1)),
  def('preallocate', ConfigType.Boolean, 'false', 'log.preallocate', 'Preallocate segment files.'),
  def('retention.bytes', ConfigType.Long, '-1', 'log.retention.bytes', 'Largest size a partition may grow to before old segments are deleted; -1 for no limit.'),
  def('retention.ms', ConfigType.Long, '604800000', 'log.retention.ms', 'How long records are kept; -1 for ever.', atLeast(-1)),
  def('segment.bytes', ConfigType.Int, '1073741824', 'log.segment.bytes', 'Size at which a segment is rolled.', atLeast(14)),
  def('segment.index.bytes', ConfigType.Int, '10485760', 'log.index.size.max.bytes', 'Size of the preallocated offset index of a segment.', atLeast(4)),
  def('segment.jitter.ms', ConfigType.Long, '0', 'log.roll.jitter.ms', 'Random jitter subtracted from segment.ms.', atLeast(0)),
  def('segment.ms', ConfigType.Long, '604800000', 'log.roll.ms', 'Age at which a segment is rolled.', atLeast(1)),
  def('unclean.leader.election.enable', ConfigType.Boolean, 'false', 'unclean.leader.election.enable', 'Allow an out-of-sync replica to become leader.'),
  def('message.downconversion.enable', ConfigType.Boolean, 'true', 'log.message.downconversion.enable', 'Whether consumers fetching with versions 0-3 get the stored batches down-converted to magic 0/1 message sets; false answers them UNSUPPORTED_VERSION.'),
];

export const TOPIC_CONFIG_BY_NAME: ReadonlyMap<string, TopicConfigDef> = new Map(TOPIC_CONFIG_DEFS.map((d) => [d.name, d]));
