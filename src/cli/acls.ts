/**
 * `tributary acl create | list | delete`, with kafka-acls.sh's flags where they make sense
 * (--allow-principal, --deny-principal, --operation, --topic, --group, --cluster,
 * --transactional-id, --resource-pattern-type, --host), through CreateAcls, DescribeAcls and
 * DeleteAcls. Each flag naming a principal, host, operation or resource may be repeated; create
 * adds every combination, as kafka-acls.sh --add does. Connect as an authorized user with
 * TRIBUTARY_SASL_MECHANISM / _USERNAME / _PASSWORD (the CLI needs ALTER / DESCRIBE on the cluster).
 */
import type { Command } from 'commander';
import type { KafkaConnection } from '../client/kafka-connection.js';
import type { CreateAclsResponse, DeleteAclsResponse, DescribeAclsResponse } from '../protocol/generated/index.js';
import { describeError } from '../protocol/error-codes.js';
import {
  AclOperation,
  AclPermission,
  CLUSTER_NAME,
  PatternType,
  ResourceType,
  operationCode,
  operationName,
  patternTypeCode,
  patternTypeName,
  permissionName,
  resourceTypeName,
  type AclBinding,
  type AclFilter,
} from '../security/acl/acl-types.js';
import { formatTable } from './table.js';
import { toJson, type JsonValue } from './json.js';
import { CliError } from './group-queries.js';
import { withConnection } from './with-connection.js';

export interface AclOptions {
  bootstrap: string;
  json?: boolean;
  allowPrincipal: string[];
  denyPrincipal: string[];
  principal: string[];
  host: string[];
  operation: string[];
  topic: string[];
  group: string[];
  transactionalId: string[];
  cluster?: boolean;
  resourcePatternType?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];
const errorText = (code: number, message: string | null) => message ?? describeError(code)?.name ?? `error ${code}`;

/** The resources the flags name: (type, name) pairs. */
function resources(o: AclOptions): { type: number; name: string }[] {
  return [
    ...o.topic.map((name) => ({ type: ResourceType.TOPIC, name })),
    ...o.group.map((name) => ({ type: ResourceType.GROUP, name })),
    ...o.transactionalId.map((name) => ({ type: ResourceType.TRANSACTIONAL_ID, name })),
    ...(o.cluster ? [{ type: ResourceType.CLUSTER, name: CLUSTER_NAME }] : []),
  ];
}

function patternOf(o: AclOptions, fallback: number, allowed: readonly number[]): number {
  if (o.resourcePatternType === undefined) return fallback;
  const code = patternTypeCode(o.resourcePatternType);
  if (code === undefined || !allowed.includes(code)) throw new CliError(`--resource-pattern-type must be one of ${allowed.map(patternTypeName).join(', ')}, not ${o.resourcePatternType}`);
  return code;
}

function operationsOf(o: AclOptions, fallback: number[]): number[] {
  if (o.operation.length === 0) return fallback;
  return o.operation.map((name) => {
    const code = operationCode(name);
    if (code === undefined || code === AclOperation.UNKNOWN || code === AclOperation.ANY) throw new CliError(`unknown --operation ${name} (e.g. Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite, All)`);
    return code;
  });
}

/** kafka-acls.sh spells operations in CamelCase ("IdempotentWrite"); accept both that and IDEMPOTENT_WRITE. */
function normaliseOperationNames(o: AclOptions): AclOptions {
  return { ...o, operation: o.operation.map((n) => n.replace(/([a-z])([A-Z])/g, '$1_$2')) };
}

function principalsWithPermission(o: AclOptions): { principal: string; permission: number }[] {
  return [...o.allowPrincipal.map((principal) => ({ principal, permission: AclPermission.ALLOW })), ...o.denyPrincipal.map((principal) => ({ principal, permission: AclPermission.DENY }))];
}

