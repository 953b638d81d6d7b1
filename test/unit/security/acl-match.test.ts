// The ACL rules as Kafka's StandardAuthorizer / AclAuthorizer tests state them: literal, wildcard
// and prefixed patterns, DENY over ALLOW, implied DESCRIBE / DESCRIBE_CONFIGS (for ALLOW only),
// ALL, principal and host wildcards, the no-ACL rule, authorizeByResourceType, filters, validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, decideByResourceType, filterMatches, invalidFilter, invalidNewAcl, parseSuperUsers } from '../../../src/security/acl/acl-match.js';
import { AclIndex } from '../../../src/security/acl/acl-index.js';
import { aclKey, aclValue, parseAclValue } from '../../../src/security/acl/acl-records.js';
import { AclOperation as Op, AclPermission, PatternType, ResourceType, type AclBinding, type AclFilter } from '../../../src/security/acl/acl-types.js';

const ALICE = 'User:alice';
const BOB = 'User:bob';
const HOST = '192.168.1.5';

function acl(over: Partial<AclBinding> = {}): AclBinding {
  return { resourceType: ResourceType.TOPIC, resourceName: 'orders', patternType: PatternType.LITERAL, principal: ALICE, host: '*', operation: Op.READ, permission: AclPermission.ALLOW, ...over };
}

function allowed(acls: AclBinding[], op: number, name = 'orders', principal = ALICE, host = HOST, allowIfNoAcl = false, resourceType: number = ResourceType.TOPIC): boolean {
  const index = new AclIndex();
  for (const a of acls) index.put(a);
  return decide(index.covering(resourceType, name), { principal, host, operation: op, resourceType, resourceName: name }, allowIfNoAcl).allowed;
}

test('no ACL on the resource: allow.everyone.if.no.acl.found decides; an ACL for someone else means no', () => {
  assert.equal(allowed([], Op.READ), false);
  assert.equal(allowed([], Op.READ, 'orders', ALICE, HOST, true), true);
  // An ACL on the resource for another principal: the resource has ACLs, so the no-ACL rule no longer applies.
  assert.equal(allowed([acl({ principal: BOB })], Op.READ, 'orders', ALICE, HOST, true), false);
  // ACLs on other resources do not count.
  assert.equal(allowed([acl({ resourceName: 'payments' })], Op.READ, 'orders', ALICE, HOST, true), true);
  assert.equal(allowed([acl({ resourceType: ResourceType.GROUP })], Op.READ, 'orders', ALICE, HOST, true), true);
});

test('a literal ALLOW grants its operation on its name only', () => {
  const acls = [acl()];
  assert.equal(allowed(acls, Op.READ), true);
  assert.equal(allowed(acls, Op.WRITE), false);
  assert.equal(allowed(acls, Op.READ, 'orders2'), false);
  assert.equal(allowed(acls, Op.READ, 'order'), false);
  assert.equal(allowed(acls, Op.READ, 'orders', BOB), false);
});

test('the * literal name, User:* principal and * host match every one; a named host only itself', () => {
  assert.equal(allowed([acl({ resourceName: '*' })], Op.READ, 'anything'), true);
  assert.equal(allowed([acl({ principal: 'User:*' })], Op.READ, 'orders', BOB), true);
  assert.equal(allowed([acl({ host: HOST })], Op.READ), true);
  assert.equal(allowed([acl({ host: '10.0.0.1' })], Op.READ), false);
  // A topic literally named * is only matched by the wildcard ACL, like any other.
  assert.equal(allowed([acl({ resourceName: 'orders' })], Op.READ, '*'), false);
});

test('a PREFIXED ACL covers names that start with it, not shorter ones or others', () => {
  const acls = [acl({ resourceName: 'ord', patternType: PatternType.PREFIXED })];
  assert.equal(allowed(acls, Op.READ, 'orders'), true);
  assert.equal(allowed(acls, Op.READ, 'ord'), true);
  assert.equal(allowed(acls, Op.READ, 'or'), false);
  assert.equal(allowed(acls, Op.READ, 'xorders'), false);
  // A literal ACL whose name is a prefix of the resource does not cover it.
  assert.equal(allowed([acl({ resourceName: 'ord' })], Op.READ, 'orders'), false);
});

