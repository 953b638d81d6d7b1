/**
 * SASL/OAUTHBEARER (RFC 7628, Kafka's KIP-255 and KIP-768 validation): the client sends
 *
 *   n,[a=authzid],\x01auth=Bearer <JWT>\x01[key=value\x01...]\x01
 *
 * and the broker checks the JWT's signature against the configured JSON Web Key Set, its exp / nbf
 * (with clock skew), issuer and audience, and takes the principal from the subject claim. A token
 * that fails is answered, as RFC 7628 says, with an error challenge ({"status":"invalid_token"});
 * the client acknowledges with a lone \x01 and the exchange fails with the reason.
 * The JWT work is the `jose` library's; nothing here parses JOSE itself.
 */
import type { JWTVerifyGetKey } from 'jose';
import { jose } from './jwks.js';
import { SaslAuthenticationError, type SaslExchange, type SaslStep } from './exchange.js';

const MAX_MESSAGE_BYTES = 64 * 1024;
const KVSEP = '\u0001';

export interface OAuthValidation {
  readonly keys: JWTVerifyGetKey;
  readonly issuer: string | null;
  readonly audience: readonly string[];
  readonly subClaim: string;
  readonly clockSkewSeconds: number;
}

/** The bearer token of a client's first message, or a SaslAuthenticationError. */
export function bearerToken(message: string): string {
  const gs2 = /^([ny]),(a=[^,]*)?,/.exec(message);
  if (!gs2) throw new SaslAuthenticationError('Invalid OAUTHBEARER client first message: bad GS2 header');
  const rest = message.slice(gs2[0].length);
  if (!rest.startsWith(KVSEP) || !rest.endsWith(KVSEP + KVSEP)) throw new SaslAuthenticationError('Invalid OAUTHBEARER client first message: bad key-value separators');
  const pairs = rest.slice(1, -2).split(KVSEP);
  const auth = pairs.find((p) => p.startsWith('auth='));
  const m = auth === undefined ? null : /^auth=Bearer +([A-Za-z0-9._~+/=-]+)$/i.exec(auth);
  if (!m) throw new SaslAuthenticationError('Invalid OAUTHBEARER client first message: no "auth=Bearer <token>"');
  return m[1];
}

function reason(err: unknown): string {
  if (err instanceof jose().errors.JWTExpired) return 'the token has expired';
  if (err instanceof jose().errors.JWTClaimValidationFailed) return `the token's ${err.claim} claim is not accepted (${err.reason})`;
  if (err instanceof jose().errors.JWSSignatureVerificationFailed) return 'the token signature does not verify';
  if (err instanceof jose().errors.JWKSNoMatchingKey) return 'no key of the JWKS matches the token';
  if (err instanceof jose().errors.JOSEError) return `the token is not valid (${err.code})`;
  return 'the token could not be validated';
}

export class OAuthBearerExchange implements SaslExchange {
  readonly mechanism = 'OAUTHBEARER';
  private state: 'first' | 'errored' | 'done' = 'first';
  private failure = '';

  constructor(
    private readonly validation: OAuthValidation,
    private readonly nowMs: () => number,
  ) {}

  next(token: Buffer): SaslStep | Promise<SaslStep> {
    if (this.state === 'errored') {
      // The client's answer to the error challenge is a lone separator; the exchange ends either way.
      this.state = 'done';
      throw new SaslAuthenticationError(`Authentication failed: ${this.failure}`);
    }
    if (this.state === 'done') throw new SaslAuthenticationError('The OAUTHBEARER exchange is already complete');
    if (token.length > MAX_MESSAGE_BYTES) throw new SaslAuthenticationError('Invalid OAUTHBEARER message: too long');
    const jwt = bearerToken(token.toString('utf8'));
    return this.validate(jwt);
  }

  private async validate(jwt: string): Promise<SaslStep> {
    const v = this.validation;
    try {
      const { payload } = await jose().jwtVerify(jwt, v.keys, {
        issuer: v.issuer ?? undefined,
        audience: v.audience.length > 0 ? [...v.audience] : undefined,
        clockTolerance: v.clockSkewSeconds,
        currentDate: new Date(this.nowMs()),
        requiredClaims: ['exp', v.subClaim],
      });
      const subject = payload[v.subClaim];
      if (typeof subject !== 'string' || subject === '') throw new SaslAuthenticationError(`the token's ${v.subClaim} claim is not a name`);
      this.state = 'done';
      return { done: true, challenge: Buffer.alloc(0), user: subject, expiresAtMs: typeof payload.exp === 'number' ? payload.exp * 1000 : undefined };
    } catch (err) {
      this.failure = err instanceof SaslAuthenticationError ? err.message : reason(err);
      this.state = 'errored';
      return { done: false, challenge: Buffer.from(JSON.stringify({ status: 'invalid_token' }), 'utf8') };
    }
  }
}
