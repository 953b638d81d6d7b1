/**
 * A broker key's synonyms as DescribeConfigs lists them (Kafka's ConfigHelper.configSynonyms):
 * every name the value may be given under (log.retention.ms, .minutes, .hours), and for each
 * layer in turn (dynamic per-broker, dynamic cluster default, static, default) the names that
 * layer has. The first entry is where the value comes from.
 */
import { CONFIG_LAYERS, type BrokerConfig } from './broker-configs.js';

export interface ConfigSynonym {
  readonly name: string;
  readonly value: string | null;
  readonly source: number;
}

const LISTENER_PREFIX = /^listener\.name\.[^.]*\.(.*)$/;
const LISTENER_MECHANISM_KEYS = ['sasl.jaas.config', 'sasl.login.callback.handler.class', 'sasl.login.class', 'sasl.server.callback.handler.class', 'connections.max.reauth.ms'];

/** Kafka's DynamicBrokerConfig.brokerConfigSynonyms: the names one value may be given under, highest precedence first. */
export function brokerSynonymNames(name: string): string[] {
  switch (name) {
    case 'log.roll.ms':
    case 'log.roll.hours':
      return ['log.roll.ms', 'log.roll.hours'];
    case 'log.roll.jitter.ms':
    case 'log.roll.jitter.hours':
      return ['log.roll.jitter.ms', 'log.roll.jitter.hours'];
    case 'log.flush.interval.ms':
      return ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'];
    case 'log.retention.ms':
    case 'log.retention.minutes':
    case 'log.retention.hours':
      return ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'];
    default: {
      const base = LISTENER_PREFIX.exec(name)?.[1];
      if (base === undefined) return [name];
      return [name, LISTENER_MECHANISM_KEYS.find((k) => base.endsWith(k)) ?? base];
    }
  }
}

/** The synonyms of broker key `name`, from `names` (brokerSynonymNames), in Kafka's order. */
export function brokerConfigSynonyms(config: BrokerConfig, name: string, sensitive: boolean, names: readonly string[] = brokerSynonymNames(name)): ConfigSynonym[] {
  const out: ConfigSynonym[] = [];
  for (const source of CONFIG_LAYERS) {
    for (const n of names) {
      const value = config.layerValue(n, source);
      if (value !== undefined) out.push({ name: n, value: sensitive ? null : value, source });
    }
  }
  // Describing a base key leaves out listener overrides, as Kafka does. (Kafka drops every entry
  // before the first with the key's own name, so a retention set only as log.retention.hours shows
  // no synonym at all; keeping them tells where the value comes from.)
  return LISTENER_PREFIX.test(name) ? out : out.filter((s) => !LISTENER_PREFIX.test(s.name));
}
