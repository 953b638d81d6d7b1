/**
 * Requests this broker sends to its peers on its own behalf (transaction markers, produce
 * verification), one connection per peer opened on first use and again after it fails or its
 * SASL session nears its end. The replica fetchers keep their own links (replica-link.ts): a
 * long-polling follower fetch must not queue a marker behind it.
 */
import type { KafkaConnection } from '../client/kafka-connection.js';
import type { PeerConnector } from './peer-connector.js';
import { ErrorCode, KafkaError } from '../protocol/error-codes.js';

export class PeerRequests {
  private readonly connections = new Map<number, Promise<KafkaConnection>>();
  private closed = false;

  constructor(
    private readonly peers: PeerConnector,
    private readonly nodeId: number,
    private readonly timeoutMs: number,
  ) {}

  /** Sends one request to broker `brokerId`; rejects when it cannot be reached or does not answer in time. */
  async request<T>(brokerId: number, apiKey: number, version: number, body: unknown): Promise<T> {
    const conn = await this.connection(brokerId);
    try {
      return await conn.request<T>(apiKey, version, body, this.timeoutMs);
    } catch (err) {
      if ((await this.connections.get(brokerId)?.catch(() => null)) === conn) this.connections.delete(brokerId);
      conn.close();
      throw err;
    }
  }

  close(): void {
    this.closed = true;
    for (const c of this.connections.values()) void c.then((conn) => conn.close(), () => undefined);
    this.connections.clear();
  }

  private async connection(brokerId: number): Promise<KafkaConnection> {
    if (this.closed) throw new KafkaError(ErrorCode.BROKER_NOT_AVAILABLE, 'the broker is stopping');
    const open = this.connections.get(brokerId);
    const existing = open ? await open.catch(() => null) : null;
    if (existing && !existing.isClosed && !existing.sessionEnding) return existing;
    // Requests still waiting on a connection whose SASL session nears its end get their answers first.
    if (existing?.sessionEnding) existing.closeWhenIdle();
    const endpoint = this.peers.endpoint(brokerId);
    if (!endpoint) throw new KafkaError(ErrorCode.BROKER_NOT_AVAILABLE, `broker ${brokerId} is not registered with a ${this.peers.listenerName} listener`);
    const opening = this.peers.open(endpoint, this.timeoutMs, `tributary-broker-${this.nodeId}`);
    this.connections.set(brokerId, opening);
    opening.catch(() => {
      if (this.connections.get(brokerId) === opening) this.connections.delete(brokerId);
    });
    const conn = await opening;
    if (this.closed) conn.close();
    return conn;
  }
}
