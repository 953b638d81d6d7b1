/**
 * SCRAM's arithmetic (RFC 5802 §3) for SHA-256 and SHA-512, with node:crypto: what the broker stores
 * for a credential (salt, iterations, StoredKey, ServerKey, never the password) and the proofs the
 * exchange checks.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export const SCRAM_MECHANISMS: readonly ScramMechanism[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];

/** Kafka's bounds on a credential's iteration count (ScramMechanism.minIterations, and its upper limit). */
export const MIN_SCRAM_ITERATIONS = 4096;
export const MAX_SCRAM_ITERATIONS = 16384;

export interface ScramCredential {
  readonly salt: Buffer;
  readonly iterations: number;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

export function isScramMechanism(name: string): name is ScramMechanism {
  return name === 'SCRAM-SHA-256' || name === 'SCRAM-SHA-512';
}

function hashName(mechanism: ScramMechanism): 'sha256' | 'sha512' {
  return mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
}

export function hmac(mechanism: ScramMechanism, key: Buffer, text: string | Buffer): Buffer {
  return createHmac(hashName(mechanism), key).update(text).digest();
}

export function hash(mechanism: ScramMechanism, data: Buffer): Buffer {
  return createHash(hashName(mechanism)).update(data).digest();
}

/** Hi(password, salt, i): PBKDF2 with the mechanism's HMAC, as long as its digest. */
export function saltPassword(mechanism: ScramMechanism, password: string, salt: Buffer, iterations: number): Buffer {
  const length = mechanism === 'SCRAM-SHA-256' ? 32 : 64;
  return pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, length, hashName(mechanism));
}

/** What the broker keeps, from a salted password (AlterUserScramCredentials sends that, not the password). */
export function credentialFromSaltedPassword(mechanism: ScramMechanism, saltedPassword: Buffer, salt: Buffer, iterations: number): ScramCredential {
  const clientKey = hmac(mechanism, saltedPassword, 'Client Key');
  return { salt, iterations, storedKey: hash(mechanism, clientKey), serverKey: hmac(mechanism, saltedPassword, 'Server Key') };
}

export function credentialFromPassword(mechanism: ScramMechanism, password: string, iterations = MIN_SCRAM_ITERATIONS, salt: Buffer = randomBytes(32)): ScramCredential {
  return credentialFromSaltedPassword(mechanism, saltPassword(mechanism, password, salt, iterations), salt, iterations);
}

export function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}