/** Every binding `create` adds: resources × principals × hosts × operations. */
export function bindingsToCreate(raw: AclOptions): AclBinding[] {
  const o = normaliseOperationNames(raw);
  const res = resources(o);
  if (res.length === 0) throw new CliError('name a resource: --topic, --group, --transactional-id or --cluster');
  const who = principalsWithPermission(o);
  if (who.length === 0) throw new CliError('name who: --allow-principal User:NAME or --deny-principal User:NAME');
  const patternType = patternOf(o, PatternType.LITERAL, [PatternType.LITERAL, PatternType.PREFIXED]);
  const hosts = o.host.length > 0 ? o.host : ['*'];
  const operations = operationsOf(o, [AclOperation.ALL]);
  const out: AclBinding[] = [];
  for (const r of res) for (const w of who) for (const host of hosts) for (const operation of operations) out.push({ resourceType: r.type, resourceName: r.name, patternType, principal: w.principal, host, operation, permission: w.permission });
  return out;
}

/** The filters `list` and `delete` send: one per resource named (or one for every resource), narrowed by the other flags. */
export function filtersOf(raw: AclOptions): AclFilter[] {
  const o = normaliseOperationNames(raw);
  const res: { type: number; name: string | null }[] = resources(o);
  if (res.length === 0) res.push({ type: ResourceType.ANY, name: null });
  const patternType = patternOf(o, PatternType.ANY, [PatternType.LITERAL, PatternType.PREFIXED, PatternType.ANY, PatternType.MATCH]);
  const who: { principal: string | null; permission: number }[] = [...principalsWithPermission(o), ...o.principal.map((principal) => ({ principal, permission: AclPermission.ANY }))];
  if (who.length === 0) who.push({ principal: null, permission: AclPermission.ANY });
  const hosts: (string | null)[] = o.host.length > 0 ? o.host : [null];
  const operations = operationsOf(o, [AclOperation.ANY]);
  const out: AclFilter[] = [];
  for (const r of res) for (const w of who) for (const host of hosts) for (const operation of operations) out.push({ resourceType: r.type, resourceName: r.name, patternType, principal: w.principal, host, operation, permission: w.permission });
  return out;
}

function wireFilter(f: AclFilter) {
  return { resourceTypeFilter: f.resourceType, resourceNameFilter: f.resourceName, patternTypeFilter: f.patternType, principalFilter: f.principal, hostFilter: f.host, operation: f.operation, permissionType: f.permission };
}

function bindingJson(b: AclBinding): JsonValue {
  return { resourceType: resourceTypeName(b.resourceType), resourceName: b.resourceName, patternType: patternTypeName(b.patternType), principal: b.principal, host: b.host, operation: operationName(b.operation), permission: permissionName(b.permission) };
}

function printBindings(bindings: AclBinding[], o: AclOptions, key: string, empty: string): void {
  const sorted = [...bindings].sort((a, b) => a.resourceType - b.resourceType || a.resourceName.localeCompare(b.resourceName) || a.principal.localeCompare(b.principal) || a.operation - b.operation);
  if (o.json) {
    console.log(toJson({ [key]: sorted.map(bindingJson) }));
    return;
  }
  const rows = sorted.map((b) => [resourceTypeName(b.resourceType), b.resourceName, patternTypeName(b.patternType), b.principal, b.host, operationName(b.operation), permissionName(b.permission)]);
  console.log(rows.length > 0 ? formatTable(['RESOURCE', 'NAME', 'PATTERN', 'PRINCIPAL', 'HOST', 'OPERATION', 'PERMISSION'], rows) : empty);
}

async function create(c: KafkaConnection, o: AclOptions): Promise<void> {
  const bindings = bindingsToCreate(o);
  const res = await c.request<CreateAclsResponse>(30, 3, {
    creations: bindings.map((b) => ({ resourceType: b.resourceType, resourceName: b.resourceName, resourcePatternType: b.patternType, principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permission })),
  });
  const failed = res.results.map((r, i) => ({ r, b: bindings[i] })).filter(({ r }) => r.errorCode !== 0);
  if (failed.length > 0) throw new CliError(failed.map(({ r, b }) => `${resourceTypeName(b.resourceType)}:${b.resourceName} ${b.principal} ${operationName(b.operation)}: ${errorText(r.errorCode, r.errorMessage)}`).join('\n'));
  printBindings(bindings, o, 'created', 'No ACLs created.');
}

