/**
 * The one place handlers ask the authorizer (Kafka's AuthHelper): without an authorizer
 * configured every check passes. Handlers call these with the operation Kafka checks for their
 * API and answer *_AUTHORIZATION_FAILED for what is refused.
 */
import { AclOperation, ResourceType, CLUSTER_NAME } from '../security/acl/acl-types.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { Requester } from '../security/acl/authorizer.js';
import type { RequestContext } from './handler.js';

export { AclOperation as Op, ResourceType } from '../security/acl/acl-types.js';

function requester(ctx: RequestContext): Requester {
  return { principal: ctx.principal, host: ctx.clientAddress, api: ctx.apiName ?? 'unknown' };
}

/** May the request's principal do `operation` on the named resource? */
export function authorize(ctx: RequestContext, operation: number, resourceType: number, name: string, audit = true): boolean {
  const authorizer = ctx.broker.authorizer;
  return authorizer === undefined || authorizer.authorize(requester(ctx), operation, resourceType, name, audit);
}

/** The names (of one resource type) the principal may do `operation` on; each checked once. */
export function authorizedNames(ctx: RequestContext, operation: number, resourceType: number, names: Iterable<string>, audit = true): Set<string> {
  const allowed = new Set<string>();
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) continue;
    seen.add(name);
    if (authorize(ctx, operation, resourceType, name, audit)) allowed.add(name);
  }
  return allowed;
}

/** `operation` on the CLUSTER resource (kafka-cluster). */
export function authorizeCluster(ctx: RequestContext, operation: number, audit = true): boolean {
  return authorize(ctx, operation, ResourceType.CLUSTER, CLUSTER_NAME, audit);
}

/** Kafka's authorizeByResourceType: `operation` on at least one resource of the type. */
export function authorizeAnyOfType(ctx: RequestContext, operation: number, resourceType: number): boolean {
  const authorizer = ctx.broker.authorizer;
  return authorizer === undefined || authorizer.authorizeByResourceType(requester(ctx), operation, resourceType);
}

/** Config resource types of DescribeConfigs/AlterConfigs (Kafka's ConfigResource.Type): a broker's configs are the cluster's to guard. */
const CONFIG_TOPIC = 2;
const CONFIG_BROKER = 4;
const CONFIG_BROKER_LOGGER = 8;

/** Null when the principal may do `operation` (DESCRIBE_CONFIGS / ALTER_CONFIGS) on the config resource, else the error to answer. */
export function authorizeConfigResource(ctx: RequestContext, operation: number, configResourceType: number, name: string): { errorCode: number; errorMessage: string } | null {
  if (!ctx.broker.authorizer) return null;
  if (configResourceType === CONFIG_TOPIC) {
    return authorize(ctx, operation, ResourceType.TOPIC, name) ? null : { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: `${ctx.principal} may not ${opVerb(operation)} the configs of topic ${name}.` };
  }
  if (configResourceType === CONFIG_BROKER || configResourceType === CONFIG_BROKER_LOGGER) {
    return authorizeCluster(ctx, operation) ? null : { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: `${ctx.principal} may not ${opVerb(operation)} broker configs.` };
  }
  return null;
}

function opVerb(operation: number): string {
  return operation === AclOperation.DESCRIBE_CONFIGS ? 'describe' : 'alter';
}

/** Null when the principal may do `operation` (READ by default: the group APIs) on the group, else GROUP_AUTHORIZATION_FAILED. */
export function groupRefusal(ctx: RequestContext, groupId: string, operation: number = AclOperation.READ): { errorCode: number; message: string } | null {
  if (authorize(ctx, operation, ResourceType.GROUP, groupId)) return null;
  return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, message: `${ctx.principal} may not use group ${groupId}.` };
}

/**
 * The bit set of `candidates` (a bit per AclOperation code) the principal has on the resource, for
 * the authorized-operations fields of Metadata, DescribeCluster and DescribeGroups; all of them
 * without an authorizer. Not audited: the client asked what it may do, not to do it.
 */
export function authorizedOperations(ctx: RequestContext, resourceType: number, name: string, candidates: number): number {
  if (!ctx.broker.authorizer) return candidates;
  let bits = 0;
  for (let op = 0; op < 31; op++) if ((candidates & (1 << op)) !== 0 && authorize(ctx, op, resourceType, name, false)) bits |= 1 << op;
  return bits;
}
