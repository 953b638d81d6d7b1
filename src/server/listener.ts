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
  /** The TCP sockets under this listener's TLS connections (handshaking or established), closed last at shutdown. */
  private readonly rawTlsSockets = new Set<Socket>();

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
    const handshakes = tls?.createServer((socket) => this.acceptTls(socket)) ?? null;
    this.server = createServer((socket: Socket) => {
      // The limits count TCP connections from accept, TLS handshakes under way included: one
      // refused is closed before its handshake starts.
      const release = this.admit(socket);
      if (!release) return;
      if (!handshakes) {
        this.accept(socket, null, release);
        return;
      }
      this.rawTlsSockets.add(socket);
      socket.once('close', () => {
        this.rawTlsSockets.delete(socket);
        release();
      });
      try {
        handshakes.handshake(socket);
      } catch (err) {
        socket.destroy();
        this.log.error({ err }, 'closing a new connection: starting its TLS handshake failed');
      }
    });
  }

  /** Counts a new connection against the limits: its release (callable more than once), or null when refused and closed. */
  private admit(socket: Socket): (() => void) | null {
    const address = socket.remoteAddress ?? '?';
    const refusal = this.quotas.tryAdmit(address);
    if (refusal !== null) {
      this.refused++;
      this.log.info(`refusing a connection from ${address}: ${refusal}`);
      socket.destroy();
      return null;
    }
    let counted = true;
    return () => {
      if (counted) this.quotas.release(address);
      counted = false;
    };
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
    // The raw socket's close releases its place in the limits.
    this.accept(socket, principal, () => undefined);
  }

  private accept(socket: Socket, principal: string | null, releaseLimits: () => void): void {
    try {
      const release = (c: Connection) => {
        this.connections.delete(c);
        releaseLimits();
      };
      const conn = new Connection(socket, this.services, this.limits, this.log, release, this.dispatcher, this.pool, this.identity);
      // Before any request: the socket's data events come at the earliest on the next turn.
      if (principal !== null) conn.session.principal = principal;
      this.connections.add(conn);
    } catch (err) {
      // Setting up one connection failed (its socket may already be gone): drop it, keep listening.
      releaseLimits();
      socket.destroy();
      this.log.error({ err }, 'closing a new connection: setting it up failed');
    }
  }

  /** Binds `host` (undefined: every interface) and `port` (0: a free one). */
  listen(host: string | undefined, port: number): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      // A failed bind is the start's error, said once by whoever started the broker, not logged here too.
      const failed = (err: NodeJS.ErrnoException) => reject(bindFailure(err, `listener ${this.identity.name}`, host ?? '0.0.0.0', port));
      this.server.once('error', failed);
      this.server.listen(port, host, () => {
        this.server.off('error', failed);
        this.server.on('error', (err) => this.log.error({ err }, 'listener error'));
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
    // Handshakes still under way (and the TCP side of the TLS connections just closed).
    for (const s of this.rawTlsSockets) s.destroy();
    await closed;
  }
}

/** What a user can act on when a listener cannot bind: the address, what wanted it, and why. */
function bindFailure(err: NodeJS.ErrnoException, what: string, host: string, port: number): Error {
  const why = err.code === 'EADDRINUSE' ? 'the address is in use (another broker or program listens there)' : err.code === 'EACCES' ? 'permission denied (ports below 1024 need privileges)' : err.code === 'EADDRNOTAVAIL' ? 'no interface of this host has that address' : err.message;
  return Object.assign(new Error(`cannot listen on ${host}:${port} for ${what}: ${why} (${err.code ?? 'error'})`), { code: err.code });
}
