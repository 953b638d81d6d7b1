/**
 * A topic's effective configuration: its own overrides over the broker's defaults over Kafka's,
 * with the source of each value as DescribeConfigs reports it.
 */
import { checkValue } from './config-def.js';
import type { BrokerConfig } from './broker-configs.js';
import { TOPIC_CONFIG_BY_NAME, TOPIC_CONFIG_DEFS, type TopicConfigDef } from './topic-configs.js';

export interface ConfigValue {
  readonly def: TopicConfigDef;
  readonly value: string | null;
  readonly source: number;
  /** The broker-level value behind a topic override, reported as a synonym. */
  readonly brokerValue: { name: string; value: string } | null;
}

/** Kafka's ConfigSource codes for the sources a topic value can have. */
export const SOURCE_DYNAMIC_TOPIC = 1;
export const SOURCE_STATIC_BROKER = 4;
export const SOURCE_DEFAULT = 5;

export function effectiveTopicConfig(broker: BrokerConfig, overrides: Readonly<Record<string, string>>): ConfigValue[] {
  return TOPIC_CONFIG_DEFS.map((def) => {
    const synonym = def.brokerSynonym;
    const brokerExplicit = synonym !== null && (broker.explicit(synonym) !== undefined || (synonym === 'log.retention.ms' && hasRetentionSetting(broker)) || (synonym === 'log.roll.ms' && broker.explicit('log.roll.hours') !== undefined));
    const brokerValueText = broker.topicDefault(synonym, def.defaultValue);
    const brokerValue = brokerExplicit && synonym !== null && brokerValueText !== null ? { name: synonym, value: brokerValueText } : null;
    const own = overrides[def.name];
    if (own !== undefined) return { def, value: own, source: SOURCE_DYNAMIC_TOPIC, brokerValue };
    return { def, value: brokerValueText, source: brokerExplicit ? SOURCE_STATIC_BROKER : SOURCE_DEFAULT, brokerValue };
  });
}

function hasRetentionSetting(broker: BrokerConfig): boolean {
  return ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'].some((k) => broker.explicit(k) !== undefined);
}

/** The effective value of one topic key. */
export function topicConfigValue(broker: BrokerConfig, overrides: Readonly<Record<string, string>>, name: string): string {
  const own = overrides[name];
  if (own !== undefined) return own;
  const def = TOPIC_CONFIG_BY_NAME.get(name);
  if (!def) throw new Error(`unknown topic config ${name}`);
  return broker.topicDefault(def.brokerSynonym, def.defaultValue) ?? '';
}

/** Checks a set of topic overrides; returns the first error text, or null. */
export function validateTopicConfigs(configs: Readonly<Record<string, string | null>>): string | null {
  for (const [name, value] of Object.entries(configs)) {
    const def = TOPIC_CONFIG_BY_NAME.get(name);
    if (!def) return `Unknown topic config name: ${name}`;
    if (value === null) return `Null value not supported for topic configs: ${name}`;
    const err = checkValue(def, value);
    if (err) return err;
  }
  return null;
}
