// SASL/OAUTHBEARER with signed JWTs: the test is its own identity provider (jose makes an RS256 key,
// a JWKS served from a file and over HTTP, and tokens). kafkajs and @platformatic/kafka authenticate
// with good tokens and are refused, with the reason, for expired ones, the wrong audience or issuer,
// a foreign signature, and librdkafka's unsecured (alg none) tokens. A rotated JWKS file is read again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey as JoseKey, type JWK } from 'jose';
import { Kafka, logLevel } from 'kafkajs';
import { Producer as PlatformaticProducer, stringSerializers } from '@platformatic/kafka';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { kcat } from '../helpers/kcat.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import type { SaslAuthenticateResponse, SaslHandshakeResponse } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';

/**
 * The RFC 7628 exchange by hand: the token, then (after an error challenge) the lone separator.
 * Answers the error challenge's JSON and the final error message, or null for both on success.
 */
async function exchange(broker: RunningBroker, jwt: string): Promise<{ challenge: string | null; message: string | null }> {
  const c = await KafkaConnection.open(broker.bootstrap);
  try {
    const hs = await c.request<SaslHandshakeResponse>(17, 1, { mechanism: 'OAUTHBEARER' });
    assert.equal(hs.errorCode, 0);
    const first = await c.request<SaslAuthenticateResponse>(36, 1, { authBytes: Buffer.from(`n,,\u0001auth=Bearer ${jwt}\u0001\u0001`) });
    assert.equal(first.errorCode, 0);
    if (first.authBytes.length === 0) return { challenge: null, message: null };
    const second = await c.request<SaslAuthenticateResponse>(36, 1, { authBytes: Buffer.from('\u0001') });
    assert.equal(second.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
    return { challenge: first.authBytes.toString(), message: second.errorMessage };
  } finally {
    c.close();
  }
}

const ISSUER = 'https://idp.example';
const AUDIENCE = 'tributary';

let dir: string;
let jwksPath: string;
let http: Server;
let fileBroker: RunningBroker;
let httpBroker: RunningBroker;
let key: JoseKey;
let publicJwk: JWK;

async function keyPair(kid: string): Promise<{ privateKey: JoseKey; jwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

function token(claims: { sub?: string; aud?: string; iss?: string; expiresIn?: string | number }, signWith: JoseKey = key, kid = 'k1'): Promise<string> {
  const jwt = new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid }).setIssuedAt().setSubject(claims.sub ?? 'svc-orders').setIssuer(claims.iss ?? ISSUER).setAudience(claims.aud ?? AUDIENCE);
  jwt.setExpirationTime(claims.expiresIn ?? '10m');
  return jwt.sign(signWith);
}

function oauthConfig(jwksUrl: string): Record<string, string> {
  return {
    listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
    'sasl.enabled.mechanisms': 'OAUTHBEARER',
    'sasl.oauthbearer.jwks.endpoint.url': jwksUrl,
    'sasl.oauthbearer.expected.audience': AUDIENCE,
    'sasl.oauthbearer.expected.issuer': ISSUER,
    'sasl.oauthbearer.clock.skew.seconds': '0',
    'connection.failed.authentication.delay.ms': '0',
  };
}

function kafkajsWith(broker: RunningBroker, jwt: string): Kafka {
  return new Kafka({ clientId: 'oauth', brokers: [broker.bootstrap], sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: jwt }) }, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tributary-oauth-'));
  ({ privateKey: key, jwk: publicJwk } = await keyPair('k1'));
  jwksPath = join(dir, 'jwks.json');
  await writeFile(jwksPath, JSON.stringify({ keys: [publicJwk] }));
  http = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [publicJwk] }));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const address = http.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  fileBroker = await startBroker({ port: 0, config: oauthConfig(pathToFileURL(jwksPath).href) });
  httpBroker = await startBroker({ port: 0, config: oauthConfig(`http://127.0.0.1:${port}/jwks`) });
});

after(async () => {
  await fileBroker?.stop();
  await httpBroker?.stop();
  await new Promise((resolve) => http?.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

for (const which of ['file', 'http'] as const) {
  test(`kafkajs produces and consumes with a signed token (JWKS from ${which})`, async () => {
    const broker = which === 'file' ? fileBroker : httpBroker;
    const kafka = kafkajsWith(broker, await token({}));
    const topic = `oauth-${which}`;
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'x1' }, { value: 'x2' }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: `oauth-g-${which}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const got: string[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer.run({ eachMessage: async ({ message }) => void (got.push(message.value?.toString() ?? '') === 2 && resolve()) }).catch(reject);
    });
    await consumer.disconnect();
    assert.deepEqual(got, ['x1', 'x2']);
  });
}

test('tokens that are expired, for another audience or issuer, or signed by another key are refused with the reason', async () => {
  const stranger = await keyPair('k1');
  const cases: [Promise<string>, RegExp][] = [
    [token({ expiresIn: Math.floor(Date.now() / 1000) - 60 }), /expired/],
    [token({ aud: 'someone-else' }), /aud claim/],
    [token({ iss: 'https://evil.example' }), /iss claim/],
    [token({}, stranger.privateKey), /signature/],
    [token({}, key, 'unknown-kid'), /no key of the JWKS/],
  ];
  for (const [jwt, reason] of cases) {
    const answer = await exchange(fileBroker, await jwt);
    assert.equal(answer.challenge, '{"status":"invalid_token"}');
    assert.match(answer.message ?? '', reason);
  }
  // kafkajs takes the error challenge for success; its first request then finds the connection closed.
  const admin = kafkajsWith(fileBroker, await token({ aud: 'someone-else' })).admin();
  await assert.rejects(admin.connect().then(() => admin.describeCluster()));
  await admin.disconnect();
  assert.deepEqual(await exchange(fileBroker, await token({})), { challenge: null, message: null });
});

test('@platformatic/kafka authenticates with a token', async () => {
  const producer = new PlatformaticProducer({ clientId: 'p', bootstrapBrokers: [fileBroker.bootstrap], sasl: { mechanism: 'OAUTHBEARER', token: await token({ sub: 'svc-billing' }) }, serializers: stringSerializers, autocreateTopics: true });
  const result = await producer.send({ messages: [{ topic: 'oauth-platformatic', value: 'v' }] });
  await producer.close();
  assert.equal(result.offsets?.[0]?.offset, 0n);
});

test('librdkafka\'s unsecured (alg none) tokens are refused', async () => {
  const r = await kcat(['-b', fileBroker.bootstrap, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=OAUTHBEARER', '-X', 'enable.sasl.oauthbearer.unsecure.jwt=true', '-X', 'sasl.oauthbearer.config=principal=mallory', '-L', '-m', '2']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /Authentication failed/);
});

test('a rotated JWKS file is read again: tokens of the new key pass, the old key\'s no longer', async () => {
  const next = await keyPair('k2');
  await writeFile(jwksPath, JSON.stringify({ keys: [next.jwk] }));
  const fresh = kafkajsWith(fileBroker, await token({}, next.privateKey, 'k2')).admin();
  await fresh.connect();
  assert.ok((await fresh.describeCluster()).brokers.length === 1);
  await fresh.disconnect();
  assert.match((await exchange(fileBroker, await token({}))).message ?? '', /no key of the JWKS/);
});
