/**
 * Dynamic broker configs (Kafka's DynamicBrokerConfig): values set with AlterConfigs on a BROKER
 * resource, kept in the metadata store (kind 'broker-config', see metadata/security-records.ts)
 * so that they survive restarts and reach every broker: the cluster-wide default under
 * "<default>", one broker's own under its id. This broker watches both of its entries, lays them
 * over its static config (BrokerConfig.setDynamic) and tells its parts to apply them.
 */
import type { Logger } from 'pino';
import { checkValue } from '../config/config-def.js';
import { ALL_BROKER_DEFS, SOURCE_DYNAMIC_BROKER, SOURCE_DYNAMIC_DEFAULT_BROKER, type BrokerConfig } from '../config/broker-configs.js';
import { LIVE_BROKER_KEYS, type ConfigRefusal } from '../config/dynamic-broker-configs.js';
import type { MetadataStore, MetadataSubscription } from '../metadata/metadata-store.js';

/** The entity of the cluster-wide default (Kafka's ZooKeeper path used the same name). */
export const DEFAULT_ENTITY = '<default>';

type Layer = typeof SOURCE_DYNAMIC_BROKER | typeof SOURCE_DYNAMIC_DEFAULT_BROKER;

/** What an edit makes of a level's values: the values to store, or why not. */
export type DynamicEdit = { readonly ok: true; readonly configs: Record<string, string> } | { readonly ok: false; readonly refusal: ConfigRefusal };

export class DynamicBrokerConfigs {
  private subscription: MetadataSubscription | null = null;
  private readonly listeners: (() => void)[] = [];
  /** Edits of this broker run one at a time, each on the values the one before left. */
  private turn: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly store: MetadataStore,
    private readonly config: BrokerConfig,
    private readonly log: Logger,
  ) {}

  /** Reads both entries (before the logs open, so that they open with the dynamic values) and watches them. */
  static async open(store: MetadataStore, config: BrokerConfig, log: Logger): Promise<DynamicBrokerConfigs> {
    const dynamic = new DynamicBrokerConfigs(store, config, log);
    const own = String(config.nodeId);
    dynamic.subscription = await store.watch(
      { security: 'broker-config' },
      {
        changes: (batch) => {
          // The first batch starts from empty layers; a re-synchronising snapshot carries removed
          // entries as null values, so absence from a batch never means removal.
          let changed = false;
          for (const c of batch.changes) {
            if (c.kind !== 'security') continue;
            if (c.key === DEFAULT_ENTITY) changed = dynamic.applyEntry(SOURCE_DYNAMIC_DEFAULT_BROKER, c.value) || changed;
            else if (c.key === own) changed = dynamic.applyEntry(SOURCE_DYNAMIC_BROKER, c.value) || changed;
          }
          if (changed) dynamic.notify();
        },
        invalid: (key, err) => log.error({ err, key }, 'a dynamic broker config record could not be read; it is ignored'),
      },
    );
    return dynamic;
  }

  /** Hears of every change of this broker's effective dynamic values. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** The dynamic values of one level as stored: this broker's own (perBroker) or the cluster-wide default. */
  current(perBroker: boolean): Record<string, string> {
    return Object.fromEntries(this.config.dynamicEntries(perBroker ? SOURCE_DYNAMIC_BROKER : SOURCE_DYNAMIC_DEFAULT_BROKER));
  }

  /**
   * Runs `edit` on the current values of a level (in this broker's turn) and, unless it refuses
   * or `validateOnly`, stores its result and applies it here at once, ahead of the watch. Edits
   * from two brokers of a cluster at the same moment: the later write wins.
   */
  edit(perBroker: boolean, edit: (current: Record<string, string>) => DynamicEdit, validateOnly: boolean): Promise<ConfigRefusal | null> {
    const run = async (): Promise<ConfigRefusal | null> => {
      const outcome = edit(this.current(perBroker));
      if (!outcome.ok) return outcome.refusal;
      if (validateOnly) return null;
      const entity = perBroker ? String(this.config.nodeId) : DEFAULT_ENTITY;
      const value = Object.keys(outcome.configs).length === 0 ? null : JSON.stringify(outcome.configs);
      await this.store.writeSecurityRecords('broker-config', [{ key: entity, value }]);
      if (this.applyEntry(perBroker ? SOURCE_DYNAMIC_BROKER : SOURCE_DYNAMIC_DEFAULT_BROKER, value)) this.notify();
      return null;
    };
    const result = this.turn.then(run, run);
    this.turn = result.catch(() => undefined);
    return result;
  }

  /** Lays a stored entry (null: none) over the config; answers whether anything changed. */
  private applyEntry(layer: Layer, text: string | null): boolean {
    const next = new Map<string, string>();
    if (text !== null) {
      let parsed: unknown = null;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = null;
      }
      if (typeof parsed !== 'object' || parsed === null) this.log.error({ layer }, 'a dynamic broker config record is not a JSON object; it is ignored');
      else {
        for (const [k, v] of Object.entries(parsed)) {
          const def = ALL_BROKER_DEFS.get(k);
          // Written by another version, or by hand: a key this broker cannot apply, or a bad value, is left out.
          if (typeof v !== 'string' || !def || !LIVE_BROKER_KEYS.has(k) || checkValue(def, v) !== null) {
            this.log.warn({ key: k, layer }, 'a dynamic broker config this broker cannot apply is ignored');
            continue;
          }
          next.set(k, v.trim());
        }
      }
    }
    const before = this.config.dynamicEntries(layer);
    if (before.size === next.size && [...next].every(([k, v]) => before.get(k) === v)) return false;
    this.config.setDynamic(layer, next);
    this.log.info({ layer: layer === SOURCE_DYNAMIC_BROKER ? 'broker' : 'cluster-default', configs: Object.fromEntries(next) }, 'dynamic broker configs changed');
    return true;
  }

  private notify(): void {
    for (const l of this.listeners) {
      try {
        l();
      } catch (err) {
        this.log.error({ err }, 'applying changed dynamic broker configs failed');
      }
    }
  }

  async close(): Promise<void> {
    await this.subscription?.close();
  }
}
