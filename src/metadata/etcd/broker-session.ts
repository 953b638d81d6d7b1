/**
 * A broker's registration in etcd: `<prefix>/brokers/<node id>` held by a lease whose TTL is
 * broker.session.timeout.ms (rounded up to whole seconds, etcd's unit), renewed every
 * broker.heartbeat.interval.ms over one keepalive stream. A broker that stops renewing (crashed,
 * cut off) loses the key when etcd expires the lease; other brokers see it go through their
 * watches.
 *
 * The broker also judges its session itself (lease-liveness.ts): once no renewal is known to have
 * reached etcd within the TTL, the session ends as expired even if etcd cannot be asked, so a
 * broker never goes on believing in a registration etcd may already have dropped. While etcd is
 * unreachable the keepalive stream is reopened on every heartbeat; if etcd comes back before the
 * lease lapses (etcd gives every lease a fresh TTL when it elects a leader), nothing is lost.
 */
import type { IDuplexStream, ILeaseKeepAliveRequest, ILeaseKeepAliveResponse } from 'etcd3';
import { SUPERSEDED, type BrokerRegistration, type BrokerSession, type ControllerLeadership, type RegisteredBroker, type SessionEnd } from '../metadata-store.js';
import { duplicateBroker } from '../metadata-errors.js';
import { decodeBroker, encodeBroker } from '../metadata-codec.js';
import { LeaseLiveness } from '../lease-liveness.js';
import { createdAt, getOp, modifiedAt, putOp, rangeResult, type EtcdConnection } from './etcd-client.js';
import type { EtcdKeys } from './etcd-keys.js';
import { campaignForController } from './controller-election.js';

export interface SessionTiming {
  /** broker.session.timeout.ms */
  readonly sessionTimeoutMs: number;
  /** broker.heartbeat.interval.ms */
  readonly heartbeatIntervalMs: number;
}

type KeepAliveStream = IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse>;

/** Writes the registration under the lease; answers the broker epoch (the revision of the write). */
async function writeRegistration(conn: EtcdConnection, keys: EtcdKeys, registration: BrokerRegistration, leaseId: string): Promise<number> {
  const key = keys.broker(registration.nodeId);
  const value = encodeBroker(registration);
  let compare = createdAt(key, 0);
  for (let attempt = 0; attempt < 5; attempt++) {
    const res = await conn.txn('broker registration', [compare], [putOp(key, value, leaseId)], [getOp(key)]);
    if (res.succeeded) return Number(res.header.revision);
    const existing = rangeResult(res, 0);
    if (existing) {
      // The same broker process may take its registration over (after its session expired);
      // another process with this node id may not while its session lives.
      if (decodeBroker(registration.nodeId, existing.value).incarnationId !== registration.incarnationId) throw duplicateBroker(registration.nodeId);
      compare = modifiedAt(key, Number(existing.mod_revision));
    } else {
      compare = createdAt(key, 0);
    }
  }
  throw duplicateBroker(registration.nodeId);
}

