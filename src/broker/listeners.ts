/**
 * The broker's listeners: one Listener per entry of `listeners`, each with its name and security
 * protocol (TLS for SSL and SASL_SSL), and the addresses they are bound to and advertise. The
 * `port`/`host` options of startBroker override the first listener only, so `startBroker({ port: 0 })`
 * keeps its meaning with any listener configuration.
 */
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-configs.js';
import { checkInterBrokerListener, type ListenerSpec } from '../config/listeners.js';
import type { BrokerEndpoint } from '../metadata/metadata-store.js';
import type { BrokerServices } from '../api/services.js';
import { Listener, sharedLimits, type ListenerLimits, type ListenerShared, type ServerLoad } from '../server/listener.js';
import type { Dispatcher } from '../server/dispatch.js';
import { usesSasl, usesTls } from '../security/principal.js';
import { interBrokerCredentials } from '../security/sasl/inter-broker-credentials.js';
import { TlsServerContext } from '../security/tls/tls-server.js';
import { tlsSettings } from '../security/tls/tls-settings.js';

export interface BoundListener {
  readonly name: string;
  readonly securityProtocol: string;
  readonly host: string;
  readonly port: number;
}

interface Planned {
  readonly spec: ListenerSpec;
  readonly tls: TlsServerContext | null;
}

/**
 * Reads and checks the listener configuration and loads every TLS listener's certificates, before
 * anything starts: a bad listener config is a ConfigError at start, never a half-started broker.
 */
export function planListeners(config: BrokerConfig, override: { host?: string; port?: number }, log: Logger): Planned[] {
  const parsed = config.listeners;
  if (config.etcdEndpoints.length > 0) {
    const interBroker = checkInterBrokerListener(parsed);
    // The credentials peers are reached with: read now, so that a mistake stops the start.
    if (usesSasl(interBroker.securityProtocol)) interBrokerCredentials(config, interBroker.name);
  }
  return parsed.listeners.map((spec, i) => {
    const own = i === 0 ? { ...spec, host: override.host ?? spec.host, port: override.port ?? spec.port } : spec;
    return { spec: own, tls: usesTls(own.securityProtocol) ? new TlsServerContext(tlsSettings(config, own.name, own.securityProtocol === 'SASL_SSL'), log) : null };
  });
}

/** A client cannot connect to a wildcard address: the broker advertises the loopback one instead. */
function reachable(host: string): string {
  return host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
}

export class BrokerListeners {
  private readonly listeners: Listener[];
  private readonly shared: ListenerShared;
  private boundAt: BoundListener[] = [];

  constructor(
    private readonly plan: readonly Planned[],
    private readonly config: BrokerConfig,
    services: BrokerServices,
    limits: ListenerLimits,
    log: Logger,
    dispatcher: Dispatcher,
  ) {
    const shared = sharedLimits(limits);
    this.shared = shared;
    this.listeners = plan.map(({ spec, tls }) => new Listener(services, limits, log, dispatcher, { name: spec.name, securityProtocol: spec.securityProtocol }, tls, shared));
  }

  /** Applies changed connection limits (max.connections and the rest) to connections accepted from now on. */
  reconfigureConnectionLimits(limits: Pick<ListenerLimits, 'maxConnections' | 'maxConnectionsPerIp' | 'perIpOverrides' | 'maxConnectionCreationRate'>): void {
    this.shared.quotas.reconfigure(limits);
  }

  /** Binds every listener; on a failure, closes the ones already bound and rethrows. */
  async listen(): Promise<void> {
    const bound: BoundListener[] = [];
    try {
      for (const [i, { spec }] of this.plan.entries()) {
        const address = await this.listeners[i].listen(spec.host === '' ? undefined : spec.host, spec.port);
        bound.push({ name: spec.name, securityProtocol: spec.securityProtocol, host: reachable(address.host), port: address.port });
      }
    } catch (err) {
      await this.close(0);
      throw err;
    }
    this.boundAt = bound;
  }

  /** The bound addresses, in the order of `listeners`. */
  get bound(): readonly BoundListener[] {
    return this.boundAt;
  }

  /** This broker's address on listener `name` as clients are told it: advertised.listeners, else the bound address. */
  endpoint(name: string): { host: string; port: number } | null {
    const advertised = this.config.listeners.advertised.get(name);
    if (advertised) return advertised;
    const bound = this.boundAt.find((b) => b.name === name);
    return bound ? { host: bound.host, port: bound.port } : null;
  }

  /** Every listener's advertised endpoint, for the broker's registration. */
  endpoints(): BrokerEndpoint[] {
    return this.boundAt.map((b) => ({ name: b.name, securityProtocol: b.securityProtocol, ...(this.endpoint(b.name) as { host: string; port: number }) }));
  }

  /** What each listener holds now, by name (connections per listener for the metrics). */
  loads(): { name: string; load: ServerLoad }[] {
    return this.plan.map(({ spec }, i) => ({ name: spec.name, load: this.listeners[i].load() }));
  }

  load(): ServerLoad {
    const total: ServerLoad = { connections: 0, connectionsRefused: 0, requestsInFlight: 0, requestsWaitingToStart: 0, responseBytesWaiting: 0, queuedRequestBytes: 0, connectionsReadingPaused: 0 };
    for (const l of this.listeners) {
      const one = l.load();
      for (const key of Object.keys(total) as (keyof ServerLoad)[]) total[key] += one[key];
      // The pool is shared: each listener reports the same figure.
      total.queuedRequestBytes = one.queuedRequestBytes;
    }
    return total;
  }

  async close(graceMs: number): Promise<void> {
    await Promise.all(this.listeners.map((l) => l.close(graceMs)));
  }
}
