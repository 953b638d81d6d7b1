/**
 * The SCRAM credentials of the cluster: kept as security records of kind 'scram' in the metadata
 * store (so every broker of a cluster sees the same users), held in memory here from a watch, so
 * that an exchange never waits on the store.
 *
 *   key    "<mechanism>:<user>"            e.g. "SCRAM-SHA-512:alice"
 *   value  {"salt":b64,"iterations":n,"storedKey":b64,"serverKey":b64}
 */
import type { MetadataStore, MetadataSubscription } from '../../metadata/metadata-store.js';
import { MAX_SECURITY_WRITES, type SecurityRecordWrite } from '../../metadata/security-records.js';
import { isScramMechanism, type ScramCredential, type ScramMechanism } from './scram-formulas.js';

export interface CredentialChange {
  readonly user: string;
  readonly mechanism: ScramMechanism;
  /** null deletes the user's credential for the mechanism. */
  readonly credential: ScramCredential | null;
}

function recordKey(user: string, mechanism: ScramMechanism): string {
  return `${mechanism}:${user}`;
}

function parseKey(key: string): { user: string; mechanism: ScramMechanism } | null {
  const colon = key.indexOf(':');
  const mechanism = key.slice(0, colon);
  return colon > 0 && isScramMechanism(mechanism) ? { user: key.slice(colon + 1), mechanism } : null;
}

function encode(c: ScramCredential): string {
  return JSON.stringify({ salt: c.salt.toString('base64'), iterations: c.iterations, storedKey: c.storedKey.toString('base64'), serverKey: c.serverKey.toString('base64') });
}

function decode(text: string): ScramCredential | null {
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    if (typeof v.salt !== 'string' || typeof v.iterations !== 'number' || typeof v.storedKey !== 'string' || typeof v.serverKey !== 'string') return null;
    return { salt: Buffer.from(v.salt, 'base64'), iterations: v.iterations, storedKey: Buffer.from(v.storedKey, 'base64'), serverKey: Buffer.from(v.serverKey, 'base64') };
  } catch {
    return null;
  }
}

export class ScramCredentials {
  /** user → mechanism → credential. */
  private readonly byUser = new Map<string, Map<ScramMechanism, ScramCredential>>();
  private subscription: MetadataSubscription | null = null;

  private constructor(private readonly store: MetadataStore) {}

  /** Loads every credential and follows changes; `invalid` hears of records that cannot be read. */
  static async open(store: MetadataStore, invalid: (key: string) => void): Promise<ScramCredentials> {
    const credentials = new ScramCredentials(store);
    credentials.subscription = await store.watch(
      { security: 'scram' },
      {
        changes: (batch) => {
          // A snapshot batch is the difference from what was delivered (a re-synchronisation after
          // etcd compacted history lists only what changed): nothing is cleared for it.
          for (const c of batch.changes) {
            if (c.kind !== 'security') continue;
            const id = parseKey(c.key);
            const credential = c.value === null ? null : decode(c.value);
            if (id === null || (c.value !== null && credential === null)) invalid(c.key);
            else credentials.set(id.user, id.mechanism, credential);
          }
        },
      },
    );
    return credentials;
  }

  lookup(user: string, mechanism: ScramMechanism): ScramCredential | undefined {
    return this.byUser.get(user)?.get(mechanism);
  }

  /** The mechanisms and iteration counts of each user with a credential, by user name. */
  list(): Map<string, { mechanism: ScramMechanism; iterations: number }[]> {
    const out = new Map<string, { mechanism: ScramMechanism; iterations: number }[]>();
    for (const [user, byMechanism] of this.byUser) out.set(user, [...byMechanism].map(([mechanism, c]) => ({ mechanism, iterations: c.iterations })));
    return out;
  }

  /** Writes the changes (in store-sized batches) and applies them here at once, ahead of the watch. */
  async apply(changes: readonly CredentialChange[]): Promise<void> {
    const writes: SecurityRecordWrite[] = changes.map((c) => ({ key: recordKey(c.user, c.mechanism), value: c.credential === null ? null : encode(c.credential) }));
    for (let i = 0; i < writes.length; i += MAX_SECURITY_WRITES) await this.store.writeSecurityRecords('scram', writes.slice(i, i + MAX_SECURITY_WRITES));
    for (const c of changes) this.set(c.user, c.mechanism, c.credential);
  }

  async close(): Promise<void> {
    await this.subscription?.close();
    this.subscription = null;
  }

  private set(user: string, mechanism: ScramMechanism, credential: ScramCredential | null): void {
    let byMechanism = this.byUser.get(user);
    if (credential === null) {
      byMechanism?.delete(mechanism);
      if (byMechanism?.size === 0) this.byUser.delete(user);
      return;
    }
    if (!byMechanism) this.byUser.set(user, (byMechanism = new Map()));
    byMechanism.set(mechanism, credential);
  }
}
