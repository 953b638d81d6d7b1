/**
 * Security metadata kept with the rest of the cluster's metadata, so that it replicates with it:
 * SCRAM credentials, ACLs and client quotas; and, kept the same way, the dynamic broker configs
 * (kind 'broker-config': key "<default>" for the cluster-wide default or a broker id, value the
 * JSON object of its keys, as Kafka kept /config/brokers/<default> and /config/brokers/<id>). The store sees each kind as a small table of string
 * keys to opaque string values (the security layer owns their encoding); writes to one kind apply
 * all together or not at all, and watchers hear of them as changes of kind 'security'.
 *
 * On a single node each kind is one file in the data directory, replaced atomically:
 *
 *   <data dir>/__tributary_security_<kind>.json   {"version":1,"records":{"<key>":"<value>",...}}
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';

export type SecurityRecordKind = 'scram' | 'acl' | 'quota' | 'broker-config';

export const SECURITY_RECORD_KINDS: readonly SecurityRecordKind[] = ['scram', 'acl', 'quota', 'broker-config'];

/** One write: a value to put, or null to delete the key. */
export interface SecurityRecordWrite {
  readonly key: string;
  readonly value: string | null;
}

/** Most writes one call may carry: etcd applies them in one transaction (its --max-txn-ops is 128). */
export const MAX_SECURITY_WRITES = 100;

/** A single node's table of one kind, in its file. Callers serialise writes. */
export class SecurityRecordFile {
  private constructor(
    private readonly path: string,
    private readonly records: Map<string, string>,
  ) {}

  static async open(dataDir: string, kind: SecurityRecordKind): Promise<SecurityRecordFile> {
    const path = join(dataDir, `__tributary_security_${kind}.json`);
    const records = new Map<string, string>();
    let text: string | null = null;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text !== null) {
      const parsed: unknown = JSON.parse(text);
      const table = (parsed as { records?: unknown }).records;
      if (typeof table !== 'object' || table === null) throw new Error(`${path} holds no records table`);
      for (const [k, v] of Object.entries(table)) if (typeof v === 'string') records.set(k, v);
    }
    return new SecurityRecordFile(path, records);
  }

  all(): Map<string, string> {
    return new Map(this.records);
  }

  /** Applies the writes and makes the file say so before resolving; on failure nothing changes. */
  async apply(writes: readonly SecurityRecordWrite[]): Promise<void> {
    const next = new Map(this.records);
    for (const w of writes) {
      if (w.value === null) next.delete(w.key);
      else next.set(w.key, w.value);
    }
    await writeFileAtomic(this.path, `${JSON.stringify({ version: 1, records: Object.fromEntries(next) })}\n`);
    this.records.clear();
    for (const [k, v] of next) this.records.set(k, v);
  }
}
