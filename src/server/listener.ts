/**
 * The TCP listener: accepts connections (within Kafka's connection limits), hands each to a
 * Connection, and on shutdown stops accepting, lets in-flight requests finish (bounded), then
 * closes what is left.
 */
import { createServer, type Server, type Socket } from 'node:net';
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
  ) {
    this.quotas = new ConnectionQuotas(limits);
    this.pool = new RequestBytesPool(limits.maxQueuedRequestBytes);
    this.server = createServer((socket: Socket) => this.accept(socket));
    this.server.on('error', (err) => this.log.error({ err }, 'listener error'));
  }

  private accept(socket: Socket): void {
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
      this.connections.add(conn);
    } catch (err) {
      // Setting up one connection failed (its socket may already be gone): drop it, keep listening.
      socket.destroy();
      this.log.error({ err }, 'closing a new connection: setting it up failed');
    }
  }

  listen(host: string, port: number): Promise<{ host: string; port: number }> {
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
