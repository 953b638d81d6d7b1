/**
 * The topic settings that decide whether a produced batch may enter the log, resolved once per
 * partition write from the topic's overrides over the broker's defaults.
 */
import type { BrokerConfig } from './broker-configs.js';
import { LONG_MAX } from './config-def.js';
import { topicConfigValue } from './topic-config-values.js';

/** compression.type: "producer" keeps the batch's codec; the others are what the log stores. */
export type TopicCompression = 'producer' | 'uncompressed' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export interface LogValidationConfig {
  readonly maxMessageBytes: number;
  /** cleanup.policy includes compact: every record needs a key. */
  readonly compacted: boolean;
  readonly timestampType: 'CreateTime' | 'LogAppendTime';
  /** How far before the broker's clock a CreateTime timestamp may be (ms). */
  readonly timestampBeforeMaxMs: number;
  /** How far after the broker's clock a CreateTime timestamp may be (ms). */
  readonly timestampAfterMaxMs: number;
  readonly compression: TopicCompression;
  readonly minInsyncReplicas: number;
}

/** A Kafka long as a number: Long.MAX_VALUE (the "no bound" default) stays an unreachable bound. */
function longMs(text: string): number {
  return text === LONG_MAX ? Number.POSITIVE_INFINITY : Number(text);
}

export function logValidationConfig(broker: BrokerConfig, overrides: Readonly<Record<string, string>>): LogValidationConfig {
  const value = (name: string) => topicConfigValue(broker, overrides, name).trim();
  // Kafka 3.6-3.9 keep the deprecated difference.max.ms as the fallback of each side left at its default.
  const difference = value('message.timestamp.difference.max.ms');
  const before = value('message.timestamp.before.max.ms');
  const after = value('message.timestamp.after.max.ms');
  return {
    maxMessageBytes: Number(value('max.message.bytes')),
    compacted: value('cleanup.policy').includes('compact'),
    timestampType: value('message.timestamp.type') === 'LogAppendTime' ? 'LogAppendTime' : 'CreateTime',
    timestampBeforeMaxMs: longMs(before === LONG_MAX ? difference : before),
    timestampAfterMaxMs: longMs(after === LONG_MAX ? difference : after),
    compression: value('compression.type') as TopicCompression,
    minInsyncReplicas: Number(value('min.insync.replicas')),
  };
}