export class EtcdBrokerSession implements BrokerSession {
  readonly ended: Promise<SessionEnd>;
  private resolveEnded!: (end: SessionEnd) => void;
  private done = false;
  private stream: KeepAliveStream | null = null;
  private opening = false;
  private readonly heartbeat: NodeJS.Timeout;
  private expiryTimer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly conn: EtcdConnection,
    private readonly keys: EtcdKeys,
    readonly broker: RegisteredBroker,
    private readonly leaseId: string,
    private readonly liveness: LeaseLiveness,
    heartbeatIntervalMs: number,
  ) {
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    this.heartbeat = setInterval(() => this.renew(), heartbeatIntervalMs);
    this.heartbeat.unref();
    this.armExpiry();
    this.renew();
  }

  static async register(conn: EtcdConnection, keys: EtcdKeys, registration: BrokerRegistration, timing: SessionTiming): Promise<EtcdBrokerSession> {
    if (timing.heartbeatIntervalMs >= timing.sessionTimeoutMs) throw new Error(`broker.heartbeat.interval.ms (${timing.heartbeatIntervalMs}) must be less than broker.session.timeout.ms (${timing.sessionTimeoutMs})`);
    const requestedAt = Date.now();
    const grant = await conn.call('lease grant', () => conn.client.leaseClient.leaseGrant({ TTL: Math.ceil(timing.sessionTimeoutMs / 1000) }));
    let epoch: number;
    try {
      epoch = await writeRegistration(conn, keys, registration, grant.ID);
    } catch (err) {
      await conn.call('lease revoke', () => conn.client.leaseClient.leaseRevoke({ ID: grant.ID })).catch(() => undefined);
      throw err;
    }
    const liveness = new LeaseLiveness(requestedAt, Number(grant.TTL) * 1000);
    return new EtcdBrokerSession(conn, keys, { ...registration, epoch }, grant.ID, liveness, timing.heartbeatIntervalMs);
  }

  campaignForController(): Promise<ControllerLeadership> {
    return campaignForController(this.conn, this.keys, { nodeId: this.broker.nodeId, leaseId: this.leaseId, ended: this.ended, isEnded: () => this.done });
  }

  /** Unregisters: revoking the lease deletes the registration (and the controller key, if held) at once. */
  async close(): Promise<void> {
    if (this.done) return;
    this.finish({ reason: 'closed' });
    // If etcd cannot be reached the lease lapses by itself after the session timeout.
    await this.revoke();
  }

  /** Ends this session because its broker registered again: its lease (and anything it holds) goes. */
  async supersede(): Promise<void> {
    if (this.done) return;
    this.finish({ reason: 'expired', message: SUPERSEDED });
    await this.revoke();
  }

  /** Stops renewing without unregistering, as a crashed broker would: the registration lapses with the lease. */
  abandon(): void {
    if (!this.done) this.finish({ reason: 'closed' });
  }

  private async revoke(): Promise<void> {
    await this.conn.call('lease revoke', () => this.conn.client.leaseClient.leaseRevoke({ ID: this.leaseId })).catch(() => undefined);
  }

  private finish(end: SessionEnd): void {
    this.done = true;
    clearInterval(this.heartbeat);
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.stream?.end();
    this.stream = null;
    this.resolveEnded(end);
  }

  private expire(message: string): void {
    if (this.done) return;
    this.finish({ reason: 'expired', message });
    // Anything the lease still holds at etcd (it may have outlived our own judgement) goes now.
    void this.revoke();
  }

  private armExpiry(): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = setTimeout(() => this.checkExpiry(), Math.max(0, this.liveness.expiresAt - Date.now()));
    this.expiryTimer.unref();
  }

  private checkExpiry(): boolean {
    if (!this.liveness.expired(Date.now())) return false;
    this.expire(`etcd acknowledged no lease renewal within the session timeout (${this.liveness.ttlMs} ms)`);
    return true;
  }

  private renew(): void {
    if (this.done || this.checkExpiry()) return;
    if (this.stream) {
      this.liveness.sent(Date.now());
      this.stream.write({ ID: this.leaseId });
      return;
    }
    if (this.opening) return;
    this.opening = true;
    this.conn.client.leaseClient
      .leaseKeepAlive()
      .then((stream) => {
        this.opening = false;
        if (this.done) {
          stream.end();
          return;
        }
        const drop = () => {
          if (this.stream === stream) {
            this.stream = null;
            this.liveness.streamLost();
          }
        };
        stream.on('data', (res: ILeaseKeepAliveResponse) => this.acknowledged(res));
        stream.on('error', drop);
        stream.on('end', drop);
        this.stream = stream;
        this.renew();
      })
      .catch(() => {
        this.opening = false; // tried again on the next heartbeat
      });
  }

  private acknowledged(res: ILeaseKeepAliveResponse): void {
    if (this.done) return;
    if (res.TTL === '0') {
      this.expire('etcd no longer has the session lease: it expired');
      return;
    }
    this.liveness.acknowledged(Number(res.TTL) * 1000);
    this.armExpiry();
  }
}
