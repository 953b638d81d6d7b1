/**
 * How ACLs sit in the metadata store (security records of kind 'acl'): one record per ACL entry,
 * keyed by every field of the binding, so that the key alone says which ACL it is:
 *
 *   key:   v1/<resource type>/<pattern type>/<name>/<principal>/<host>/<operation>/<permission>
 *          (codes as numbers, strings percent-encoded so '/' cannot appear in them)
 *   value: {"resourceType":2,"resourceName":"orders","patternType":3,"principal":"User:alice",
 *           "host":"*","operation":4,"permission":3}
 *
 * Why per entry rather than one record per resource (as ZooKeeper-era Kafka kept one znode per
 * resource holding a JSON list): etcd puts are not compare-and-set, so two brokers adding ACLs to
 * one resource at once would each read the list, add theirs and write, and one addition would be
 * lost. With one key per entry, creating an ACL is a blind put of a deterministic key (two brokers
 * creating the same ACL write the same record), deleting one is a delete of its key, and no
 * write depends on a read.
 */
import type { AclBinding } from './acl-types.js';

const PREFIX = 'v1/';

export function aclKey(b: AclBinding): string {
  const enc = encodeURIComponent;
  return `${PREFIX}${b.resourceType}/${b.patternType}/${enc(b.resourceName)}/${enc(b.principal)}/${enc(b.host)}/${b.operation}/${b.permission}`;
}

export function aclValue(b: AclBinding): string {
  const { resourceType, resourceName, patternType, principal, host, operation, permission } = b;
  return JSON.stringify({ resourceType, resourceName, patternType, principal, host, operation, permission });
}

/** The binding a stored record holds; throws when the value is not one (the caller logs and skips it). */
export function parseAclValue(key: string, value: string): AclBinding {
  const v: unknown = JSON.parse(value);
  if (typeof v !== 'object' || v === null) throw new Error(`ACL record ${key} is not an object`);
  const o = v as Record<string, unknown>;
  const num = (f: string): number => {
    if (typeof o[f] !== 'number') throw new Error(`ACL record ${key} has no numeric ${f}`);
    return o[f] as number;
  };
  const str = (f: string): string => {
    if (typeof o[f] !== 'string') throw new Error(`ACL record ${key} has no string ${f}`);
    return o[f] as string;
  };
  const binding: AclBinding = {
    resourceType: num('resourceType'),
    resourceName: str('resourceName'),
    patternType: num('patternType'),
    principal: str('principal'),
    host: str('host'),
    operation: num('operation'),
    permission: num('permission'),
  };
  if (aclKey(binding) !== key) throw new Error(`ACL record ${key} holds another ACL (${aclKey(binding)})`);
  return binding;
}
