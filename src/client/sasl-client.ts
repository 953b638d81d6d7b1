/**
 * The client side of SASL for the project's own connection (the CLI, tools, test fixtures): a
 * SaslHandshake v1, then SaslAuthenticate v1 tokens for PLAIN or SCRAM-SHA-256/512 (RFC 5802),
 * checking the server's signature at the end of SCRAM.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { SaslAuthenticateResponse, SaslHandshakeResponse } from '../protocol/generated/index.js';
import { describeError } from '../protocol/error-codes.js';
import { hash, hmac, saltPassword, xor, isScramMechanism, type ScramMechanism } from '../security/sasl/scram-formulas.js';

export interface SaslCredentials {
  readonly mechanism: string;
  readonly username: string;
  readonly password: string;
}

/** What the SASL steps need from a connection. */
export interface SaslTransport {
  request<T>(apiKey: number, version: number, body: unknown): Promise<T>;
}

/** The session a successful authentication opened: how long the broker keeps it (0: for ever, KIP-368). */
export interface SaslSession {
  readonly lifetimeMs: number;
}

async function exchange(t: SaslTransport, token: Buffer): Promise<SaslAuthenticateResponse> {
  const res = await t.request<SaslAuthenticateResponse>(36, 1, { authBytes: token });
  if (res.errorCode !== 0) throw new Error(`SASL authentication failed: ${res.errorMessage ?? (describeError(res.errorCode)?.name ?? String(res.errorCode))}`);
  return res;
}

function sessionOf(last: SaslAuthenticateResponse): SaslSession {
  return { lifetimeMs: Number(last.sessionLifetimeMs) };
}

function escapeName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

async function scram(t: SaslTransport, mechanism: ScramMechanism, username: string, password: string): Promise<SaslSession> {
  const clientNonce = randomBytes(24).toString('base64url');
  const clientFirstBare = `n=${escapeName(username)},r=${clientNonce}`;
  const serverFirst = (await exchange(t, Buffer.from(`n,,${clientFirstBare}`))).authBytes.toString('utf8');
  const attrs = new Map(serverFirst.split(',').map((p) => [p.slice(0, 1), p.slice(2)] as const));
  const nonce = attrs.get('r') ?? '';
  const salt = Buffer.from(attrs.get('s') ?? '', 'base64');
  const iterations = Number(attrs.get('i'));
  if (!nonce.startsWith(clientNonce) || salt.length === 0 || !Number.isInteger(iterations) || iterations < 1) throw new Error('SASL authentication failed: the server sent an invalid SCRAM challenge');
  const withoutProof = `c=biws,r=${nonce}`;
  const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
  const salted = saltPassword(mechanism, password, salt, iterations);
  const clientKey = hmac(mechanism, salted, 'Client Key');
  const proof = xor(clientKey, hmac(mechanism, hash(mechanism, clientKey), authMessage));
  const last = await exchange(t, Buffer.from(`${withoutProof},p=${proof.toString('base64')}`));
  const serverFinal = last.authBytes.toString('utf8');
  const expected = hmac(mechanism, hmac(mechanism, salted, 'Server Key'), authMessage);
  const got = Buffer.from(serverFinal.startsWith('v=') ? serverFinal.slice(2) : '', 'base64');
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) throw new Error('SASL authentication failed: the server could not prove it knows the credential');
  return sessionOf(last);
}

/** Authenticates the connection; rejects with the broker's message when it refuses. */
export async function authenticate(t: SaslTransport, c: SaslCredentials): Promise<SaslSession> {
  const hs = await t.request<SaslHandshakeResponse>(17, 1, { mechanism: c.mechanism });
  if (hs.errorCode !== 0) throw new Error(`SASL handshake failed: ${(describeError(hs.errorCode)?.name ?? String(hs.errorCode))} (the broker offers ${hs.mechanisms.join(', ') || 'nothing'})`);
  if (c.mechanism === 'PLAIN') {
    return sessionOf(await exchange(t, Buffer.from(`\u0000${c.username}\u0000${c.password}`, 'utf8')));
  }
  if (!isScramMechanism(c.mechanism)) throw new Error(`SASL mechanism ${c.mechanism} is not supported here (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)`);
  return scram(t, c.mechanism, c.username, c.password);
}
