/**
 * AlterClientQuotas (key 49, KIP-546): sets or removes quota values of user / client-id / (user,
 * client-id) entities, named or default, and connection creation rates of IP entities; stored in
 * the metadata store, so every broker of the cluster applies them. Each entry is checked and
 * answered on its own (INVALID_REQUEST with a message); validate_only checks without writing.
 */
import type { AlterClientQuotasRequest, AlterClientQuotasResponseEntryDataInput, AlterClientQuotasResponseInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { CLIENT_QUOTA_KEYS, IP_QUOTA_KEYS, type QuotaEntity } from '../security/quota/quota-entity.js';
import type { QuotaChange } from '../security/quota/client-quotas.js';
import type { ApiHandler } from './handler.js';
import { entityFromWire, type WireEntity } from './client-quota-entities.js';
import { authorizeCluster, Op as AclOp } from './authorize.js';

interface Op {
  readonly key: string;
  readonly value: number;
  readonly remove: boolean;
}

/** The entity's values after the ops, or why they cannot apply. */
function applyOps(entity: QuotaEntity, current: Readonly<Record<string, number>>, ops: readonly Op[]): Record<string, number> | string {
  const allowed: readonly string[] = entity.ip !== undefined ? IP_QUOTA_KEYS : CLIENT_QUOTA_KEYS;
  const next: Record<string, number> = { ...current };
  const seen = new Set<string>();
  for (const op of ops) {
    if (!allowed.includes(op.key)) return `Invalid quota key ${op.key} for this entity (allowed: ${allowed.join(', ')})`;
    if (seen.has(op.key)) return `The quota key ${op.key} is altered twice`;
    seen.add(op.key);
    if (op.remove) {
      delete next[op.key];
      continue;
    }
    if (!Number.isFinite(op.value) || op.value <= 0) return `The value of ${op.key} must be positive, not ${op.value}`;
    if (op.key !== 'request_percentage' && op.key !== 'controller_mutation_rate' && op.key !== 'connection_creation_rate' && !Number.isInteger(op.value)) return `The value of ${op.key} must be a whole number, not ${op.value}`;
    next[op.key] = op.value;
  }
  return next;
}

export const alterClientQuotasHandler: ApiHandler<AlterClientQuotasRequest, AlterClientQuotasResponseInput> = {
  apiKey: 49,
  name: 'AlterClientQuotas',
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, request) {
    // Kafka: ALTER_CONFIGS on the cluster.
    if (!authorizeCluster(ctx, AclOp.ALTER_CONFIGS)) return this.errorResponse(request, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, `${ctx.principal} may not alter client quotas.`, ctx.apiVersion);
    const quotas = ctx.broker.clientQuotas;
    const results: AlterClientQuotasResponseEntryDataInput[] = [];
    const changes: QuotaChange[] = [];
    const changedKeys = new Set<string>();
    for (const entry of request.entries) {
      const wire: WireEntity[] = entry.entity.map((e) => ({ entityType: e.entityType, entityName: e.entityName }));
      const fail = (message: string) => results.push({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: message, entity: wire });
      const entity = entityFromWire(wire);
      if (typeof entity === 'string') {
        fail(entity);
        continue;
      }
      const id = JSON.stringify(wire);
      if (changedKeys.has(id)) {
        fail('The quota entity is altered twice in one request');
        continue;
      }
      const values = applyOps(entity, quotas.valuesOf(entity), entry.ops);
      if (typeof values === 'string') {
        fail(values);
        continue;
      }
      changedKeys.add(id);
      changes.push({ entity, values });
      results.push({ errorCode: ErrorCode.NONE, errorMessage: null, entity: wire });
    }
    if (!request.validateOnly && changes.length > 0) {
      try {
        await quotas.apply(changes);
      } catch (err) {
        ctx.log.error({ err }, 'writing client quotas failed');
        return { throttleTimeMs: 0, entries: results.map((r) => (r.errorCode === 0 ? { ...r, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'The quotas could not be stored' } : r)) };
      }
    }
    return { throttleTimeMs: 0, entries: results };
  },
  errorResponse(request, errorCode, message) {
    return { throttleTimeMs: 0, entries: request.entries.map((e) => ({ errorCode, errorMessage: message, entity: e.entity.map((p) => ({ entityType: p.entityType, entityName: p.entityName })) })) };
  },
};
