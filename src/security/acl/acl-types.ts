/**
 * Kafka's ACL model, with Kafka's wire codes (org.apache.kafka.common.resource.ResourceType,
 * PatternType, acl.AclOperation, acl.AclPermissionType), so requests and stored records carry the
 * same numbers clients send. An ACL binding says: `principal` from `host` is ALLOWed or DENYed
 * `operation` on the resources a (type, name, pattern type) pattern covers.
 */

export const ResourceType = { UNKNOWN: 0, ANY: 1, TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5, DELEGATION_TOKEN: 6, USER: 7 } as const;
export type ResourceTypeCode = (typeof ResourceType)[keyof typeof ResourceType];

export const PatternType = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;
export type PatternTypeCode = (typeof PatternType)[keyof typeof PatternType];

export const AclOperation = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const;
export type AclOperationCode = (typeof AclOperation)[keyof typeof AclOperation];

export const AclPermission = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const;
export type AclPermissionCode = (typeof AclPermission)[keyof typeof AclPermission];

/** The one name a CLUSTER resource has. */
export const CLUSTER_NAME = 'kafka-cluster';
/** A LITERAL resource name, principal name or host that matches every one. */
export const WILDCARD = '*';
export const WILDCARD_PRINCIPAL = 'User:*';

/** One ACL, as stored and as CreateAcls carries it (pattern types LITERAL or PREFIXED only). */
export interface AclBinding {
  readonly resourceType: number;
  readonly resourceName: string;
  readonly patternType: number;
  readonly principal: string;
  readonly host: string;
  readonly operation: number;
  readonly permission: number;
}

/** What DescribeAcls and DeleteAcls select by: null strings and ANY codes match everything; MATCH as Kafka's filter. */
export interface AclFilter {
  readonly resourceType: number;
  readonly resourceName: string | null;
  readonly patternType: number;
  readonly principal: string | null;
  readonly host: string | null;
  readonly operation: number;
  readonly permission: number;
}

function namesOf(table: Readonly<Record<string, number>>): Map<number, string> {
  return new Map(Object.entries(table).map(([name, code]) => [code, name]));
}

const RESOURCE_NAMES = namesOf(ResourceType);
const PATTERN_NAMES = namesOf(PatternType);
const OPERATION_NAMES = namesOf(AclOperation);
const PERMISSION_NAMES = namesOf(AclPermission);

export const resourceTypeName = (code: number): string => RESOURCE_NAMES.get(code) ?? 'UNKNOWN';
export const patternTypeName = (code: number): string => PATTERN_NAMES.get(code) ?? 'UNKNOWN';
export const operationName = (code: number): string => OPERATION_NAMES.get(code) ?? 'UNKNOWN';
export const permissionName = (code: number): string => PERMISSION_NAMES.get(code) ?? 'UNKNOWN';

function codeOf(table: Readonly<Record<string, number>>, name: string): number | undefined {
  const key = name.trim().toUpperCase().replace(/-/g, '_');
  return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}

export const resourceTypeCode = (name: string): number | undefined => codeOf(ResourceType, name);
export const patternTypeCode = (name: string): number | undefined => codeOf(PatternType, name);
export const operationCode = (name: string): number | undefined => codeOf(AclOperation, name);
export const permissionCode = (name: string): number | undefined => codeOf(AclPermission, name);

/** Codes a wire value can be that Kafka knows (anything else reads as UNKNOWN there). */
export const isKnownResourceType = (code: number): boolean => RESOURCE_NAMES.has(code) && code !== ResourceType.UNKNOWN;
export const isKnownPatternType = (code: number): boolean => PATTERN_NAMES.has(code) && code !== PatternType.UNKNOWN;
export const isKnownOperation = (code: number): boolean => OPERATION_NAMES.has(code) && code !== AclOperation.UNKNOWN;
export const isKnownPermission = (code: number): boolean => PERMISSION_NAMES.has(code) && code !== AclPermission.UNKNOWN;

/** "Type:name" with a non-empty type and name, as Kafka's SecurityUtils.parseKafkaPrincipal wants. */
export function isValidPrincipal(principal: string): boolean {
  const colon = principal.indexOf(':');
  return colon > 0 && colon < principal.length - 1;
}

/** A readable one-line form, for logs and the CLI. */
export function describeBinding(b: AclBinding): string {
  return `(principal=${b.principal}, host=${b.host}, operation=${operationName(b.operation)}, permissionType=${permissionName(b.permission)}) on ${resourceTypeName(b.resourceType)}:${patternTypeName(b.patternType)}:${b.resourceName}`;
}