test('DENY wins over ALLOW, whatever pattern each has', () => {
  assert.equal(allowed([acl(), acl({ permission: AclPermission.DENY })], Op.READ), false);
  assert.equal(allowed([acl(), acl({ permission: AclPermission.DENY, resourceName: '*' })], Op.READ), false);
  assert.equal(allowed([acl(), acl({ permission: AclPermission.DENY, resourceName: 'o', patternType: PatternType.PREFIXED })], Op.READ), false);
  assert.equal(allowed([acl({ principal: 'User:*' }), acl({ permission: AclPermission.DENY })], Op.READ), false);
  assert.equal(allowed([acl(), acl({ permission: AclPermission.DENY, principal: 'User:*' })], Op.READ), false);
  assert.equal(allowed([acl(), acl({ permission: AclPermission.DENY, host: HOST })], Op.READ), false);
  // A DENY from another host or for another principal does not apply.
  assert.equal(allowed([acl(), acl({ permission: AclPermission.DENY, host: '10.0.0.1' })], Op.READ), true);
  assert.equal(allowed([acl(), acl({ permission: AclPermission.DENY, principal: BOB })], Op.READ), true);
  // A DENY of another operation does not apply.
  assert.equal(allowed([acl(), acl({ permission: AclPermission.DENY, operation: Op.WRITE })], Op.READ), true);
});

test('ALLOW of READ, WRITE, DELETE or ALTER implies DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS; nothing else is implied', () => {
  for (const op of [Op.READ, Op.WRITE, Op.DELETE, Op.ALTER, Op.DESCRIBE]) assert.equal(allowed([acl({ operation: op })], Op.DESCRIBE), true, `ALLOW ${op} implies DESCRIBE`);
  for (const op of [Op.CREATE, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS, Op.CLUSTER_ACTION, Op.IDEMPOTENT_WRITE]) assert.equal(allowed([acl({ operation: op })], Op.DESCRIBE), false, `ALLOW ${op} does not imply DESCRIBE`);
  assert.equal(allowed([acl({ operation: Op.ALTER_CONFIGS })], Op.DESCRIBE_CONFIGS), true);
  assert.equal(allowed([acl({ operation: Op.ALTER })], Op.DESCRIBE_CONFIGS), false);
  assert.equal(allowed([acl({ operation: Op.DESCRIBE })], Op.READ), false);
  assert.equal(allowed([acl({ operation: Op.WRITE })], Op.READ), false);
});

test('a DENY implies nothing: DENY READ leaves DESCRIBE (granted by ALLOW READ) allowed', () => {
  const acls = [acl({ operation: Op.WRITE }), acl({ operation: Op.READ, permission: AclPermission.DENY })];
  assert.equal(allowed(acls, Op.DESCRIBE), true);
  assert.equal(allowed(acls, Op.READ), false);
  assert.equal(allowed([acl({ operation: Op.READ }), acl({ operation: Op.DESCRIBE, permission: AclPermission.DENY })], Op.READ), true);
  assert.equal(allowed([acl({ operation: Op.READ }), acl({ operation: Op.DESCRIBE, permission: AclPermission.DENY })], Op.DESCRIBE), false);
});

test('ALL matches every operation, for ALLOW and for DENY', () => {
  for (const op of [Op.READ, Op.WRITE, Op.CREATE, Op.DELETE, Op.ALTER, Op.DESCRIBE, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS]) {
    assert.equal(allowed([acl({ operation: Op.ALL })], op), true);
    assert.equal(allowed([acl({ operation: Op.ALL }), acl({ operation: Op.ALL, permission: AclPermission.DENY })], op), false);
  }
  assert.equal(allowed([acl({ operation: Op.ALL }), acl({ operation: Op.WRITE, permission: AclPermission.DENY })], Op.WRITE), false);
  assert.equal(allowed([acl({ operation: Op.ALL }), acl({ operation: Op.WRITE, permission: AclPermission.DENY })], Op.READ), true);
});

