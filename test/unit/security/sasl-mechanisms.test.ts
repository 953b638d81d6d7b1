// The SASL mechanisms without sockets: SCRAM-SHA-256 against RFC 7677's worked example, SCRAM-SHA-512
// through the project's own client maths, PLAIN's message rules, and the JAAS reader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScramExchange } from '../../../src/security/sasl/scram.js';
import { PlainExchange } from '../../../src/security/sasl/plain.js';
import { SaslAuthenticationError } from '../../../src/security/sasl/exchange.js';
import { credentialFromPassword, hash, hmac, saltPassword, xor, type ScramCredential, type ScramMechanism } from '../../../src/security/sasl/scram-formulas.js';
import { JaasSyntaxError, parseJaasConfig, plainUsers } from '../../../src/security/sasl/jaas.js';

const RFC_SALT = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');

test('SCRAM-SHA-256 answers RFC 7677\'s example exchange byte for byte', () => {
  const credential = credentialFromPassword('SCRAM-SHA-256', 'pencil', 4096, RFC_SALT);
  const ex = new ScramExchange('SCRAM-SHA-256', (user) => (user === 'user' ? credential : undefined), () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0');
  const first = ex.next(Buffer.from('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'));
  assert.equal(first.done, false);
  assert.equal(first.challenge.toString(), 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
  const final = ex.next(Buffer.from('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='));
  assert.deepEqual(final.done && [final.user, final.challenge.toString()], ['user', 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=']);
});

/** A client's final message for the server's first message, computed from the password. */
function clientFinal(mechanism: ScramMechanism, password: string, clientFirstBare: string, serverFirst: string, nonceOverride?: string): string {
  const attrs = new Map(serverFirst.split(',').map((p) => [p[0], p.slice(2)] as const));
  const salted = saltPassword(mechanism, password, Buffer.from(attrs.get('s') as string, 'base64'), Number(attrs.get('i')));
  const withoutProof = `c=biws,r=${nonceOverride ?? attrs.get('r')}`;
  const clientKey = hmac(mechanism, salted, 'Client Key');
  const proof = xor(clientKey, hmac(mechanism, hash(mechanism, clientKey), `${clientFirstBare},${serverFirst},${withoutProof}`));
  return `${withoutProof},p=${proof.toString('base64')}`;
}

function exchangeFor(mechanism: ScramMechanism, users: Record<string, ScramCredential>): ScramExchange {
  return new ScramExchange(mechanism, (user, m) => (m === mechanism ? users[user] : undefined));
}

test('SCRAM-SHA-512: the right password passes, a wrong one, a wrong nonce or a tampered binding fail', () => {
  const users = { 'we,ird=name': credentialFromPassword('SCRAM-SHA-512', 'secret') };
  const bare = 'n=we=2Cird=3Dname,r=abc123';
  const run = (password: string, tweak: (final: string, serverFirst: string) => string) => {
    const ex = exchangeFor('SCRAM-SHA-512', users);
    const serverFirst = ex.next(Buffer.from(`n,,${bare}`)).challenge.toString();
    return ex.next(Buffer.from(tweak(clientFinal('SCRAM-SHA-512', password, bare, serverFirst), serverFirst)));
  };
  const ok = run('secret', (f) => f);
  assert.equal(ok.done && ok.user, 'we,ird=name');
  assert.throws(() => run('wrong', (f) => f), /invalid credentials with SASL mechanism SCRAM-SHA-512/);
  assert.throws(() => run('secret', (f) => f.replace(/r=[^,]*/, 'r=abc123forged')), /nonce does not match/);
  assert.throws(() => run('secret', (f) => f.replace('c=biws', 'c=eSws')), /channel binding/);
  // librdkafka < 2.6.1 repeats its nonce in front of the server's: accepted, as Kafka 3.8.1-3.9 do.
  const ex = exchangeFor('SCRAM-SHA-512', users);
  const serverFirst = ex.next(Buffer.from(`n,,${bare}`)).challenge.toString();
  const nonce = serverFirst.split(',')[0].slice(2);
  const doubled = ex.next(Buffer.from(clientFinal('SCRAM-SHA-512', 'secret', bare, serverFirst, `abc123${nonce}`)));
  assert.equal(doubled.done, true);
});

test('SCRAM refuses malformed first messages, unknown users, channel binding and a third message', () => {
  const users = { u: credentialFromPassword('SCRAM-SHA-256', 'p') };
  for (const bad of ['', 'garbage', 'n,,r=abc', 'n,,n=u', 'p=tls-unique,,n=u,r=x', 'n,,n=bad=escape,r=x', 'n,a=other,n=u,r=x', 'n,,n=nobody,r=x', 'n,,n=u,r=x,tokenauth=true']) {
    assert.throws(() => exchangeFor('SCRAM-SHA-256', users).next(Buffer.from(bad)), SaslAuthenticationError, bad);
  }
  assert.throws(() => exchangeFor('SCRAM-SHA-256', users).next(Buffer.alloc(5000, 0x61)), /too long/);
  const ex = exchangeFor('SCRAM-SHA-256', users);
  const sf = ex.next(Buffer.from('n,a=u,n=u,r=x')).challenge.toString();
  const attrs = new Map(sf.split(',').map((p) => [p[0], p.slice(2)] as const));
  assert.ok(attrs.get('r')?.startsWith('x') && (attrs.get('r')?.length ?? 0) > 1);
  assert.throws(() => ex.next(Buffer.from('c=biws,r=nothing-here')), /no proof/);
  assert.throws(() => ex.next(Buffer.from('again')), /already complete/);
});

test('PLAIN checks user, password and authorization id', () => {
  const users = new Map([['alice', 'alice-secret']]);
  const step = new PlainExchange(users).next(Buffer.from('\u0000alice\u0000alice-secret'));
  assert.deepEqual(step.done && [step.user, step.challenge.length], ['alice', 0]);
  assert.equal(new PlainExchange(users).next(Buffer.from('alice\u0000alice\u0000alice-secret')).done, true);
  for (const [token, why] of [
    ['\u0000alice\u0000wrong', /Invalid username or password/],
    ['\u0000bob\u0000alice-secret', /Invalid username or password/],
    ['\u0000\u0000x', /username not specified/],
    ['\u0000alice\u0000', /password not specified/],
    ['alice-secret', /3 tokens/],
    ['admin\u0000alice\u0000alice-secret', /authorization id/],
  ] as const) {
    assert.throws(() => new PlainExchange(users).next(Buffer.from(token)), why, JSON.stringify(token));
  }
  const once = new PlainExchange(users);
  once.next(Buffer.from('\u0000alice\u0000alice-secret'));
  assert.throws(() => once.next(Buffer.from('\u0000alice\u0000alice-secret')), /one message/);
});

test('the JAAS reader takes Kafka\'s broker entries and says what is wrong with others', () => {
  const entry = parseJaasConfig('org.apache.kafka.common.security.plain.PlainLoginModule required\n  username="admin"\n  password="admin-secret"\n  user_admin="admin-secret"\n  user_alice="a;b=\\"c\\""  user_bare=plain;');
  assert.equal(entry.loginModule, 'org.apache.kafka.common.security.plain.PlainLoginModule');
  assert.equal(entry.flag, 'required');
  assert.deepEqual([...plainUsers(entry)], [['admin', 'admin-secret'], ['alice', 'a;b="c"'], ['bare', 'plain']]);
  for (const bad of ['', 'Module', 'Module required user_a="x"', 'Module maybe;', 'Module required user_a=;', 'Module required user_a="unterminated;', 'Module required = "x";']) {
    assert.throws(() => parseJaasConfig(bad), JaasSyntaxError, bad);
  }
});
