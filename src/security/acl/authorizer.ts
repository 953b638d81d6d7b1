/**
 * The broker's ACL authorizer: answers checks from an in-memory index that the metadata store's
 * watch keeps current (every broker of a cluster sees the same ACLs, stored once in etcd), and
 * writes CreateAcls/DeleteAcls to the store. Super users (super.users) may do everything; with no
 * ACL on a resource, allow.everyone.if.no.acl.found decides. Each refusal is logged at info as one
 * structured audit line.
 */
import type { Logger } from 'pino';
import { ErrorCode, KafkaError } from '../../protocol/error-codes.js';
import type { MetadataStore, MetadataSubscription } from '../../metadata/metadata-store.js';
import { MAX_SECURITY_WRITES, type SecurityRecordWrite } from '../../metadata/security-records.js';
import { aclKey, aclValue, parseAclValue } from './acl-records.js';
import { AclIndex } from './acl-index.js';
import { decide, decideByResourceType, filterMatches } from './acl-match.js';
import { operationName, resourceTypeName, type AclBinding, type AclFilter } from './acl-types.js';

/** Who asks: the request's principal, client address and API (for the audit line). */
export interface Requester {
  readonly principal: string;
  readonly host: string;
  readonly api: string;
}

export interface AuthorizerSettings {
  readonly superUsers: ReadonlySet<string>;
  readonly allowEveryoneIfNoAclFound: boolean;
}

/** A write's outcome for one ACL: null when stored (or removed), else the Kafka error. */
export type AclWriteError = { readonly errorCode: number; readonly message: string } | null;

export class AclAuthorizer {
  private readonly index = new AclIndex();
  private subscription: MetadataSubscription | null = null;

  private constructor(
    private readonly store: MetadataStore,
    private readonly settings: AuthorizerSettings,
    private readonly log: Logger,
  ) {}

  /** Loads every ACL from the store and keeps following it; resolves once the first snapshot is in. */
  static async open(store: MetadataStore, settings: AuthorizerSettings, log: Logger): Promise<AclAuthorizer> {
    const authorizer = new AclAuthorizer(store, settings, log.child({ logger: 'kafka.authorizer.logger' }));
    authorizer.subscription = await store.watch(
      { security: 'acl' },
      {
        changes: (batch) => {
          for (const c of batch.changes) if (c.kind === 'security') authorizer.applyRecord(c.key, c.value);
        },
        invalid: (key, err) => log.error({ err, key }, 'an ACL record could not be read; it is ignored'),
      },
    );
    return authorizer;
  }

  async close(): Promise<void> {
    await this.subscription?.close();
    this.subscription = null;
  }

  get aclCount(): number {
    return this.index.size;
  }

  isSuperUser(principal: string): boolean {
    return this.settings.superUsers.has(principal);
  }

  /** May `who` do `operation` on the resource? Refusals are audited unless `audit` is false (list filtering, as Kafka's logIfDenied). */
  authorize(who: Requester, operation: number, resourceType: number, resourceName: string, audit = true): boolean {
    if (this.isSuperUser(who.principal)) return true;
    const request = { principal: who.principal, host: who.host, operation, resourceType, resourceName };
    const decision = decide(this.index.covering(resourceType, resourceName), request, this.settings.allowEveryoneIfNoAclFound);
    if (!decision.allowed && audit) this.audit(who, operation, resourceType, resourceName, typeof decision.rule === 'string' ? decision.rule : 'deny-acl');
    return decision.allowed;
  }

  /** Kafka's authorizeByResourceType: may `who` do `operation` on some resource of the type. */
  authorizeByResourceType(who: Requester, operation: number, resourceType: number): boolean {
    if (this.isSuperUser(who.principal)) return true;
    const allowed = decideByResourceType(this.index.ofType(resourceType), { principal: who.principal, host: who.host, operation, resourceType }, this.settings.allowEveryoneIfNoAclFound);
    if (!allowed) this.audit(who, operation, resourceType, '*', 'no-allow-for-any-resource');
    return allowed;
  }