test('CLUSTER and GROUP resources match by their own type', () => {
  const cluster = acl({ resourceType: ResourceType.CLUSTER, resourceName: 'kafka-cluster', operation: Op.CLUSTER_ACTION });
  assert.equal(allowed([cluster], Op.CLUSTER_ACTION, 'kafka-cluster', ALICE, HOST, false, ResourceType.CLUSTER), true);
  assert.equal(allowed([cluster], Op.CLUSTER_ACTION, 'kafka-cluster', ALICE, HOST, false, ResourceType.TOPIC), false);
  const group = acl({ resourceType: ResourceType.GROUP, resourceName: 'app-', patternType: PatternType.PREFIXED });
  assert.equal(allowed([group], Op.READ, 'app-1', ALICE, HOST, false, ResourceType.GROUP), true);
  assert.equal(allowed([group], Op.READ, 'app-1', ALICE, HOST, false, ResourceType.TOPIC), false);
});

test('authorizeByResourceType: an ALLOW somewhere that no DENY dominates (Kafka\'s KIP-679 rule for idempotent producers)', () => {
  const by = (acls: AclBinding[], allowIfNoAcl = false) => decideByResourceType(acls, { principal: ALICE, host: HOST, operation: Op.WRITE, resourceType: ResourceType.TOPIC }, allowIfNoAcl);
  assert.equal(by([]), false);
  assert.equal(by([], true), true);
  assert.equal(by([acl({ operation: Op.WRITE })]), true);
  assert.equal(by([acl({ operation: Op.ALL })]), true);
  assert.equal(by([acl({ operation: Op.READ })]), false);
  assert.equal(by([acl({ operation: Op.WRITE, principal: BOB })]), false);
  assert.equal(by([acl({ operation: Op.WRITE }), acl({ operation: Op.WRITE, permission: AclPermission.DENY })]), false);
  assert.equal(by([acl({ operation: Op.WRITE, resourceName: 'orders' }), acl({ operation: Op.WRITE, permission: AclPermission.DENY, resourceName: 'ord', patternType: PatternType.PREFIXED })]), false);
  assert.equal(by([acl({ operation: Op.WRITE }), acl({ operation: Op.WRITE, permission: AclPermission.DENY, resourceName: 'other' })]), true);
  assert.equal(by([acl({ operation: Op.WRITE }), acl({ operation: Op.WRITE, permission: AclPermission.DENY, resourceName: '*' })]), false);
  assert.equal(by([acl({ operation: Op.WRITE, resourceName: '*' })]), true);
  assert.equal(by([acl({ operation: Op.WRITE, host: '10.0.0.1' })]), false);
});

test('CreateAcls validation: Kafka\'s INVALID_REQUEST reasons', () => {
  assert.equal(invalidNewAcl(acl()), null);
  assert.equal(invalidNewAcl(acl({ resourceType: ResourceType.CLUSTER, resourceName: 'kafka-cluster' })), null);
  assert.match(invalidNewAcl(acl({ resourceType: ResourceType.ANY })) ?? '', /resourceType/);
  assert.match(invalidNewAcl(acl({ resourceType: 0 })) ?? '', /resourceType/);
  assert.match(invalidNewAcl(acl({ resourceType: 99 })) ?? '', /resourceType/);
  assert.match(invalidNewAcl(acl({ patternType: PatternType.MATCH })) ?? '', /patternType/);
  assert.match(invalidNewAcl(acl({ patternType: PatternType.ANY })) ?? '', /patternType/);
  assert.match(invalidNewAcl(acl({ operation: Op.ANY })) ?? '', /operation/);
  assert.match(invalidNewAcl(acl({ operation: -3 })) ?? '', /operation/);
  assert.match(invalidNewAcl(acl({ permission: AclPermission.ANY })) ?? '', /permissionType/);
  assert.match(invalidNewAcl(acl({ resourceName: '' })) ?? '', /empty resource name/);
  assert.match(invalidNewAcl(acl({ resourceType: ResourceType.CLUSTER, resourceName: 'other' })) ?? '', /kafka-cluster/);
  assert.match(invalidNewAcl(acl({ principal: 'alice' })) ?? '', /principal/);
  assert.match(invalidNewAcl(acl({ principal: 'User:' })) ?? '', /principal/);
});

