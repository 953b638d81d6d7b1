/**
 * SASL/PLAIN (RFC 4616): one message, `authzid NUL authcid NUL password`, checked against the users
 * the broker was configured with (Kafka's PlainLoginModule `user_<name>="<password>"` options).
 * Passwords are compared in constant time.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { SaslAuthenticationError, type SaslExchange, type SaslStep } from './exchange.js';

/** Largest PLAIN message accepted: user names and passwords are short; this bounds the work. */
const MAX_MESSAGE_BYTES = 4096;

function sameSecret(a: string, b: string): boolean {
  // Hashing first gives equal lengths, so the comparison leaks neither content nor length.
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}

export class PlainExchange implements SaslExchange {
  readonly mechanism = 'PLAIN';
  private finished = false;

  constructor(private readonly users: ReadonlyMap<string, string>) {}

  next(token: Buffer): SaslStep {
    if (this.finished) throw new SaslAuthenticationError('PLAIN takes one message');
    this.finished = true;
    if (token.length > MAX_MESSAGE_BYTES) throw new SaslAuthenticationError('Invalid SASL/PLAIN message: too long');
    const parts = token.toString('utf8').split('\u0000');
    if (parts.length !== 3) throw new SaslAuthenticationError('Invalid SASL/PLAIN message: expected 3 tokens separated by NUL');
    const [authzid, user, password] = parts;
    if (user === '') throw new SaslAuthenticationError('Authentication failed: username not specified');
    if (password === '') throw new SaslAuthenticationError('Authentication failed: password not specified');
    const expected = this.users.get(user);
    // The same work whether or not the user exists, so timing does not tell which.
    const ok = sameSecret(password, expected ?? '\u0000no such user') && expected !== undefined;
    if (!ok) throw new SaslAuthenticationError('Authentication failed: Invalid username or password');
    if (authzid !== '' && authzid !== user) throw new SaslAuthenticationError('Authentication failed: Client requested an authorization id that is different from username');
    return { done: true, challenge: Buffer.alloc(0), user };
  }
}
