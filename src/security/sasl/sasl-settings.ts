/**
 * What a SASL listener offers, read from Kafka's keys, each of which a listener may override with
 * the `listener.name.<listener, lower case>.` prefix (the JAAS config also per mechanism:
 * `listener.name.sasl_plaintext.plain.sasl.jaas.config`, as Kafka's brokers read it):
 *
 *   sasl.enabled.mechanisms                     PLAIN, SCRAM-SHA-256, SCRAM-SHA-512
 *   sasl.jaas.config                            PlainLoginModule with user_<name>="<password>" options
 *   connections.max.reauth.ms                   session lifetime (KIP-368); 0 keeps sessions for ever
 *   connection.failed.authentication.delay.ms   wait before answering a failed authentication
 *   sasl.oauthbearer.jwks.endpoint.url          OAUTHBEARER's keys (http(s) or file URL), with
 *   sasl.oauthbearer.expected.audience / .expected.issuer / .sub.claim.name / .clock.skew.seconds
 */
import { ConfigError, type BrokerConfig } from '../../config/broker-configs.js';
import { isSupportedMechanism, type SaslExchange, type SaslMechanismName } from './exchange.js';
import { JaasSyntaxError, parseJaasConfig, plainUsers } from './jaas.js';
import { PlainExchange } from './plain.js';
import { ScramExchange, type CredentialLookup } from './scram.js';
import { OAuthBearerExchange, type OAuthValidation } from './oauthbearer.js';
import { jwksFrom, JwksConfigError } from './jwks.js';

export const PLAIN_LOGIN_MODULE = 'org.apache.kafka.common.security.plain.PlainLoginModule';
export const SCRAM_LOGIN_MODULE = 'org.apache.kafka.common.security.scram.ScramLoginModule';

export interface SaslListenerSettings {
  readonly listenerName: string;
  readonly enabledMechanisms: readonly SaslMechanismName[];
  readonly reauthMs: number;
  readonly failedAuthenticationDelayMs: number;
  /** Users PLAIN accepts (from the JAAS config); empty when PLAIN is off or has none. */
  readonly plainUsers: ReadonlyMap<string, string>;
  newExchange(mechanism: SaslMechanismName): SaslExchange;
}

/** The value of `key` for a listener: its prefixed override, else the broker-wide value. */
export function listenerConfig(config: BrokerConfig, listenerName: string, key: string): string | null {
  return config.explicit(`listener.name.${listenerName.toLowerCase()}.${key}`) ?? config.get(key);
}

/** A listener's JAAS entry for `mechanism`: `listener.name.<l>.<mechanism>.sasl.jaas.config`, else the listener's sasl.jaas.config. */
export function jaasFor(config: BrokerConfig, listenerName: string, mechanism: string): string | null {
  return config.explicit(`listener.name.${listenerName.toLowerCase()}.${mechanism.toLowerCase()}.sasl.jaas.config`) ?? listenerConfig(config, listenerName, 'sasl.jaas.config');
}

