/**
 * Kafka's connection limits: `max.connections` over the whole listener and
 * `max.connections.per.ip`, with `max.connections.per.ip.overrides` ("host:count,…") raising or
 * lowering it for single addresses. A connection above a limit is closed as soon as it is
 * accepted, as Kafka does for the per-IP limit (for the broker-wide one Kafka stops accepting
 * until a slot frees, which a client sees the same way: its connection attempt does not get
 * served).
 *
 * Overrides match IP addresses as written; unlike Kafka, host names in them are not resolved.
 */
export interface ConnectionQuotaConfig {
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
  readonly perIpOverrides: ReadonlyMap<string, number>;
}

/** An IPv4 client of a dual-stack socket shows as ::ffff:a.b.c.d; count it as a.b.c.d. */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

export class ConnectionQuotas {
  private total = 0;
  private readonly perIp = new Map<string, number>();
  private readonly overrides: ReadonlyMap<string, number>;

  constructor(private readonly config: ConnectionQuotaConfig) {
    this.overrides = new Map([...config.perIpOverrides].map(([address, count]) => [normalizeAddress(address), count]));
  }

  /** Counts a new connection from `address`, or returns why it is refused (and counts nothing). */
  tryAdmit(address: string): string | null {
    const ip = normalizeAddress(address);
    if (this.total >= this.config.maxConnections) return `max.connections=${this.config.maxConnections} reached`;
    const limit = this.overrides.get(ip) ?? this.config.maxConnectionsPerIp;
    const current = this.perIp.get(ip) ?? 0;
    if (current >= limit) return `${limit} connections from ${ip} (max.connections.per.ip) reached`;
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
