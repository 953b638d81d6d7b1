/**
 * DescribeClientQuotas (key 48, KIP-546): the quota entities matching a filter, with their values.
 * Each component names an entity type and matches an exact name (0), the default (1) or any named
 * entity of the type (2); `strict` asks for entities of exactly the filter's types, otherwise they
 * may have more. A type given twice, or user/client-id mixed with ip, is INVALID_REQUEST.
 */
import type { DescribeClientQuotasRequest, DescribeClientQuotasResponseInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { CLIENT_ID, IP, USER, type QuotaEntity } from '../security/quota/quota-entity.js';
import type { ApiHandler } from './handler.js';
import { entityToWire } from './client-quota-entities.js';
import { authorizeCluster, Op as AclOp } from './authorize.js';

const MATCH_EXACT = 0;
const MATCH_DEFAULT = 1;
const MATCH_SPECIFIED = 2;

function nameOf(e: QuotaEntity, type: string): string | null | undefined {
  if (type === USER) return e.user;
  if (type === CLIENT_ID) return e.clientId;
  return e.ip;
}

export const describeClientQuotasHandler: ApiHandler<DescribeClientQuotasRequest, DescribeClientQuotasResponseInput> = {
  apiKey: 48,
  name: 'DescribeClientQuotas',
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, request) {
    // Kafka: DESCRIBE_CONFIGS on the cluster.
    if (!authorizeCluster(ctx, AclOp.DESCRIBE_CONFIGS)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: `${ctx.principal} may not describe client quotas.`, entries: null };
    const invalid = (message: string): DescribeClientQuotasResponseInput => ({ throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: message, entries: null });
    const types = request.components.map((c) => c.entityType);
    if (new Set(types).size !== types.length) return invalid('Duplicate filter component entity type');
    if (types.includes(IP) && (types.includes(USER) || types.includes(CLIENT_ID))) return invalid('An ip filter cannot be combined with user or client-id');
    for (const c of request.components) {
      if (![USER, CLIENT_ID, IP].includes(c.entityType)) return invalid(`Unknown quota entity type ${c.entityType}`);
      if (c.matchType === MATCH_EXACT && c.match === null) return invalid(`An exact match of ${c.entityType} needs a name`);
      if (c.matchType !== MATCH_EXACT && c.match !== null) return invalid(`Only an exact match of ${c.entityType} takes a name`);
      if (![MATCH_EXACT, MATCH_DEFAULT, MATCH_SPECIFIED].includes(c.matchType)) return invalid(`Unknown match type ${c.matchType}`);
    }
    const matches = (e: QuotaEntity): boolean => {
      for (const c of request.components) {
        const name = nameOf(e, c.entityType);
        if (name === undefined) return false;
        if (c.matchType === MATCH_EXACT && name !== c.match) return false;
        if (c.matchType === MATCH_DEFAULT && name !== null) return false;
        if (c.matchType === MATCH_SPECIFIED && name === null) return false;
      }
      return !request.strict || entityToWire(e).length === request.components.length;
    };
    const entries = ctx.broker.clientQuotas
      .entries()
      .filter((q) => matches(q.entity))
      .map((q) => ({ entity: entityToWire(q.entity), values: Object.entries(q.values).map(([key, value]) => ({ key, value })) }));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, entries };
  },
  errorResponse(_request, errorCode, message) {
    return { throttleTimeMs: 0, errorCode, errorMessage: message, entries: null };
  },
};