async function list(c: KafkaConnection, o: AclOptions): Promise<void> {
  const found = new Map<string, AclBinding>();
  for (const f of filtersOf(o)) {
    const res = await c.request<DescribeAclsResponse>(29, 3, wireFilter(f));
    if (res.errorCode !== 0) throw new CliError(errorText(res.errorCode, res.errorMessage));
    for (const r of res.resources) {
      for (const a of r.acls) {
        const b: AclBinding = { resourceType: r.resourceType, resourceName: r.resourceName, patternType: r.patternType, principal: a.principal, host: a.host, operation: a.operation, permission: a.permissionType };
        found.set(JSON.stringify(b), b);
      }
    }
  }
  printBindings([...found.values()], o, 'acls', 'No ACLs.');
}

async function remove(c: KafkaConnection, o: AclOptions): Promise<void> {
  const res = await c.request<DeleteAclsResponse>(31, 3, { filters: filtersOf(o).map(wireFilter) });
  const failed = res.filterResults.filter((r) => r.errorCode !== 0);
  if (failed.length > 0) throw new CliError(failed.map((r) => errorText(r.errorCode, r.errorMessage)).join('\n'));
  const removed = res.filterResults.flatMap((r) => r.matchingAcls.map((m) => ({ resourceType: m.resourceType, resourceName: m.resourceName, patternType: m.patternType, principal: m.principal, host: m.host, operation: m.operation, permission: m.permissionType })));
  printBindings(removed, o, 'deleted', 'No ACLs matched.');
}

function withAclFlags(cmd: Command, filtering: boolean): Command {
  cmd
    .option('-b, --bootstrap <host:port>', 'broker address', '127.0.0.1:9092')
    .option('--json', 'print JSON instead of a table')
    .option('--allow-principal <principal>', 'principal to allow, e.g. User:alice (repeatable)', collect, [])
    .option('--deny-principal <principal>', 'principal to deny (repeatable)', collect, [])
    .option('--host <host>', filtering ? 'only ACLs for this host (repeatable)' : 'host the ACL applies to: an IP address or * (default; repeatable)', collect, [])
    .option('--operation <operation>', filtering ? 'only ACLs for this operation (repeatable)' : 'Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite or All (default; repeatable)', collect, [])
    .option('--topic <topic>', 'a topic (repeatable)', collect, [])
    .option('--group <group>', 'a consumer group (repeatable)', collect, [])
    .option('--transactional-id <id>', 'a transactional id (repeatable)', collect, [])
    .option('--cluster', 'the cluster (kafka-cluster)')
    .option('--resource-pattern-type <type>', filtering ? 'LITERAL, PREFIXED, MATCH (what applies to the names given) or ANY (default)' : 'LITERAL (default) or PREFIXED');
  if (filtering) cmd.option('--principal <principal>', 'only ACLs of this principal, allowed or denied (repeatable)', collect, []);
  return cmd;
}

export function registerAclCommands(program: Command): void {
  const acl = program
    .command('acl')
    .description("ACLs (kept by the cluster; the broker enforces them when authorizer.class.name is set), with kafka-acls.sh's flags")
    .addHelpText(
      'after',
      '\nExamples:\n  tributary acl create --allow-principal User:alice --operation Write --operation Describe --topic orders\n  tributary acl create --allow-principal User:app --operation Read --group app- --resource-pattern-type PREFIXED\n  tributary acl list --topic orders\n  tributary acl delete --allow-principal User:alice --topic orders',
    );
  withAclFlags(acl.command('create').description('add ACLs: every combination of the principals, hosts, operations and resources given'), false).action((o: AclOptions) =>
    withConnection(o, (c) => create(c, { ...o, principal: [] })),
  );
  withAclFlags(acl.command('list').description('ACLs, all or those matching the flags'), true).action((o: AclOptions) => withConnection(o, (c) => list(c, o)));
  withAclFlags(acl.command('delete').description('remove the ACLs matching the flags (all of them if none is given) and print them'), true).action((o: AclOptions) => withConnection(o, (c) => remove(c, o)));
}
