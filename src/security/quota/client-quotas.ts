/**
 * The cluster's client quotas (kind 'quota' security records, held here from a watch) and the
 * byte-rate sensors that enforce producer_byte_rate and consumer_byte_rate, as Kafka's
 * ClientQuotaManager does: bytes are counted per quota entity (with the client's own names where
 * its quota comes from a default), and a client over its rate is told to wait
 * (observed − limit) / limit × the measured span, at most the whole sample span.
 */
import type { MetadataStore, MetadataSubscription } from '../../metadata/metadata-store.js';
import { MAX_SECURITY_WRITES } from '../../metadata/security-records.js';
import { candidates, entityKey, parseEntityKey, sensorKey, type QuotaEntity } from './quota-entity.js';
import { WindowedRate } from './rate.js';

export type ByteRateKind = 'producer_byte_rate' | 'consumer_byte_rate';

export interface QuotaSettings {
  /** quota.window.num */
  readonly windows: number;
  /** quota.window.size.seconds, in ms */
  readonly windowMs: number;
}

export interface QuotaChange {
  readonly entity: QuotaEntity;
  /** The entity's values after the change; empty removes the entity. */
  readonly values: Readonly<Record<string, number>>;
}

/** How many records between sweeps of sensors that saw nothing for all their windows. */
const SWEEP_EVERY = 1000;

function parseValues(text: string): Record<string, number> | null {
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null) return null;
    const out: Record<string, number> = {};
    for (const [k, n] of Object.entries(v)) if (typeof n === 'number' && Number.isFinite(n)) out[k] = n;
    return out;
  } catch {
    return null;
  }
}

export class ClientQuotas {
  private readonly byEntity = new Map<string, Record<string, number>>();
  private readonly sensors = new Map<string, WindowedRate>();
  private recordsSinceSweep = 0;
  private subscription: MetadataSubscription | null = null;

  private constructor(
    private readonly store: MetadataStore,
    private readonly settings: QuotaSettings,
  ) {}

  static async open(store: MetadataStore, settings: QuotaSettings, invalid: (key: string) => void): Promise<ClientQuotas> {
    const quotas = new ClientQuotas(store, settings);
    quotas.subscription = await store.watch(
      { security: 'quota' },
      {
        changes: (batch) => {
          // A snapshot batch is the difference from what was delivered (a re-synchronisation after
          // etcd compacted history lists only what changed): nothing is cleared for it.
          for (const c of batch.changes) {
            if (c.kind !== 'security') continue;
            const values = c.value === null ? null : parseValues(c.value);
            if (parseEntityKey(c.key) === null || (c.value !== null && values === null)) invalid(c.key);
            else if (values === null) quotas.byEntity.delete(c.key);
            else quotas.byEntity.set(c.key, values);
          }
        },
      },
    );
    return quotas;
  }

  /** Whether any quota is set at all: without one the request path skips quota work entirely. */
  get any(): boolean {
    return this.byEntity.size > 0;
  }

  /** Every entity with a quota, and its values. */
  entries(): { entity: QuotaEntity; values: Record<string, number> }[] {
    const out: { entity: QuotaEntity; values: Record<string, number> }[] = [];
    for (const [key, values] of this.byEntity) {
      const entity = parseEntityKey(key);
      if (entity) out.push({ entity, values: { ...values } });
    }
    return out;
  }

  valuesOf(entity: QuotaEntity): Readonly<Record<string, number>> {
    return this.byEntity.get(entityKey(entity)) ?? {};
  }

  /** The connection_creation_rate of an address: its own IP entity's, else the default IP entity's. */
  connectionCreationRate(ip: string): number | null {
    if (this.byEntity.size === 0) return null;
    return this.byEntity.get(entityKey({ ip }))?.connection_creation_rate ?? this.byEntity.get(entityKey({ ip: null }))?.connection_creation_rate ?? null;
  }

  /** The quota that applies to the client, and the sensor that counts it; null when none does. */
  limitFor(kind: ByteRateKind, user: string, clientId: string): { limit: number; sensor: string } | null {
    for (const entity of candidates(user, clientId)) {
      const limit = this.byEntity.get(entityKey(entity))?.[kind];
      if (limit !== undefined) return { limit, sensor: `${kind}|${sensorKey(entity, user, clientId)}` };
    }
    return null;
  }

  /** Counts `bytes` for the client; answers how long it must wait (ms), 0 when within its quota. */
  record(kind: ByteRateKind, user: string, clientId: string, bytes: number, now: number): number {
    // The common case, no quotas at all, costs one comparison per request.
    if (this.byEntity.size === 0) return 0;
    const quota = this.limitFor(kind, user, clientId);
    if (quota === null) return 0;
    let rate = this.sensors.get(quota.sensor);
    if (!rate) this.sensors.set(quota.sensor, (rate = new WindowedRate(this.settings.windows, this.settings.windowMs)));
    rate.record(bytes, now);
    if (++this.recordsSinceSweep >= SWEEP_EVERY) this.sweep(now);
    const observed = rate.rate(now);
    if (observed <= quota.limit) return 0;
    const throttle = ((observed - quota.limit) / quota.limit) * rate.span(now);
    return Math.min(Math.ceil(throttle), this.settings.windows * this.settings.windowMs);
  }

  /** Takes back bytes recorded for an answer that was not sent (a throttled fetch). */
  unrecord(kind: ByteRateKind, user: string, clientId: string, bytes: number, now: number): void {
    const quota = this.limitFor(kind, user, clientId);
    if (quota !== null) this.sensors.get(quota.sensor)?.record(-bytes, now);
  }

  /** Writes the changes (in store-sized batches) and applies them here at once, ahead of the watch. */
  async apply(changes: readonly QuotaChange[]): Promise<void> {
    const writes = changes.map((c) => ({ key: entityKey(c.entity), value: Object.keys(c.values).length === 0 ? null : JSON.stringify(c.values) }));
    for (let i = 0; i < writes.length; i += MAX_SECURITY_WRITES) await this.store.writeSecurityRecords('quota', writes.slice(i, i + MAX_SECURITY_WRITES));
    for (const w of writes) {
      if (w.value === null) this.byEntity.delete(w.key);
      else this.byEntity.set(w.key, JSON.parse(w.value) as Record<string, number>);
    }
  }

  async close(): Promise<void> {
    await this.subscription?.close();
    this.subscription = null;
  }

  private sweep(now: number): void {
    this.recordsSinceSweep = 0;
    for (const [key, rate] of this.sensors) if (rate.idle(now)) this.sensors.delete(key);
  }
}
