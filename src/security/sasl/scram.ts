/**
 * The server side of a SCRAM exchange (RFC 5802; Kafka's SCRAM-SHA-256 and SCRAM-SHA-512, KIP-84):
 *
 *   client-first   n,[a=authzid],n=user,r=cnonce[,ext...]
 *   server-first   r=cnonce+snonce,s=salt,i=iterations
 *   client-final   c=biws,r=cnonce+snonce[,ext...],p=proof
 *   server-final   v=serverSignature
 *
 * No channel binding (Kafka offers none). Credentials come from the broker's cache by user name.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { SaslAuthenticationError, type SaslExchange, type SaslStep } from './exchange.js';
import { hash, hmac, xor, type ScramCredential, type ScramMechanism } from './scram-formulas.js';

/** Bound on either client message: real ones are under 200 bytes. */
const MAX_MESSAGE_BYTES = 4096;

export type CredentialLookup = (user: string, mechanism: ScramMechanism) => ScramCredential | undefined;

/** RFC 5802 saslname: "," is sent as =2C and "=" as =3D; any other "=" is malformed. */
function unescapeName(name: string): string {
  if (/=(?!2C|3D)/.test(name)) throw new SaslAuthenticationError('Invalid SCRAM user name: bad escape');
  return name.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

function attributes(message: string): Map<string, string> {
  const attrs = new Map<string, string>();
  for (const part of message.split(',')) {
    // One-letter attributes, and the named extensions Kafka clients may add (tokenauth=true).
    const m = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/s.exec(part);
    if (!m) throw new SaslAuthenticationError(`Invalid SCRAM message: unexpected "${part.slice(0, 20)}"`);
    if (!attrs.has(m[1])) attrs.set(m[1], m[2]);
  }
  return attrs;
}

/** Printable nonce characters, no comma (RFC 5802); alphanumerics as Kafka uses. */
function serverNonce(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(32);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

export class ScramExchange implements SaslExchange {
  private state: 'first' | 'final' | 'done' = 'first';
  private user = '';
  private gs2Header = '';
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';
  private credential: ScramCredential | null = null;

  constructor(
    readonly mechanism: ScramMechanism,
    private readonly lookup: CredentialLookup,
    /** The server's part of the nonce; random unless a test fixes it (RFC 7677's example). */
    private readonly newServerNonce: () => string = serverNonce,
  ) {}

  next(token: Buffer): SaslStep {
    if (token.length > MAX_MESSAGE_BYTES) throw new SaslAuthenticationError('Invalid SCRAM message: too long');
    const message = token.toString('utf8');
    if (this.state === 'first') return this.first(message);
    if (this.state === 'final') return this.final(message);
    throw new SaslAuthenticationError('The SCRAM exchange is already complete');
  }

  private first(message: string): SaslStep {
    // gs2-header: "n," or "y," (no channel binding), then an optional "a=authzid", then ",".
    const m = /^([ny]),(a=[^,]*)?,(.*)$/s.exec(message);
    if (!m) throw new SaslAuthenticationError(message.startsWith('p=') ? 'SCRAM channel binding is not supported' : 'Invalid SCRAM client first message');
    this.gs2Header = `${m[1]},${m[2] ?? ''},`;
    this.clientFirstBare = m[3];
    const attrs = attributes(this.clientFirstBare);
    const name = attrs.get('n');
    const clientNonce = attrs.get('r');
    if (name === undefined || name === '' || clientNonce === undefined || clientNonce === '') throw new SaslAuthenticationError('Invalid SCRAM client first message: user name and nonce are required');
    if (attrs.has('m')) throw new SaslAuthenticationError('SCRAM mandatory extensions are not supported');
    if (attrs.get('tokenauth') === 'true') throw new SaslAuthenticationError('Delegation tokens are not supported');
    this.user = unescapeName(name);
    const authzid = m[2] === undefined ? '' : unescapeName(m[2].slice(2));
    if (authzid !== '' && authzid !== this.user) throw new SaslAuthenticationError('Authentication failed: Client requested an authorization id that is different from username');
    const credential = this.lookup(this.user, this.mechanism);
    if (!credential) throw new SaslAuthenticationError(`Authentication failed during authentication due to invalid credentials with SASL mechanism ${this.mechanism}`);
    this.credential = credential;
    this.nonce = clientNonce + this.newServerNonce();
    this.serverFirst = `r=${this.nonce},s=${credential.salt.toString('base64')},i=${credential.iterations}`;
    this.state = 'final';
    return { done: false, challenge: Buffer.from(this.serverFirst, 'utf8') };
  }

  private final(message: string): SaslStep {
    this.state = 'done';
    const proofAt = message.lastIndexOf(',p=');
    if (proofAt < 0) throw new SaslAuthenticationError('Invalid SCRAM client final message: no proof');
    const withoutProof = message.slice(0, proofAt);
    const attrs = attributes(withoutProof);
    const proof = Buffer.from(message.slice(proofAt + 3), 'base64');
    if (attrs.get('c') !== Buffer.from(this.gs2Header, 'utf8').toString('base64')) throw new SaslAuthenticationError('Invalid SCRAM client final message: channel binding does not match');
    // RFC 5802 wants r to be exactly the server's nonce. librdkafka before 2.6.1 (Debian's 2.0.2
    // among them) sends its own nonce once more in front of it; Kafka 3.8.1 to 3.9 accept a nonce
    // that ends with the server's, which still proves the client saw this exchange's server nonce.
    const nonce = attrs.get('r') ?? '';
    if (!nonce.endsWith(this.nonce)) throw new SaslAuthenticationError('Invalid SCRAM client final message: nonce does not match');
    const credential = this.credential as ScramCredential;
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const clientSignature = hmac(this.mechanism, credential.storedKey, authMessage);
    const valid = proof.length === clientSignature.length && timingSafeEqual(hash(this.mechanism, xor(proof, clientSignature)), credential.storedKey);
    if (!valid) throw new SaslAuthenticationError(`Authentication failed during authentication due to invalid credentials with SASL mechanism ${this.mechanism}`);
    const serverSignature = hmac(this.mechanism, credential.serverKey, authMessage);
    return { done: true, challenge: Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8'), user: this.user };
  }
}
