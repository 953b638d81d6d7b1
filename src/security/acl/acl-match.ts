/**
 * The ACL rules as pure functions, following Kafka's StandardAuthorizer: an ACL applies to a
 * resource when its pattern covers the name (LITERAL: the same name or `*`; PREFIXED: a prefix of
 * it); a DENY that applies wins; else an ALLOW that applies grants; with no ACL at all on the
 * resource the no-ACL rule (allow.everyone.if.no.acl.found) decides, otherwise the answer is no.
 * An ALLOW of READ, WRITE, DELETE or ALTER implies DESCRIBE, and one of ALTER_CONFIGS implies
 * DESCRIBE_CONFIGS; a DENY implies nothing beyond its own operation (ALL covers every operation
 * for either).
 */
import {
  AclOperation,
  AclPermission,
  CLUSTER_NAME,
  PatternType,
  ResourceType,
  WILDCARD,
  WILDCARD_PRINCIPAL,
  isKnownOperation,
  isKnownPatternType,
  isKnownPermission,
  isKnownResourceType,
  isValidPrincipal,
  operationName,
  patternTypeName,
  permissionName,
  resourceTypeName,
  type AclBinding,
  type AclFilter,
} from './acl-types.js';

const IMPLIES_DESCRIBE: ReadonlySet<number> = new Set([AclOperation.DESCRIBE, AclOperation.READ, AclOperation.WRITE, AclOperation.DELETE, AclOperation.ALTER]);
const IMPLIES_DESCRIBE_CONFIGS: ReadonlySet<number> = new Set([AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS]);

/** Who asks, from where, to do what, on which resource. */
export interface AclRequest {
  readonly principal: string;
  readonly host: string;
  readonly operation: number;
  readonly resourceType: number;
  readonly resourceName: string;
}

export interface AclDecision {
  readonly allowed: boolean;
  /** The ACL that decided, or why none did. */
  readonly rule: AclBinding | 'super-user' | 'no-acl-found' | 'no-matching-allow';
}

/** Whether the binding's pattern covers the resource name (its type already matched). */
export function patternCovers(binding: AclBinding, resourceName: string): boolean {
  if (binding.patternType === PatternType.LITERAL) return binding.resourceName === resourceName || binding.resourceName === WILDCARD;
  if (binding.patternType === PatternType.PREFIXED) return resourceName.startsWith(binding.resourceName);
  return false;
}

function principalMatches(aclPrincipal: string, principal: string): boolean {
  return aclPrincipal === principal || aclPrincipal === WILDCARD_PRINCIPAL;
}

function hostMatches(aclHost: string, host: string): boolean {
  return aclHost === WILDCARD || aclHost === host;
}

/** ALLOW or DENY when the ACL speaks to this principal, host and operation; null when it does not. */
export function aclVerdict(acl: AclBinding, principal: string, host: string, operation: number): 'allow' | 'deny' | null {
  if (!principalMatches(acl.principal, principal) || !hostMatches(acl.host, host)) return null;
  const allow = acl.permission === AclPermission.ALLOW;
  if (acl.operation !== AclOperation.ALL) {
    if (allow && operation === AclOperation.DESCRIBE) {
      if (!IMPLIES_DESCRIBE.has(acl.operation)) return null;
    } else if (allow && operation === AclOperation.DESCRIBE_CONFIGS) {
      if (!IMPLIES_DESCRIBE_CONFIGS.has(acl.operation)) return null;
    } else if (acl.operation !== operation) {
      return null;
    }
  }
  if (allow) return 'allow';
  return acl.permission === AclPermission.DENY ? 'deny' : null;
}

/**
 * Decides a request from the ACLs of its resource type whose pattern covers its name (`covering`:
 * the caller's index finds them; extra ones of other names are filtered out here too).
 */
export function decide(covering: Iterable<AclBinding>, request: AclRequest, allowIfNoAclFound: boolean): AclDecision {
  let hasResourceAcls = false;
  let allow: AclBinding | null = null;
  for (const acl of covering) {
    if (acl.resourceType !== request.resourceType || !patternCovers(acl, request.resourceName)) continue;
    hasResourceAcls = true;
    const verdict = aclVerdict(acl, request.principal, request.host, request.operation);
    if (verdict === 'deny') return { allowed: false, rule: acl };
    if (verdict === 'allow') allow ??= acl;
  }
  if (allow) return { allowed: true, rule: allow };
  if (!hasResourceAcls) return { allowed: allowIfNoAclFound, rule: 'no-acl-found' };
  return { allowed: false, rule: 'no-matching-allow' };
}

/**
 * Kafka's authorizeByResourceType: may the principal do `operation` on some resource of the type
 * (InitProducerId without a transactional id asks: WRITE on any topic)? Yes when the request on a
 * made-up name is allowed (super users, the no-ACL rule, wildcard ACLs), or when an ALLOW that
 * applies is not dominated by a DENY (the same literal name, a prefix of it, or the `*` literal).
 * Implied operations do not count here, as in Kafka.
 */
