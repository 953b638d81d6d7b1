// The SASL gate's states over real connections (the project's client): session lifetime and
// re-authentication (KIP-368) on a manual clock, failed authentication, unsupported mechanisms,
// requests out of order, and SASL requests on a listener without SASL.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { authenticate } from '../../src/client/sasl-client.js';
import { ManualScheduler } from '../../src/partition/clock.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { MetadataResponse, SaslAuthenticateResponse, SaslHandshakeResponse } from '../../src/protocol/generated/index.js';

const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret" user_bob="bob-secret";';
const ALICE = { mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' };
const LIFETIME_MS = 60_000;

let clock: ManualScheduler;
let sasl: RunningBroker;
let plaintext: RunningBroker;

const metadata = (c: KafkaConnection) => c.request<MetadataResponse>(3, 12, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }, 10_000);

before(async () => {
  clock = new ManualScheduler(Date.now());
  sasl = await startBroker({
    port: 0,
    scheduler: clock,
    config: { listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'sasl.jaas.config': JAAS, 'connections.max.reauth.ms': String(LIFETIME_MS), 'connection.failed.authentication.delay.ms': '0' },
  });
  plaintext = await startBroker({ port: 0 });
});

after(async () => {
  await sasl?.stop();
  await plaintext?.stop();
});

test('SaslAuthenticate v1 gives the session lifetime; the session ends then unless the client re-authenticates', async () => {
  const c = await KafkaConnection.open(sasl.bootstrap);
  const hs = await c.request<SaslHandshakeResponse>(17, 1, { mechanism: 'PLAIN' });
  assert.deepEqual([hs.errorCode, hs.mechanisms], [0, ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']]);
  const auth = await c.request<SaslAuthenticateResponse>(36, 1, { authBytes: Buffer.from('\u0000alice\u0000alice-secret') });
  assert.deepEqual([auth.errorCode, auth.sessionLifetimeMs], [0, BigInt(LIFETIME_MS)]);
  clock.advance(LIFETIME_MS - 1);
  assert.equal((await metadata(c)).brokers.length, 1);
  clock.advance(1);
  await assert.rejects(metadata(c), /closed/);
  assert.equal(c.isClosed, true);
});

test('re-authenticating as the same principal extends the session; as another one closes the connection', async () => {
  const c = await KafkaConnection.open(sasl.bootstrap, 10_000, 'reauth', ALICE);
  clock.advance(LIFETIME_MS - 10_000);
  await authenticate(c, ALICE);
  clock.advance(30_000);
  assert.equal((await metadata(c)).brokers.length, 1, 'past the first session end, within the second');
  await assert.rejects(authenticate(c, { mechanism: 'PLAIN', username: 'bob', password: 'bob-secret' }), /Cannot change principals/);
  await assert.rejects(metadata(c), /closed/);
});

test('a failed authentication is answered with the reason, then the connection closes', async () => {
  const c = await KafkaConnection.open(sasl.bootstrap);
  await c.request<SaslHandshakeResponse>(17, 1, { mechanism: 'PLAIN' });
  const auth = await c.request<SaslAuthenticateResponse>(36, 2, { authBytes: Buffer.from('\u0000alice\u0000guess') });
  assert.deepEqual([auth.errorCode, auth.errorMessage], [ErrorCode.SASL_AUTHENTICATION_FAILED, 'Authentication failed: Invalid username or password']);
  await assert.rejects(metadata(c), /closed/);
});

test('an unsupported mechanism is answered with the enabled ones, then the connection closes', async () => {
  const c = await KafkaConnection.open(sasl.bootstrap);
  const hs = await c.request<SaslHandshakeResponse>(17, 1, { mechanism: 'GSSAPI' });
  assert.deepEqual([hs.errorCode, hs.mechanisms], [ErrorCode.UNSUPPORTED_SASL_MECHANISM, ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']]);
  await assert.rejects(metadata(c), /closed/);
});

test('SaslAuthenticate before a handshake, or a second handshake, is ILLEGAL_SASL_STATE and closes', async () => {
  const early = await KafkaConnection.open(sasl.bootstrap);
  const auth = await early.request<SaslAuthenticateResponse>(36, 1, { authBytes: Buffer.from('x') });
  assert.equal(auth.errorCode, ErrorCode.ILLEGAL_SASL_STATE);
  await assert.rejects(metadata(early), /closed/);
  const twice = await KafkaConnection.open(sasl.bootstrap);
  await twice.request<SaslHandshakeResponse>(17, 1, { mechanism: 'PLAIN' });
  const again = await twice.request<SaslHandshakeResponse>(17, 1, { mechanism: 'PLAIN' });
  assert.equal(again.errorCode, ErrorCode.ILLEGAL_SASL_STATE);
  await assert.rejects(metadata(twice), /closed/);
});

test('on a listener without SASL the SASL requests answer ILLEGAL_SASL_STATE and the connection stays', async () => {
  const c = await KafkaConnection.open(plaintext.bootstrap);
  try {
    assert.equal((await c.request<SaslHandshakeResponse>(17, 1, { mechanism: 'PLAIN' })).errorCode, ErrorCode.ILLEGAL_SASL_STATE);
    assert.equal((await c.request<SaslAuthenticateResponse>(36, 2, { authBytes: Buffer.alloc(0) })).errorCode, ErrorCode.ILLEGAL_SASL_STATE);
    assert.equal((await metadata(c)).brokers.length, 1);
  } finally {
    c.close();
  }
});

test('after authentication a SaslAuthenticate without a handshake is ILLEGAL_SASL_STATE (the handler\'s answer)', async () => {
  const c = await KafkaConnection.open(sasl.bootstrap, 10_000, 'after', ALICE);
  try {
    assert.equal((await c.request<SaslAuthenticateResponse>(36, 1, { authBytes: Buffer.alloc(0) })).errorCode, ErrorCode.ILLEGAL_SASL_STATE);
    assert.equal((await metadata(c)).brokers.length, 1);
  } finally {
    c.close();
  }
});

test('a SASL listener with a mechanism Tributary lacks does not start', async () => {
  await assert.rejects(startBroker({ port: 0, config: { listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'sasl.enabled.mechanisms': 'GSSAPI' } }), /GSSAPI/);
  await assert.rejects(startBroker({ port: 0, config: { listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'sasl.jaas.config': 'Broken required user_a="x"' } }), /PlainLoginModule|semicolon/);
});