test('filters: ANY and null match all; MATCH covers what would apply to a name; UNKNOWN is refused', () => {
  const any: AclFilter = { resourceType: ResourceType.ANY, resourceName: null, patternType: PatternType.ANY, principal: null, host: null, operation: Op.ANY, permission: AclPermission.ANY };
  const literal = acl();
  const prefixed = acl({ resourceName: 'ord', patternType: PatternType.PREFIXED });
  const wildcard = acl({ resourceName: '*' });
  const other = acl({ resourceName: 'payments' });
  assert.equal(invalidFilter(any), null);
  assert.ok([literal, prefixed, wildcard, other].every((b) => filterMatches(any, b)));
  const match = { ...any, resourceName: 'orders', patternType: PatternType.MATCH };
  assert.deepEqual([literal, prefixed, wildcard, other].map((b) => filterMatches(match, b)), [true, true, true, false]);
  const exactAny = { ...any, resourceName: 'orders' };
  assert.deepEqual([literal, prefixed, wildcard, other].map((b) => filterMatches(exactAny, b)), [true, false, false, false]);
  const onlyPrefixed = { ...any, patternType: PatternType.PREFIXED };
  assert.deepEqual([literal, prefixed, wildcard, other].map((b) => filterMatches(onlyPrefixed, b)), [false, true, false, false]);
  assert.equal(filterMatches({ ...any, principal: BOB }, literal), false);
  assert.equal(filterMatches({ ...any, host: '*' }, literal), true);
  assert.equal(filterMatches({ ...any, operation: Op.WRITE }, literal), false);
  assert.equal(filterMatches({ ...any, permission: AclPermission.DENY }, literal), false);
  assert.equal(filterMatches({ ...any, resourceType: ResourceType.GROUP }, literal), false);
  for (const bad of [{ resourceType: 0 }, { patternType: 0 }, { operation: 0 }, { permission: 0 }, { operation: 77 }]) assert.notEqual(invalidFilter({ ...any, ...bad }), null);
});

test('stored records: the key names the whole ACL, the value round-trips, a mismatched value is refused', () => {
  const b = acl({ resourceName: 'a/b c%', principal: 'User:x/y', host: '::1' });
  assert.deepEqual(parseAclValue(aclKey(b), aclValue(b)), b);
  assert.notEqual(aclKey(b), aclKey({ ...b, permission: AclPermission.DENY }));
  assert.equal(aclKey(b).split('/').length, 8);
  assert.throws(() => parseAclValue(aclKey(b), aclValue({ ...b, host: '*' })), /another ACL/);
  assert.throws(() => parseAclValue('k', '[1]'), /resourceType/);
});

test('the index finds exact, wildcard and prefixed ACLs, and forgets removed ones', () => {
  const index = new AclIndex();
  const items = [acl(), acl({ resourceName: '*' }), acl({ resourceName: 'or', patternType: PatternType.PREFIXED }), acl({ resourceName: 'pay', patternType: PatternType.PREFIXED }), acl({ resourceName: 'payments' })];
  for (const b of items) index.put(b);
  index.put(items[0]);
  assert.equal(index.size, 5);
  assert.deepEqual(new Set(index.covering(ResourceType.TOPIC, 'orders')), new Set([items[0], items[1], items[2]]));
  assert.deepEqual([...index.covering(ResourceType.GROUP, 'orders')], []);
  index.remove(aclKey(items[2]));
  index.remove('nope');
  assert.deepEqual(new Set(index.covering(ResourceType.TOPIC, 'orders')), new Set([items[0], items[1]]));
  assert.equal(index.ofType(ResourceType.TOPIC).length, 4);
});

test('super.users: semicolon-separated principals', () => {
  assert.deepEqual([...parseSuperUsers('User:admin; User:broker;;')], ['User:admin', 'User:broker']);
  assert.deepEqual([...parseSuperUsers(null)], []);
});
