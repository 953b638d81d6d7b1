/**
 * The TCP listener: accepts connections, hands each to a Connection, and on shutdown stops
 * accepting, lets in-flight requests finish (bounded), then closes what is left.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { Connection, type ConnectionLimits } from './connection.js';
import { dispatch, type Dispatcher } from './dispatch.js';
import type { BrokerServices } from '../api/services.js';

export class Listener {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();

  constructor(
    private readonly services: BrokerServices,
    private readonly limits: ConnectionLimits,
    private readonly log: Logger,
    private readonly dispatcher: Dispatcher = dispatch,
  ) {
    this.server = createServer((socket: Socket) => this.accept(socket));
    this.server.on('error', (err) => this.log.error({ err }, 'listener error'));
  }

  private accept(socket: Socket): void {
    try {
      const conn = new Connection(socket, this.services, this.limits, this.log, (c) => this.connections.delete(c), this.dispatcher);
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
