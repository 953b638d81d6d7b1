/**
 * Ends a crashed peer's session at once instead of after broker.session.timeout.ms.
 *
 * Brokers learn that a peer is gone when the store drops its registration, which for a lease
 * takes the session timeout: most of a failover. But when a peer's process dies and its host
 * lives (a crash, an OOM kill, kill -9), the kernel closes the process's sockets, so the links to
 * it drop, and refuses every new connection to its port. So when a link to a peer fails (a
 * follower's link to its leader, or a follower's fetch connection to this leader), this
 * probes the peer's registered endpoint with a plain TCP connect. Refused means nothing listens
 * there any more: the registration at that broker epoch is ended in the store, exactly what the
 * lease's expiry would have done later, and the controller moves leadership as for any lost
 * broker. A connect that succeeds or times out proves nothing (a lost host, a partition, a slow
 * peer) and is left to the lease.
 *
 * Only a peer this broker has reached at the same broker epoch is judged, so a broker whose
 * advertised address is wrong is not ended again and again. A firewall that rejects (rather than
 * drops) traffic between brokers would look like a crash; `tributary.broker.crash.detection.enable`
 * turns the probe off for such networks.
 */
import { connect } from 'node:net';
import type { Logger } from 'pino';
import type { ClusterView } from '../metadata/cluster-view.js';
import type { MetadataStore } from '../metadata/metadata-store.js';

const PROBE_TIMEOUT_MS = 1000;
/** Probes after a link failure: at once, then twice more while the port still listens. */
const REPROBE_PAUSES_MS = [0, 50, 250];

export type ProbeOutcome = 'listening' | 'refused' | 'unknown';

/** One TCP connect to `host:port`, closed at once. */
export function probePort(host: string, port: number, timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (outcome: ProbeOutcome) => {
      socket.destroy();
      resolve(outcome);
    };
    socket.setTimeout(timeoutMs, () => done('unknown'));
    socket.once('connect', () => done('listening'));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED' ? 'refused' : 'unknown'));
  });
}

export interface PeerLinkEvents {
  /** A connection to `nodeId` was established. */
  reached(nodeId: number): void;
  /** A connection to `nodeId` failed or dropped. */
  lost(nodeId: number): void;
  /** Peer `nodeId` fetches from this broker on a connection that ends when `closed` aborts. */
  inbound(nodeId: number, closed: AbortSignal): void;
  /** This broker is stopping: links it drops itself prove nothing about its peers. */
  close(): void;
}

export class PeerCrashDetector implements PeerLinkEvents {
  /** Node id → the broker epoch at which this broker last reached it. */
  private readonly reachedAt = new Map<number, number>();
  /** Node id → the epoch being probed or already ended, so one crash is acted on once. */
  private readonly judged = new Map<number, number>();
  /** Inbound connections already watched (a follower sends many fetches on one). */
  private readonly watched = new WeakSet<AbortSignal>();
  private closed = false;

  constructor(
    private readonly view: ClusterView,
    private readonly store: MetadataStore,
    private readonly log: Logger,
    /** The peer's endpoint on the inter-broker listener (the port its links connect to). */
    private readonly endpointOf: (nodeId: number) => { host: string; port: number } | undefined,
    private readonly probe: (host: string, port: number) => Promise<ProbeOutcome> = probePort,
    private readonly reprobePausesMs: readonly number[] = REPROBE_PAUSES_MS,
  ) {}

  reached(nodeId: number): void {
    const epoch = this.view.broker(nodeId)?.epoch;
    if (epoch !== undefined) this.reachedAt.set(nodeId, epoch);
  }

  inbound(nodeId: number, closed: AbortSignal): void {
    if (this.watched.has(closed)) return;
    this.watched.add(closed);
    // A restarted peer may fetch before this broker's view has its new registration: then the
    // connection is taken for whichever registration the view holds when it ends (the probe
    // still has to find the port refusing).
    const openedAt = this.view.broker(nodeId)?.epoch;
    closed.addEventListener(
      'abort',
      () => {
        const now = this.view.broker(nodeId)?.epoch;
        if (now !== undefined && (openedAt === undefined || openedAt === now)) this.reachedAt.set(nodeId, now);
        void this.lost(nodeId);
      },
      { once: true },
    );
  }

  close(): void {
    this.closed = true;
  }

  /** Resolves once the peer is judged (the link does not wait for it). */
  lost(nodeId: number): Promise<void> {
    return this.judge(nodeId).catch((err: unknown) => this.log.warn({ err, nodeId }, 'could not end the session of a broker whose port refuses connections'));
  }

  /**
   * A dying process's kernel closes its sockets one by one: a link may drop while the listening
   * socket still accepts for a moment, so a port that listens is probed again shortly after.
   */
  private async refusesConnections(host: string, port: number): Promise<boolean> {
    for (const pauseMs of this.reprobePausesMs) {
      if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs).unref());
      const outcome = await this.probe(host, port);
      if (outcome === 'refused') return true;
      if (outcome === 'unknown') return false;
    }
    return false;
  }

  private async judge(nodeId: number): Promise<void> {
    const broker = this.view.broker(nodeId);
    const endpoint = broker ? this.endpointOf(nodeId) : undefined;
    if (this.closed || !broker || !endpoint || this.reachedAt.get(nodeId) !== broker.epoch || this.judged.get(nodeId) === broker.epoch) return;
    this.judged.set(nodeId, broker.epoch);
    let ended = false;
    try {
      if (!(await this.refusesConnections(endpoint.host, endpoint.port)) || this.closed) return;
      ended = await this.store.endBrokerSession(nodeId, broker.epoch);
    } finally {
      // Judged again at the next failure unless this one ended the registration.
      if (!ended && this.judged.get(nodeId) === broker.epoch) this.judged.delete(nodeId);
    }
    this.log.warn({ nodeId, brokerEpoch: broker.epoch, endpoint: `${endpoint.host}:${endpoint.port}` }, `broker ${nodeId}'s link dropped and its port refuses connections: its process stopped, so its session is ended now rather than after broker.session.timeout.ms`);
  }
}

/** What a link reports to when crash detection is off. */
export const NO_PEER_EVENTS: PeerLinkEvents = { reached: () => undefined, lost: () => undefined, inbound: () => undefined, close: () => undefined };
