/**
 * One SASL exchange on the server side: the client's tokens in, the server's challenges out, until
 * it completes with a principal or fails. PLAIN and SCRAM answer synchronously (credentials are held
 * in memory); OAUTHBEARER's signature check is asynchronous (WebCrypto). Until a step settles the
 * connection is not authenticated, so a request sent meanwhile is refused, as it must be.
 */
export interface SaslExchange {
  readonly mechanism: string;
  /**
   * Consumes the client's next token. Throws SaslAuthenticationError when the client cannot be
   * authenticated (bad credentials, a malformed message); the message is safe to send to it.
   */
  next(token: Buffer): SaslStep | Promise<SaslStep>;
}

export type SaslStep =
  | { readonly done: false; readonly challenge: Buffer }
  /** The exchange is over: `challenge` is the server's last word (empty for PLAIN). */
  /** `expiresAtMs`: when the credential stops being valid (an OAuth token's exp), if it does. */
  | { readonly done: true; readonly challenge: Buffer; readonly user: string; readonly expiresAtMs?: number };

export class SaslAuthenticationError extends Error {
  override readonly name = 'SaslAuthenticationError';
}

/** The mechanisms Tributary implements, by Kafka's names. */
export const SUPPORTED_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'] as const;
export type SaslMechanismName = (typeof SUPPORTED_MECHANISMS)[number];

export function isSupportedMechanism(name: string): name is SaslMechanismName {
  return (SUPPORTED_MECHANISMS as readonly string[]).includes(name);
}
