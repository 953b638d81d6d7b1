/**
 * Kafka's connection limits: `max.connections` over the whole listener and
 * `max.connections.per.ip`, with `max.connections.per.ip.overrides` ("host:count,…") raising or
 * lowering it for single addresses. A connection above a limit is closed as soon as it is
 * accepted, as Kafka does for the per-IP limit (for the broker-wide one Kafka stops accepting
 * until a slot frees, which a client sees the same way: its connection attempt does not get
 * served).
 *
 * Overrides match IP addresses as written; unlike Kafka, host names in them are not resolved.
 *
 * Connection creation rates (KIP-612): `max.connection.creation.rate` for the listener, and the
 * `connection_creation_rate` quota of an IP entity (the address's own, else the default one, set
 * with AlterClientQuotas) per address, measured over the quota windows. A connection over a rate
 * is closed when accepted (Kafka closes it for the per-IP rate; for the listener's it delays
 * accepting instead).
 */
import { WindowedRate } from '../security/quota/rate.js';

export interface ConnectionQuotaConfig {
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
  readonly perIpOverrides: ReadonlyMap<string, number>;
  /** Connections per second the listener accepts (max.connection.creation.rate). */
  readonly maxConnectionCreationRate?: number;
  /** The connection_creation_rate quota of an address, or null when none applies. */
  readonly ipConnectionCreationRate?: (ip: string) => number | null;
  /** The windows rates are measured over (quota.window.num, quota.window.size.seconds). */
  readonly rateWindows?: number;
  readonly rateWindowMs?: number;
  readonly now?: () => number;
}

/** How many accepted connections between sweeps of idle per-address rates. */
const SWEEP_EVERY = 1000;

/** An IPv4 client of a dual-stack socket shows as ::ffff:a.b.c.d; count it as a.b.c.d. */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

export class ConnectionQuotas {
  private total = 0;
  private readonly perIp = new Map<string, number>();
  private overrides: ReadonlyMap<string, number> = new Map();
  private readonly listenerRate: WindowedRate;
  private readonly ipRates = new Map<string, WindowedRate>();
  private acceptedSinceSweep = 0;

  constructor(private config: ConnectionQuotaConfig) {
    this.reconfigure({});
    this.listenerRate = this.newRate();
  }

  /**
   * New limits (dynamic broker configs) for the connections accepted from now on; those already
   * open stay, as in Kafka, even above a lowered limit.
   */
  reconfigure(limits: Partial<Pick<ConnectionQuotaConfig, 'maxConnections' | 'maxConnectionsPerIp' | 'perIpOverrides' | 'maxConnectionCreationRate'>>): void {
    this.config = { ...this.config, ...limits };
    this.overrides = new Map([...this.config.perIpOverrides].map(([address, count]) => [normalizeAddress(address), count]));
  }

  private newRate(): WindowedRate {
    return new WindowedRate(this.config.rateWindows ?? 11, this.config.rateWindowMs ?? 1000);
  }

  /** Counts the attempt against the creation rates; why it is over one, or null. */
  private overRate(ip: string): string | null {
    const now = (this.config.now ?? Date.now)();
    const listenerLimit = this.config.maxConnectionCreationRate ?? Infinity;
    if (Number.isFinite(listenerLimit)) {
      this.listenerRate.record(1, now);
      if (this.listenerRate.rate(now) > listenerLimit) return `max.connection.creation.rate=${listenerLimit}/s exceeded`;
    }
    const ipLimit = this.config.ipConnectionCreationRate?.(ip) ?? null;
    if (ipLimit === null) return null;
    let rate = this.ipRates.get(ip);
    if (!rate) this.ipRates.set(ip, (rate = this.newRate()));
    rate.record(1, now);
    if (++this.acceptedSinceSweep >= SWEEP_EVERY) {
      this.acceptedSinceSweep = 0;
      for (const [address, r] of this.ipRates) if (r.idle(now)) this.ipRates.delete(address);
    }
    return rate.rate(now) > ipLimit ? `connection_creation_rate=${ipLimit}/s of ${ip} exceeded` : null;
  }

  /** Counts a new connection from `address`, or returns why it is refused (and counts nothing). */
  tryAdmit(address: string): string | null {
    const ip = normalizeAddress(address);
    if (this.total >= this.config.maxConnections) return `max.connections=${this.config.maxConnections} reached`;
    const limit = this.overrides.get(ip) ?? this.config.maxConnectionsPerIp;
    const current = this.perIp.get(ip) ?? 0;
    if (current >= limit) return `${limit} connections from ${ip} (max.connections.per.ip) reached`;
    const overRate = this.overRate(ip);
    if (overRate !== null) return overRate;
    this.total++;
    this.perIp.set(ip, current + 1);
    return null;
  }

  release(address: string): void {
    const ip = normalizeAddress(address);
    const current = this.perIp.get(ip) ?? 0;
    if (current <= 1) this.perIp.delete(ip);
    else this.perIp.set(ip, current - 1);
    this.total = Math.max(0, this.total - 1);
  }

  get connections(): number {
    return this.total;
  }
}
