/**
 * A topic's effective configuration: its own overrides over the broker's defaults (dynamic
 * per-broker, dynamic cluster-wide, static) over Kafka's,
 * with the source of each value as DescribeConfigs reports it.
 */
import { checkValue } from './config-def.js';
import { SOURCE_DEFAULT, SOURCE_DYNAMIC_BROKER, SOURCE_DYNAMIC_DEFAULT_BROKER, SOURCE_STATIC_BROKER, type BrokerConfig } from './broker-configs.js';
import { brokerConfigSynonyms, type ConfigSynonym } from './config-synonyms.js';
import { TOPIC_CONFIG_BY_NAME, TOPIC_CONFIG_DEFS, type TopicConfigDef } from './topic-configs.js';

export interface ConfigValue {
  readonly def: TopicConfigDef;
  readonly value: string | null;
  readonly source: number;
  /** Where the value could come from, highest precedence first (DescribeConfigs synonyms): the topic's own, then the broker layers. */
  readonly synonyms: readonly ConfigSynonym[];
}

/** Kafka's ConfigSource codes for the sources a topic value can have. */
export const SOURCE_DYNAMIC_TOPIC = 1;
export { SOURCE_DYNAMIC_BROKER, SOURCE_DYNAMIC_DEFAULT_BROKER, SOURCE_STATIC_BROKER, SOURCE_DEFAULT };

export function effectiveTopicConfig(broker: BrokerConfig, overrides: Readonly<Record<string, string>>): ConfigValue[] {
  return TOPIC_CONFIG_DEFS.map((def) => {
    const synonym = def.brokerSynonym;
    const brokerSynonyms = synonym === null ? [] : brokerConfigSynonyms(broker, synonym, false);
    const own = overrides[def.name];
    if (own !== undefined) return { def, value: own, source: SOURCE_DYNAMIC_TOPIC, synonyms: [{ name: def.name, value: own, source: SOURCE_DYNAMIC_TOPIC }, ...brokerSynonyms] };
    // As Kafka: the source is the first synonym's (a broker default left at Kafka's is DEFAULT_CONFIG).
    return { def, value: broker.topicDefault(synonym, def.defaultValue), source: brokerSynonyms[0]?.source ?? SOURCE_DEFAULT, synonyms: brokerSynonyms };
  });
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
