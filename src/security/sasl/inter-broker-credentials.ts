/**
 * The credentials a broker authenticates with when it reaches its peers over a SASL listener, read
 * as Kafka's brokers read them:
 *
 *   sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512          (Kafka's default: GSSAPI)
 *   listener.name.<l>.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="…";
 *
 * The `username` and `password` options of the inter-broker listener's JAAS entry for that
 * mechanism (listener-prefixed, else its sasl.jaas.config) are the broker's own; a PLAIN entry
 * also lists the `user_<name>` options it accepts. Every mistake is a ConfigError at start.
 */
import { ConfigError, type BrokerConfig } from '../../config/broker-configs.js';
import { isSupportedMechanism } from './exchange.js';
import { JaasSyntaxError, parseJaasConfig } from './jaas.js';
import { jaasFor, listenerConfig, PLAIN_LOGIN_MODULE, SCRAM_LOGIN_MODULE } from './sasl-settings.js';

export interface InterBrokerCredentials {
  readonly mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
  readonly username: string;
  readonly password: string;
}

const CLIENT_MECHANISMS: readonly InterBrokerCredentials['mechanism'][] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];

function isClientMechanism(name: string): name is InterBrokerCredentials['mechanism'] {
  return (CLIENT_MECHANISMS as readonly string[]).includes(name);
}

/** What this broker authenticates with on the SASL listener `listenerName` it reaches its peers on. */
export function interBrokerCredentials(config: BrokerConfig, listenerName: string): InterBrokerCredentials {
  const mechanism = (config.get('sasl.mechanism.inter.broker.protocol') ?? '').trim();
  if (!isClientMechanism(mechanism)) {
    const why = mechanism === 'GSSAPI' ? 'GSSAPI (Kafka\'s default), which Tributary does not implement' : isSupportedMechanism(mechanism) ? `${mechanism}, which brokers cannot use to reach each other here` : `${mechanism || 'empty'}, not a SASL mechanism Tributary knows`;
    throw new ConfigError(`the inter-broker listener ${listenerName} uses SASL and sasl.mechanism.inter.broker.protocol is ${why}: set it to ${CLIENT_MECHANISMS.join(', ')}`);
  }
  const enabled = (listenerConfig(config, listenerName, 'sasl.enabled.mechanisms') ?? '').split(',').map((m) => m.trim());
  if (!enabled.includes(mechanism)) {
    throw new ConfigError(`sasl.mechanism.inter.broker.protocol ${mechanism} must be one of the inter-broker listener ${listenerName}'s sasl.enabled.mechanisms (${enabled.filter((m) => m !== '').join(', ') || 'none'})`);
  }
  const key = `listener.name.${listenerName.toLowerCase()}.${mechanism.toLowerCase()}.sasl.jaas.config`;
  const text = jaasFor(config, listenerName, mechanism);
  if (text === null || text === '') {
    throw new ConfigError(`the inter-broker listener ${listenerName} has no JAAS entry for ${mechanism} (${key}, or sasl.jaas.config): its username and password options are the credentials this broker reaches its peers with`);
  }
  let options: ReadonlyMap<string, string>;
  try {
    const entry = parseJaasConfig(text);
    const module = mechanism === 'PLAIN' ? PLAIN_LOGIN_MODULE : SCRAM_LOGIN_MODULE;
    if (entry.loginModule !== module) throw new ConfigError(`the ${mechanism} JAAS entry of the inter-broker listener ${listenerName} names ${entry.loginModule}; ${mechanism} needs ${module}`);
    options = entry.options;
  } catch (err) {
    if (err instanceof JaasSyntaxError) throw new ConfigError(`${key}: ${err.message}`);
    throw err;
  }
  const username = options.get('username');
  const password = options.get('password');
  if (username === undefined || username === '' || password === undefined) {
    throw new ConfigError(`the ${mechanism} JAAS entry of the inter-broker listener ${listenerName} needs username="…" and password="…" options: the credentials this broker reaches its peers with`);
  }
  return { mechanism, username, password };
}
