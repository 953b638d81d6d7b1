/**
 * One listener (TCP, or TLS for SSL and SASL_SSL): accepts connections (within Kafka's connection
 * limits), hands each to a Connection, and on shutdown stops accepting, lets in-flight requests
 * finish (bounded), then closes what is left. A TLS connection is handed over once its handshake
 * completed, with the principal of its client certificate on an SSL listener, so no request is
 * read before the principal is known.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { TlsServerContext } from '../security/tls/tls-server.js';
import type { Logger } from 'pino';
import { Connection, type ConnectionLimits } from './connection.js';
import { ConnectionQuotas, type ConnectionQuotaConfig } from './connection-quotas.js';
import { RequestBytesPool } from './request-bytes-pool.js';
import { dispatch, type Dispatcher } from './dispatch.js';
import type { BrokerServices } from '../api/services.js';
import { PLAINTEXT_LISTENER, type ListenerIdentity } from './client-session.js';

export interface ListenerLimits extends ConnectionLimits, ConnectionQuotaConfig {
  /** queued.max.request.bytes: request bytes read and not yet answered, over all connections (≤ 0: unbounded). */
  readonly maxQueuedRequestBytes: number;
}

/** What the listener holds right now, summed over its connections. */
export interface ServerLoad {
  connections: number;
  /** Connections refused since start because of max.connections or max.connections.per.ip. */
  connectionsRefused: number;
  requestsInFlight: number;
  requestsWaitingToStart: number;
  responseBytesWaiting: number;
  /** Bytes counted against queued.max.request.bytes. */
  queuedRequestBytes: number;
  connectionsReadingPaused: number;
}

/** What the listeners of one broker share: Kafka's queued.max.request.bytes and max.connections are per broker. */
export interface ListenerShared {
  readonly pool: RequestBytesPool;
  readonly quotas: ConnectionQuotas;
}

export function sharedLimits(limits: ListenerLimits): ListenerShared {
  return { pool: new RequestBytesPool(limits.maxQueuedRequestBytes), quotas: new ConnectionQuotas(limits) };
}

export class Listener {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  private readonly quotas: ConnectionQuotas;
  private readonly pool: RequestBytesPool;
  private refused = 0;

  constructor(
    private readonly services: BrokerServices,
    private readonly limits: ListenerLimits,
    private readonly log: Logger,
    private readonly dispatcher: Dispatcher = dispatch,
    /** The listener's name and security protocol, as each of its connections reports them. */
    readonly identity: ListenerIdentity = PLAINTEXT_LISTENER,
    /** For SSL and SASL_SSL listeners: the TLS settings, certificates and client principals. */
    private readonly tls: TlsServerContext | null = null,
    /** The broker's several listeners share one request-bytes pool and one set of connection counts. */
    shared: ListenerShared = sharedLimits(limits),
  ) {
    this.quotas = shared.quotas;
    this.pool = shared.pool;
    this.server = tls ? tls.createServer((socket) => this.acceptTls(socket)) : createServer((socket: Socket) => this.accept(socket, null));
    this.server.on('error', (err) => this.log.error({ err }, 'listener error'));
  }

  private acceptTls(socket: TLSSocket): void {
    let principal: string | null = null;
    // On SASL_SSL the SASL exchange names the principal; on SSL the client certificate does.
    if (this.identity.securityProtocol === 'SSL') {
      try {
        principal = (this.tls as TlsServerContext).principalOf(socket);
      } catch (err) {
        this.log.info({ client: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`, listener: this.identity.name, err: (err as Error).message }, 'SSL authentication failed; closing the connection');
        socket.destroy();
        return;
      }
    }
    this.accept(socket, principal);
  }

  private accept(socket: Socket, principal: string | null): void {
    const address = socket.remoteAddress ?? '?';
    try {
      const refusal = this.quotas.tryAdmit(address);
      if (refusal !== null) {
        this.refused++;
        this.log.info(`refusing a connection from ${address}: ${refusal}`);
        socket.destroy();
        return;
      }
      let counted = true;
      const release = (c: Connection) => {
        this.connections.delete(c);
        if (counted) this.quotas.release(address);
        counted = false;
      };
      const conn = new Connection(socket, this.services, this.limits, this.log, release, this.dispatcher, this.pool, this.identity);
      // Before any request: the socket's data events come at the earliest on the next turn.
      if (principal !== null) conn.session.principal = principal;
      this.connections.add(conn);
    } catch (err) {
      // Setting up one connection failed (its socket may already be gone): drop it, keep listening.
      socket.destroy();
      this.log.error({ err }, 'closing a new connection: setting it up failed');
    }
  }

  /** Binds `host` (undefined: every interface) and `port` (0: a free one). */
  listen(host: string | undefined, port: number): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const addr = this.server.address();
        if (addr === null || typeof addr === 'string') reject(new Error('listener has no TCP address'));
        else resolve({ host: addr.address, port: addr.port });
      });
    });
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  load(): ServerLoad {
    const total: ServerLoad = {
      connections: this.connections.size,
      connectionsRefused: this.refused,
      requestsInFlight: 0,
      requestsWaitingToStart: 0,
      responseBytesWaiting: 0,
      queuedRequestBytes: this.pool.usedBytes,
      connectionsReadingPaused: 0,
    };
    for (const c of this.connections) {
      const l = c.load;
      total.requestsInFlight += l.requestsInFlight;
      total.requestsWaitingToStart += l.requestsWaitingToStart;
      total.responseBytesWaiting += l.responseBytesWaiting;
      if (l.readingPaused) total.connectionsReadingPaused++;
    }
    return total;
  }

  /** Stops accepting, waits up to `graceMs` for in-flight requests, then closes every connection. */
  async close(graceMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const drained = Promise.all([...this.connections].map((c) => c.drain()));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([drained, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    for (const c of this.connections) c.destroy();
    await closed;
  }
}
