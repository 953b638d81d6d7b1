/**
 * Checks a user name and password, as sent in HTTP Basic to the admin server, against the users
 * the Kafka listeners accept: PLAIN's JAAS users (compared in constant time) and the SCRAM
 * credentials. A SCRAM credential holds no password, so the password is salted with the stored
 * salt and iterations (PBKDF2), and the StoredKey and ServerKey derived from it must equal the
 * stored ones: what a SCRAM client proves, done here on the server's side.
 *
 * PBKDF2 runs on libuv's thread pool (4096+ iterations take milliseconds, too long for the event
 * loop), and a password that verified is remembered, bound to the credential it matched: a
 * console page polling every 2 s does not derive keys again, and a changed or deleted credential
 * is a different (or no) object, so the remembered success no longer applies.
 */
import { createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { credentialFromSaltedPassword, MIN_SCRAM_ITERATIONS, SCRAM_MECHANISMS, type ScramCredential, type ScramMechanism } from './scram-formulas.js';
import type { CredentialLookup } from './scram.js';

const derive = promisify(pbkdf2);

/** Successes remembered; more users than this simply derive again. */
const MAX_REMEMBERED = 256;

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export class PasswordCheck {
  /** Keyed by an HMAC of user and password under a key of this process: no password is kept. */
  private readonly remembered = new Map<string, ScramCredential>();
  private readonly cacheKey = randomBytes(32);
  /** A credential of nobody's, so an unknown user costs the same derivation as a known one. */
  private readonly decoy = { salt: randomBytes(32), iterations: MIN_SCRAM_ITERATIONS };

  constructor(
    private readonly plainUsers: ReadonlyMap<string, string>,
    private readonly scram: CredentialLookup,
  ) {}

  /** Whether `password` is `user`'s: a PLAIN user's password, or one matching a SCRAM credential. */
  async verify(user: string, password: string): Promise<boolean> {
    if (user === '' || password === '') return false;
    if (this.plainMatches(user, password)) return true;
    const credentials = SCRAM_MECHANISMS.flatMap((m) => {
      const c = this.scram(user, m);
      return c ? [{ mechanism: m, credential: c }] : [];
    });
    if (credentials.length === 0) {
      await derive(password, this.decoy.salt, this.decoy.iterations, 32, 'sha256');
      return false;
    }
    const key = createHmac('sha256', this.cacheKey).update(user).update('\u0000').update(password).digest('base64');
    const seen = this.remembered.get(key);
    if (seen !== undefined && credentials.some((c) => c.credential === seen)) return true;
    for (const { mechanism, credential } of credentials) {
      if (await matches(mechanism, credential, password)) {
        if (this.remembered.size >= MAX_REMEMBERED) this.remembered.delete(this.remembered.keys().next().value as string);
        this.remembered.set(key, credential);
        return true;
      }
    }
    return false;
  }

  private plainMatches(user: string, password: string): boolean {
    const expected = this.plainUsers.get(user);
    if (expected === undefined) return false;
    // Hashing first gives equal lengths, so the comparison leaks neither content nor length.
    const digest = (s: string) => createHmac('sha256', this.cacheKey).update(s, 'utf8').digest();
    return timingSafeEqual(digest(password), digest(expected));
  }
}

async function matches(mechanism: ScramMechanism, stored: ScramCredential, password: string): Promise<boolean> {
  const length = mechanism === 'SCRAM-SHA-256' ? 32 : 64;
  const salted = await derive(Buffer.from(password, 'utf8'), stored.salt, stored.iterations, length, mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512');
  const derived = credentialFromSaltedPassword(mechanism, salted, stored.salt, stored.iterations);
  // Both keys, as a SCRAM exchange proves both sides: the client's proof (StoredKey) and the server's signature (ServerKey).
  const storedOk = sameBytes(derived.storedKey, stored.storedKey);
  const serverOk = sameBytes(derived.serverKey, stored.serverKey);
  return storedOk && serverOk;
}
