// The authorizer over a single node's metadata store: writes beyond one store call (100 records)
// are chunked, a second authorizer on the same store (another broker's view) follows by the watch,
// super users pass whatever the ACLs say, deletions report what each filter removed, and every
// refusal is one audit line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { SingleNodeMetadataStore } from '../../../src/metadata/single-node-store.js';
import { AclAuthorizer } from '../../../src/security/acl/authorizer.js';
import { AclOperation as Op, AclPermission, PatternType, ResourceType, type AclBinding } from '../../../src/security/acl/acl-types.js';

const who = (principal: string) => ({ principal, host: '10.0.0.1', api: 'Produce' });
const acl = (over: Partial<AclBinding> = {}): AclBinding => ({ resourceType: ResourceType.TOPIC, resourceName: 't', patternType: PatternType.LITERAL, principal: 'User:a', host: '*', operation: Op.WRITE, permission: AclPermission.ALLOW, ...over });
const ANY_FILTER = { resourceType: ResourceType.ANY, resourceName: null, patternType: PatternType.ANY, principal: null, host: null, operation: Op.ANY, permission: AclPermission.ANY };

test('create in chunks, follow from a second authorizer, delete by filter, super users, audit lines', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-acl-unit-'));
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    }),
  );
  const store = await SingleNodeMetadataStore.open(dir, 1);
  try {
    const settings = { superUsers: new Set(['User:root']), allowEveryoneIfNoAclFound: false };
    const one = await AclAuthorizer.open(store, settings, log);
    const two = await AclAuthorizer.open(store, settings, log);
    const many = Array.from({ length: 250 }, (_, i) => acl({ resourceName: `t-${i}` }));
    const results = await one.createAcls([...many, many[0]]);
    assert.equal(results.length, 251);
    assert.ok(results.every((r) => r === null));
    assert.equal(one.aclCount, 250);
    assert.equal(two.aclCount, 250, 'the other authorizer heard every write');
    assert.equal((await store.securityRecords('acl')).size, 250);
    assert.equal(two.authorize(who('User:a'), Op.WRITE, ResourceType.TOPIC, 't-249'), true);
    assert.equal(two.authorize(who('User:a'), Op.DESCRIBE, ResourceType.TOPIC, 't-7'), true);
    assert.equal(two.authorize(who('User:b'), Op.WRITE, ResourceType.TOPIC, 't-7'), false);
    assert.equal(two.authorize(who('User:root'), Op.DELETE, ResourceType.CLUSTER, 'kafka-cluster'), true);

    // A DENY for everyone does not bind a super user.
    await one.createAcls([acl({ resourceName: 't-1', principal: 'User:*', operation: Op.ALL, permission: AclPermission.DENY })]);
    assert.equal(two.authorize(who('User:a'), Op.WRITE, ResourceType.TOPIC, 't-1'), false);
    assert.equal(two.authorize(who('User:root'), Op.WRITE, ResourceType.TOPIC, 't-1'), true);
    const audited = lines.filter((l) => l.audit === 'denied');
    assert.deepEqual(
      audited.map((l) => [l.principal, l.host, l.operation, l.resourceType, l.resourceName, l.api]),
      [
        ['User:b', '10.0.0.1', 'WRITE', 'TOPIC', 't-7', 'Produce'],
        ['User:a', '10.0.0.1', 'WRITE', 'TOPIC', 't-1', 'Produce'],
      ],
    );
    assert.equal(two.authorize(who('User:b'), Op.READ, ResourceType.TOPIC, 'quiet', false), false);
    assert.equal(lines.filter((l) => l.audit === 'denied').length, 2, 'a check with audit off logs nothing');

    // Two filters selecting overlapping ACLs: the first reports them, the second what is left.
    const deleted = await two.deleteAcls([{ ...ANY_FILTER, permission: AclPermission.DENY }, ANY_FILTER]);
    assert.deepEqual(deleted.map((d) => [d.error, d.deleted.length]), [
      [null, 1],
      [null, 250],
    ]);
    assert.equal(one.aclCount, 0);
    assert.equal((await store.securityRecords('acl')).size, 0);
    assert.deepEqual(one.acls(ANY_FILTER), []);
    await one.close();
    await two.close();
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
