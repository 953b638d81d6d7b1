// ssl.principal.mapping.rules against the examples of Kafka's documentation and its SslPrincipalMapper tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NoMatchingRuleError, PrincipalMapper } from '../../../src/security/tls/principal-mapping.js';
import { ConfigError } from '../../../src/config/config-def.js';

test("the rules of Kafka's documentation", () => {
  const mapper = new PrincipalMapper('RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/,\nRULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L,\nRULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/L,\nDEFAULT');
  assert.equal(mapper.name('CN=serviceuser,OU=ServiceUsers,O=Unknown,L=Unknown,ST=Unknown,C=Unknown'), 'serviceuser');
  assert.equal(mapper.name('CN=adminUser,OU=Admin,O=Unknown,L=Unknown,ST=Unknown,C=Unknown'), 'adminuser@admin');
  assert.equal(mapper.name('OU=Other,CN=Bob.Smith,O=x'), 'bob.smith');
  assert.equal(mapper.name('O=nothing'), 'O=nothing');
});

test('DEFAULT is the subject itself', () => {
  assert.equal(new PrincipalMapper('DEFAULT').name('CN=alice,OU=Eng,O=Acme,C=DE'), 'CN=alice,OU=Eng,O=Acme,C=DE');
});

test('upper-casing, and rules tried in order', () => {
  const mapper = new PrincipalMapper('RULE:^CN=(.*?),OU=(.*?)$/$1@$2/U, RULE:^CN=(.*)$/$1/');
  assert.equal(mapper.name('CN=duke,OU=JavaSoft'), 'DUKE@JAVASOFT');
  assert.equal(mapper.name('CN=duke'), 'duke');
});

test('a comma escaped in the subject and matched by the pattern', () => {
  const mapper = new PrincipalMapper('RULE:^CN=((\\\\, *|\\w)+)(,.*|$)/$1/,DEFAULT');
  assert.equal(mapper.name('CN=Tkac\\, Adam,OU=ITZ,DC=geodis,DC=cz'), 'Tkac\\, Adam');
});

test('an escaped slash in the pattern and the replacement', () => {
  const mapper = new PrincipalMapper('RULE:^CN=(.*?)\\/(.*)$/$1\\/$2/');
  assert.equal(mapper.name('CN=a/b'), 'a/b');
});

test('no rule applies: the connection fails authentication', () => {
  const mapper = new PrincipalMapper('RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/');
  assert.throws(() => mapper.name('CN=alice,OU=Eng'), (err: unknown) => err instanceof NoMatchingRuleError && /No rules apply to CN=alice,OU=Eng/.test(err.message));
});

test('invalid rules are ConfigErrors', () => {
  for (const rules of ['', 'DEFAULT/L', 'RULE:/', 'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1', 'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L/U', 'DEFAULT,', 'KERBEROS', 'RULE:((/$1/']) {
    assert.throws(() => new PrincipalMapper(rules), ConfigError, rules);
  }
});
