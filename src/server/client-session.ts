/**
 * What the broker knows about one client connection beyond its bytes: where it came from, which
 * listener (and so which security protocol) it reached, and the principal it authenticated as.
 * The connection owns it; the dispatcher reads it for every request, and the SASL exchange (or the
 * TLS handshake) sets the principal.
 */
import { ANONYMOUS_PRINCIPAL, type SecurityProtocol } from '../security/principal.js';

export interface ListenerIdentity {
  /** The listener's name in `listeners` (PLAINTEXT, SSL, CLIENT, ...). */
  readonly name: string;
  readonly securityProtocol: SecurityProtocol;
}

export const PLAINTEXT_LISTENER: ListenerIdentity = { name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT' };

export class ClientSession {
  /** Kafka principal, "User:name"; ANONYMOUS until something authenticates the client. */
  principal: string = ANONYMOUS_PRINCIPAL;

  constructor(
    /** "address:port", for logs. */
    readonly host: string,
    /** The client's IP address alone, as ACLs match hosts. */
    readonly address: string,
    readonly listener: ListenerIdentity,
  ) {}

  static forSocket(remoteAddress: string | undefined, remotePort: number | undefined, listener: ListenerIdentity = PLAINTEXT_LISTENER): ClientSession {
    const address = remoteAddress ?? '?';
    // Node reports IPv4 clients of a dual-stack socket as ::ffff:a.b.c.d; ACLs name them a.b.c.d.
    const plain = address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
    return new ClientSession(`${address}:${remotePort ?? '?'}`, plain, listener);
  }
}
