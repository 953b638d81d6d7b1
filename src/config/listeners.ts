/**
 * Kafka's listener keys, read and checked as Kafka's KafkaConfig does: `listeners` (several
 * `NAME://host:port`, an empty host meaning every interface), `advertised.listeners` (per name,
 * falling back to the listener itself), `listener.security.protocol.map` (name → security
 * protocol) and the inter-broker listener (`inter.broker.listener.name`, or the listener named
 * after `security.inter.broker.protocol`). The error texts follow Kafka's.
 */
import { ConfigError } from './config-def.js';

/** Kafka's security protocols (the same names as security/principal.ts's SecurityProtocol). */
export type ListenerProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
const PROTOCOLS: readonly ListenerProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

export const DEFAULT_PROTOCOL_MAP = PROTOCOLS.map((p) => `${p}:${p}`).join(',');

export interface ListenerSpec {
  /** Upper case, as Kafka normalises listener names. */
  readonly name: string;
  readonly securityProtocol: ListenerProtocol;
  /** The address to bind; '' binds every interface. */
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface ListenersConfig {
  /** In the order of `listeners`: the first is the one `startBroker({ port })` overrides. */
  readonly listeners: readonly ListenerSpec[];
  /** What `advertised.listeners` names explicitly, by listener name; the others advertise their bound address. */
  readonly advertised: ReadonlyMap<string, HostPort>;
  /** The listener peer brokers connect to (replica fetchers, transaction markers, verification). */
  readonly interBrokerListener: string;
  /** Whether the inter-broker listener was named in the config (else it is the default, PLAINTEXT). */
  readonly interBrokerExplicit: boolean;
}

/** The raw values the listener keys are read from (BrokerConfig fits). */
export interface ListenerKeys {
  get(key: string): string | null;
  explicit(key: string): string | undefined;
}

function isProtocol(name: string): name is ListenerProtocol {
  return (PROTOCOLS as readonly string[]).includes(name);
}

function items(list: string): string[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** `NAME://host:port`, `NAME://[::1]:port`, `NAME://:port`; Kafka's endpoint syntax. */
export function parseEndpoint(text: string): { name: string; host: string; port: number } {
  const m = /^(.*):\/\/\[?([0-9a-zA-Z\-%._:]*?)\]?:(-?[0-9]+)$/.exec(text.trim());
  if (!m || m[1] === '') throw new ConfigError(`Unable to parse ${text} to a broker endpoint (expected NAME://host:port)`);
  const port = Number(m[3]);
  if (port < 0 || port > 65535) throw new ConfigError(`Unable to parse ${text} to a broker endpoint: port ${port} is outside 0-65535`);
  return { name: m[1].toUpperCase(), host: m[2], port };
}

/** `listener.security.protocol.map`: NAME:PROTOCOL,... */
export function parseProtocolMap(text: string): Map<string, ListenerProtocol> {
  const out = new Map<string, ListenerProtocol>();
  for (const entry of items(text)) {
    const at = entry.lastIndexOf(':');
    if (at <= 0 || at === entry.length - 1) throw new ConfigError(`Invalid value ${text} for configuration listener.security.protocol.map: Map entry should be of form <key>:<value>`);
    const name = entry.slice(0, at).trim().toUpperCase();
    const protocol = entry.slice(at + 1).trim().toUpperCase();
    if (!isProtocol(protocol)) throw new ConfigError(`Invalid value ${text} for configuration listener.security.protocol.map: ${protocol} is not a security protocol (${PROTOCOLS.join(', ')})`);
    if (out.has(name)) throw new ConfigError(`Invalid value ${text} for configuration listener.security.protocol.map: listener ${name} is mapped twice`);
    out.set(name, protocol);
  }
  return out;
}

function requireDistinct(listeners: readonly ListenerSpec[], text: string): void {
  const names = new Set<string>();
  for (const l of listeners) {
    if (names.has(l.name)) throw new ConfigError(`Each listener must have a different name, listeners: ${text}`);
    names.add(l.name);
  }
  // Port 0 picks a free port per listener, so several may ask for it.
  const ports = listeners.map((l) => l.port).filter((p) => p !== 0);
  if (new Set(ports).size !== ports.length) throw new ConfigError(`Each listener must have a different port, listeners: ${text}`);
}

export function parseListeners(keys: ListenerKeys): ListenersConfig {
  const protocols = parseProtocolMap(keys.get('listener.security.protocol.map') ?? DEFAULT_PROTOCOL_MAP);
  const protocolOf = (name: string): ListenerProtocol => {
    const p = protocols.get(name);
    if (!p) throw new ConfigError(`No security protocol defined for listener ${name} (listener.security.protocol.map)`);
    return p;
  };
  const listenersText = keys.get('listeners') ?? '';
  const listeners = items(listenersText).map((text): ListenerSpec => {
    const e = parseEndpoint(text);
    return { name: e.name, securityProtocol: protocolOf(e.name), host: e.host, port: e.port };
  });
  if (listeners.length === 0) throw new ConfigError('listeners must name at least one listener, e.g. PLAINTEXT://:9092');
  requireDistinct(listeners, listenersText);
  const names = listeners.map((l) => l.name);

  const advertised = new Map<string, HostPort>();
  const advertisedText = keys.explicit('advertised.listeners');
  for (const text of items(advertisedText ?? '')) {
    const e = parseEndpoint(text);
    protocolOf(e.name);
    if (!names.includes(e.name)) {
      throw new ConfigError(`advertised.listeners listener names must be equal to or a subset of the ones defined in listeners. Found ${e.name}. The valid options based on the current configuration are ${names.join(',')}`);
    }
    if (advertised.has(e.name)) throw new ConfigError(`Each listener must have a different name, advertised.listeners: ${advertisedText ?? ''}`);
    if (e.host === '0.0.0.0' || e.host === '::') throw new ConfigError(`advertised.listeners cannot use the nonroutable meta-address ${e.host}. Use a routable IP address.`);
    if (e.host === '') throw new ConfigError(`advertised.listeners needs a host for ${e.name} (got ${text}): clients cannot connect to an empty host`);
    advertised.set(e.name, { host: e.host, port: e.port });
  }

  const byName = keys.explicit('inter.broker.listener.name');
  const byProtocol = keys.explicit('security.inter.broker.protocol');
  if (byName !== undefined && byProtocol !== undefined) throw new ConfigError('Only one of inter.broker.listener.name and security.inter.broker.protocol should be set.');
  let interBrokerListener: string;
  if (byName !== undefined) interBrokerListener = byName.trim().toUpperCase();
  else {
    const protocol = (byProtocol ?? keys.get('security.inter.broker.protocol') ?? 'PLAINTEXT').trim().toUpperCase();
    if (!isProtocol(protocol)) throw new ConfigError(`Invalid value ${protocol} for configuration security.inter.broker.protocol: not a security protocol (${PROTOCOLS.join(', ')})`);
    interBrokerListener = protocol;
  }
  const interBrokerExplicit = byName !== undefined || byProtocol !== undefined;
  if (interBrokerExplicit && !names.includes(interBrokerListener)) {
    throw new ConfigError(`inter.broker.listener.name must be a listener name defined in advertised.listeners. The valid options based on currently configured listeners are ${names.join(',')}`);
  }
  return { listeners, advertised, interBrokerListener, interBrokerExplicit };
}

/**
 * Checks that only a cluster needs: peers must reach each other on the inter-broker listener.
 * A lone broker has no peers, so it may leave the default (PLAINTEXT) unmatched.
 */
export function checkInterBrokerListener(config: ListenersConfig): ListenerSpec {
  const listener = config.listeners.find((l) => l.name === config.interBrokerListener);
  if (!listener) {
    throw new ConfigError(
      `inter.broker.listener.name must be a listener name defined in advertised.listeners. The valid options based on currently configured listeners are ${config.listeners.map((l) => l.name).join(',')} (the default is the PLAINTEXT listener; set inter.broker.listener.name)`,
    );
  }
  return listener;
}