/** Reads and checks a SASL listener's settings; a ConfigError says what is wrong, at startup. */
export function saslSettings(config: BrokerConfig, listenerName: string, scram: CredentialLookup, now: () => number = Date.now): SaslListenerSettings {
  const names = (listenerConfig(config, listenerName, 'sasl.enabled.mechanisms') ?? '')
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m !== '');
  if (names.length === 0) throw new ConfigError(`listener ${listenerName} uses SASL but sasl.enabled.mechanisms is empty`);
  const unsupported = names.filter((m) => !isSupportedMechanism(m));
  if (unsupported.length > 0) throw new ConfigError(`sasl.enabled.mechanisms of listener ${listenerName} names ${unsupported.join(', ')}: Tributary supports PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER`);
  const enabled = names.filter(isSupportedMechanism);
  let users = new Map<string, string>();
  if (enabled.includes('PLAIN')) {
    const text = jaasFor(config, listenerName, 'PLAIN');
    if (text !== null && text !== '') {
      try {
        const entry = parseJaasConfig(text);
        if (entry.loginModule !== PLAIN_LOGIN_MODULE) throw new ConfigError(`the PLAIN JAAS config of listener ${listenerName} names ${entry.loginModule}; PLAIN needs ${PLAIN_LOGIN_MODULE}`);
        users = plainUsers(entry);
      } catch (err) {
        if (err instanceof JaasSyntaxError) throw new ConfigError(`sasl.jaas.config of listener ${listenerName}: ${err.message}`);
        throw err;
      }
    }
  }
  for (const m of enabled.filter((n) => n !== 'PLAIN' && n !== 'OAUTHBEARER')) {
    const text = jaasFor(config, listenerName, m);
    // Only a per-mechanism JAAS entry must name the SCRAM module; a shared one is PLAIN's.
    if (text !== null && config.explicit(`listener.name.${listenerName.toLowerCase()}.${m.toLowerCase()}.sasl.jaas.config`) !== undefined) {
      const entry = parseJaasConfig(text);
      if (entry.loginModule !== SCRAM_LOGIN_MODULE) throw new ConfigError(`the ${m} JAAS config of listener ${listenerName} names ${entry.loginModule}; ${m} needs ${SCRAM_LOGIN_MODULE}`);
    }
  }
  const plain = users;
  const oauth = enabled.includes('OAUTHBEARER') ? oauthValidation(config, listenerName) : null;
  return {
    listenerName,
    enabledMechanisms: enabled,
    reauthMs: Number(listenerConfig(config, listenerName, 'connections.max.reauth.ms') ?? '0'),
    failedAuthenticationDelayMs: Number(listenerConfig(config, listenerName, 'connection.failed.authentication.delay.ms') ?? '100'),
    plainUsers: plain,
    newExchange: (mechanism) => {
      if (mechanism === 'PLAIN') return new PlainExchange(plain);
      if (mechanism === 'OAUTHBEARER') return new OAuthBearerExchange(oauth as OAuthValidation, now);
      return new ScramExchange(mechanism, scram);
    },
  };
}

function oauthValidation(config: BrokerConfig, listenerName: string): OAuthValidation {
  const get = (key: string) => listenerConfig(config, listenerName, key);
  const url = get('sasl.oauthbearer.jwks.endpoint.url');
  if (url === null || url === '') throw new ConfigError(`listener ${listenerName} enables OAUTHBEARER but sasl.oauthbearer.jwks.endpoint.url is not set (Tributary validates signed JWTs only)`);
  try {
    return {
      keys: jwksFrom(url, Number(get('sasl.oauthbearer.jwks.endpoint.refresh.ms') ?? '3600000')),
      issuer: get('sasl.oauthbearer.expected.issuer') || null,
      audience: (get('sasl.oauthbearer.expected.audience') ?? '').split(',').map((a) => a.trim()).filter((a) => a !== ''),
      subClaim: get('sasl.oauthbearer.sub.claim.name') || 'sub',
      clockSkewSeconds: Number(get('sasl.oauthbearer.clock.skew.seconds') ?? '30'),
    };
  } catch (err) {
    if (err instanceof JwksConfigError) throw new ConfigError(err.message);
    throw err;
  }
}

/**
 * The PLAIN users a listener would accept, for a server that takes passwords outside SASL (the
 * admin HTTP server, read as listener ADMIN): its PLAIN JAAS entry (listener-prefixed, else
 * sasl.jaas.config); none when that entry is another login module's (SCRAM's, say) or absent.
 */
export function plainUsersOf(config: BrokerConfig, listenerName: string): Map<string, string> {
  const text = jaasFor(config, listenerName, 'PLAIN');
  if (text === null || text === '') return new Map();
  try {
    const entry = parseJaasConfig(text);
    return entry.loginModule === PLAIN_LOGIN_MODULE ? plainUsers(entry) : new Map();
  } catch (err) {
    if (err instanceof JaasSyntaxError) throw new ConfigError(`the PLAIN JAAS config read for listener ${listenerName}: ${err.message}`);
    throw err;
  }
}