export function decideByResourceType(ofType: readonly AclBinding[], request: Omit<AclRequest, 'resourceName'>, allowIfNoAclFound: boolean): boolean {
  if (decide(ofType, { ...request, resourceName: 'hardcode' }, allowIfNoAclFound).allowed) return true;
  const deniedLiteral = new Set<string>();
  const deniedPrefix = new Set<string>();
  const allowed: AclBinding[] = [];
  for (const acl of ofType) {
    if (acl.resourceType !== request.resourceType || !principalMatches(acl.principal, request.principal) || !hostMatches(acl.host, request.host)) continue;
    if (acl.operation !== request.operation && acl.operation !== AclOperation.ALL) continue;
    if (acl.permission === AclPermission.DENY) {
      if (acl.patternType === PatternType.LITERAL && acl.resourceName === WILDCARD) return false;
      (acl.patternType === PatternType.LITERAL ? deniedLiteral : deniedPrefix).add(acl.resourceName);
    } else if (acl.permission === AclPermission.ALLOW) {
      if (acl.patternType === PatternType.LITERAL && acl.resourceName === WILDCARD) return true;
      allowed.push(acl);
    }
  }
  return allowed.some((acl) => {
    if (acl.patternType === PatternType.LITERAL && deniedLiteral.has(acl.resourceName)) return false;
    for (let i = 1; i <= acl.resourceName.length; i++) if (deniedPrefix.has(acl.resourceName.slice(0, i))) return false;
    return true;
  });
}

/** Why CreateAcls refuses the binding (INVALID_REQUEST), or null if it may be stored. */
export function invalidNewAcl(b: AclBinding): string | null {
  if (!isKnownResourceType(b.resourceType) || b.resourceType === ResourceType.ANY) return `Invalid resourceType ${resourceTypeName(b.resourceType)} (${b.resourceType})`;
  if (b.patternType !== PatternType.LITERAL && b.patternType !== PatternType.PREFIXED) return `Invalid patternType ${patternTypeName(b.patternType)} (${b.patternType})`;
  if (!isKnownOperation(b.operation) || b.operation === AclOperation.ANY) return `Invalid operation ${operationName(b.operation)} (${b.operation})`;
  if (b.permission !== AclPermission.ALLOW && b.permission !== AclPermission.DENY) return `Invalid permissionType ${permissionName(b.permission)} (${b.permission})`;
  if (b.resourceName === '') return 'Invalid empty resource name';
  if (b.resourceType === ResourceType.CLUSTER && b.resourceName !== CLUSTER_NAME) return `The only valid name for the CLUSTER resource is ${CLUSTER_NAME}`;
  if (!isValidPrincipal(b.principal)) return `Invalid principal "${b.principal}": expected Type:name (e.g. User:alice)`;
  if (b.host === '') return 'Invalid empty host (use * for any host)';
  return null;
}

/** Why a DescribeAcls/DeleteAcls filter is refused (INVALID_REQUEST): Kafka rejects UNKNOWN fields. */
export function invalidFilter(f: AclFilter): string | null {
  if (!isKnownResourceType(f.resourceType)) return `Unknown resourceType filter ${f.resourceType}`;
  if (!isKnownPatternType(f.patternType)) return `Unknown patternType filter ${f.patternType}`;
  if (!isKnownOperation(f.operation)) return `Unknown operation filter ${f.operation}`;
  if (!isKnownPermission(f.permission)) return `Unknown permissionType filter ${f.permission}`;
  return null;
}

/** Kafka's ResourcePatternFilter.matches and AccessControlEntryFilter.matches together. */
export function filterMatches(f: AclFilter, b: AclBinding): boolean {
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== b.resourceType) return false;
  if (f.patternType !== PatternType.ANY && f.patternType !== PatternType.MATCH && f.patternType !== b.patternType) return false;
  if (f.resourceName !== null) {
    if (f.patternType === PatternType.MATCH) {
      if (!patternCovers(b, f.resourceName)) return false;
    } else if (f.resourceName !== b.resourceName) {
      return false;
    }
  }
  if (f.principal !== null && f.principal !== b.principal) return false;
  if (f.host !== null && f.host !== b.host) return false;
  if (f.operation !== AclOperation.ANY && f.operation !== b.operation) return false;
  if (f.permission !== AclPermission.ANY && f.permission !== b.permission) return false;
  return true;
}

/** super.users: semicolon-separated principals ("User:admin;User:broker"). */
export function parseSuperUsers(value: string | null): Set<string> {
  return new Set((value ?? '').split(';').map((p) => p.trim()).filter((p) => p !== ''));
}
