// Basic credentials checked against what the broker stores: a PLAIN user's password, and a SCRAM
// credential (salt, iterations, StoredKey, ServerKey) that holds no password, for both mechanisms;
// a credential that changes stops accepting the old password even after a remembered success.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PasswordCheck } from '../../../src/security/sasl/password-check.js';
import { credentialFromPassword, type ScramCredential, type ScramMechanism } from '../../../src/security/sasl/scram-formulas.js';
import { basicCredentials } from '../../../src/http/basic-auth.js';

test('PLAIN users and SCRAM-SHA-256/512 credentials verify their passwords, and only those', async () => {
  const stored = new Map<string, ScramCredential>([
    ['carol/SCRAM-SHA-256', credentialFromPassword('SCRAM-SHA-256', 'carol-secret')],
    ['dave/SCRAM-SHA-512', credentialFromPassword('SCRAM-SHA-512', 'dave-secret', 8192)],
  ]);
  const check = new PasswordCheck(new Map([['alice', 'alice-secret']]), (user: string, m: ScramMechanism) => stored.get(`${user}/${m}`));
  assert.equal(await check.verify('alice', 'alice-secret'), true);
  assert.equal(await check.verify('alice', 'alice-secret '), false);
  assert.equal(await check.verify('carol', 'carol-secret'), true);
  assert.equal(await check.verify('carol', 'carol-secret'), true, 'remembered');
  assert.equal(await check.verify('carol', 'dave-secret'), false);
  assert.equal(await check.verify('dave', 'dave-secret'), true);
  assert.equal(await check.verify('nobody', 'x'), false);
  assert.equal(await check.verify('alice', ''), false);
  // A new password: the remembered success belongs to the old credential.
  stored.set('carol/SCRAM-SHA-256', credentialFromPassword('SCRAM-SHA-256', 'carol-new'));
  assert.equal(await check.verify('carol', 'carol-secret'), false);
  assert.equal(await check.verify('carol', 'carol-new'), true);
  stored.delete('carol/SCRAM-SHA-256');
  assert.equal(await check.verify('carol', 'carol-new'), false, 'a deleted user');
});

test('Basic credentials: user up to the first colon, UTF-8; anything else is none', () => {
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  assert.deepEqual(basicCredentials(`Basic ${b64('alice:pa:ss wörd')}`), { user: 'alice', password: 'pa:ss wörd' });
  assert.deepEqual(basicCredentials(`basic  ${b64('bob:')}`), { user: 'bob', password: '' });
  for (const bad of [undefined, '', 'Basic', `Bearer ${b64('a:b')}`, `Basic ${b64('no-colon')}`, 'Basic !!!', `Basic ${'A'.repeat(5000)}`]) assert.equal(basicCredentials(bad), null, String(bad));
});
