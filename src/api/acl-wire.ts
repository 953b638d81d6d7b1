/** What the three ACL APIs share: their wire fields to the authorizer's bindings and filters, and back. */
import type { AclBinding, AclFilter } from '../security/acl/acl-types.js';
import type { RequestContext } from './handler.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { authorizeCluster } from './authorize.js';

export interface WireFilter {
  readonly resourceTypeFilter: number;
  readonly resourceNameFilter: string | null;
  readonly patternTypeFilter: number;
  readonly principalFilter: string | null;
  readonly hostFilter: string | null;
  readonly operation: number;
  readonly permissionType: number;
}

export function filterFromWire(f: WireFilter): AclFilter {
  return {
    resourceType: f.resourceTypeFilter,
    resourceName: f.resourceNameFilter,
    patternType: f.patternTypeFilter,
    principal: f.principalFilter,
    host: f.hostFilter,
    operation: f.operation,
    permission: f.permissionType,
  };
}

/** A binding as DeleteAcls reports it (with its own error code: none). */
export function matchingAclToWire(b: AclBinding) {
  return {
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    resourceType: b.resourceType,
    resourceName: b.resourceName,
    patternType: b.patternType,
    principal: b.principal,
    host: b.host,
    operation: b.operation,
    permissionType: b.permission,
  };
}

/** Why the request cannot be served at all: no authorizer (SECURITY_DISABLED), or no right to `operation` on the cluster. */
export function aclApiRefusal(ctx: RequestContext, operation: number): { errorCode: number; message: string } | null {
  // As Kafka's AclApis: the cluster check comes first (it passes everyone when there is no authorizer).
  if (!authorizeCluster(ctx, operation)) return { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, message: `${ctx.principal} may not ${operation === 8 ? 'describe' : 'alter'} ACLs (needs ${operation === 8 ? 'DESCRIBE' : 'ALTER'} on the cluster).` };
  if (!ctx.broker.authorizer) return { errorCode: ErrorCode.SECURITY_DISABLED, message: 'No Authorizer is configured on the broker (authorizer.class.name).' };
  return null;
}