  /** The ACLs the filter selects (DescribeAcls). */
  acls(filter: AclFilter): AclBinding[] {
    return [...this.index.all()].filter((b) => filterMatches(filter, b));
  }

  /** Stores the (already validated) bindings; one answer per binding, in order. ACLs that exist already succeed without a write. */
  async createAcls(bindings: readonly AclBinding[]): Promise<AclWriteError[]> {
    const results: AclWriteError[] = bindings.map(() => null);
    const pending = new Map<string, { binding: AclBinding; positions: number[] }>();
    bindings.forEach((binding, i) => {
      const key = aclKey(binding);
      if (this.index.has(key)) return;
      const entry = pending.get(key);
      if (entry) entry.positions.push(i);
      else pending.set(key, { binding, positions: [i] });
    });
    const entries = [...pending.entries()];
    for (let start = 0; start < entries.length; start += MAX_SECURITY_WRITES) {
      const chunk = entries.slice(start, start + MAX_SECURITY_WRITES);
      const writes: SecurityRecordWrite[] = chunk.map(([key, { binding }]) => ({ key, value: aclValue(binding) }));
      const failure = await this.write(writes);
      for (const [, { binding, positions }] of chunk) {
        if (failure === null) this.index.put(binding);
        for (const i of positions) results[i] = failure;
      }
    }
    return results;
  }

  /**
   * Removes the ACLs each filter selects (validated filters); per filter, the ACLs it removed (an
   * ACL two filters select is reported by the first), or the error that stopped its removal.
   */
  async deleteAcls(filters: readonly AclFilter[]): Promise<{ readonly error: AclWriteError; readonly deleted: AclBinding[] }[]> {
    const claimed = new Set<string>();
    const perFilter = filters.map((f) => {
      const mine: AclBinding[] = [];
      for (const b of this.index.all()) {
        const key = aclKey(b);
        if (!claimed.has(key) && filterMatches(f, b)) {
          claimed.add(key);
          mine.push(b);
        }
      }
      return mine;
    });
    const out: { error: AclWriteError; deleted: AclBinding[] }[] = [];
    for (const mine of perFilter) {
      let error: AclWriteError = null;
      for (let start = 0; start < mine.length && error === null; start += MAX_SECURITY_WRITES) {
        const keys = mine.slice(start, start + MAX_SECURITY_WRITES).map(aclKey);
        error = await this.write(keys.map((key) => ({ key, value: null })));
        if (error === null) for (const key of keys) this.index.remove(key);
      }
      out.push({ error, deleted: error === null ? mine : [] });
    }
    return out;
  }

  private async write(writes: readonly SecurityRecordWrite[]): Promise<AclWriteError> {
    try {
      await this.store.writeSecurityRecords('acl', writes);
      return null;
    } catch (err) {
      this.log.warn({ err }, 'writing ACLs to the metadata store failed');
      if (err instanceof KafkaError) return { errorCode: err.code, message: err.message };
      return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, message: `The metadata store did not take the ACLs: ${(err as Error).message}` };
    }
  }

  private applyRecord(key: string, value: string | null): void {
    if (value === null) {
      this.index.remove(key);
      return;
    }
    try {
      this.index.put(parseAclValue(key, value));
    } catch (err) {
      this.log.error({ err, key }, 'an ACL record could not be read; it is ignored');
    }
  }

  private audit(who: Requester, operation: number, resourceType: number, resourceName: string, reason: string): void {
    this.log.info(
      { audit: 'denied', principal: who.principal, host: who.host, operation: operationName(operation), resourceType: resourceTypeName(resourceType), resourceName, api: who.api, reason },
      `Principal = ${who.principal} is Denied operation = ${operationName(operation)} from host = ${who.host} on resource = ${resourceTypeName(resourceType)}:LITERAL:${resourceName} for request = ${who.api}`,
    );
  }
}
