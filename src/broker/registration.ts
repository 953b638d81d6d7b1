/**
 * Keeps this broker registered in the metadata store: registers at start (waiting out an
 * unreachable store, and a previous process of the same node id whose session has not lapsed yet,
 * as after a kill -9 and a quick restart), and registers again whenever the session is lost.
 * Whoever acts on the session (the controller campaign, partition leadership) hears of each new one.
 */
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-configs.js';
import type { ClusterView } from '../metadata/cluster-view.js';
import { newIncarnationId, type BrokerEndpoint, type BrokerSession, type MetadataStore } from '../metadata/metadata-store.js';
import { MetadataUnavailableError } from '../metadata/metadata-errors.js';
import { ErrorCode, KafkaError } from '../protocol/error-codes.js';

const FIRST_RETRY_MS = 200;
const LONGEST_RETRY_MS = 3000;

export type SessionListener = (session: BrokerSession) => void;

export class BrokerRegistrar {
  private current: BrokerSession | null = null;
  private readonly listeners = new Set<SessionListener>();
  private readonly incarnationId = newIncarnationId();
  private closed = false;
  private readonly abort = new AbortController();

  private constructor(
    private readonly store: MetadataStore,
    private readonly view: ClusterView,
    private readonly config: BrokerConfig,
    /** This broker's advertised endpoint on every listener, as peers and clients reach it. */
    private readonly endpoints: () => BrokerEndpoint[],
    private readonly log: Logger,
  ) {}

  /** Registers and resolves once this broker's own view lists it. */
  static async start(store: MetadataStore, view: ClusterView, config: BrokerConfig, endpoints: () => BrokerEndpoint[], log: Logger): Promise<BrokerRegistrar> {
    const registrar = new BrokerRegistrar(store, view, config, endpoints, log);
    await registrar.register();
    return registrar;
  }

  get session(): BrokerSession | null {
    return this.current;
  }

  /** Calls `listener` with the current session (if any) and with every later one. */
  onSession(listener: SessionListener): () => void {
    this.listeners.add(listener);
    if (this.current) listener(this.current);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.abort.abort();
    await this.current?.close();
  }

  private async register(): Promise<void> {
    const nodeId = this.config.nodeId;
    let pauseMs = FIRST_RETRY_MS;
    for (;;) {
      if (this.closed) return;
      try {
        const session = await this.store.registerBroker({ nodeId, incarnationId: this.incarnationId, endpoints: this.endpoints(), rack: this.config.rack });
        await this.view.waitFor(() => this.view.broker(nodeId)?.epoch === session.broker.epoch || session.broker.epoch < (this.view.broker(nodeId)?.epoch ?? 0), this.abort.signal);
        this.current = session;
        this.log.info({ nodeId, brokerEpoch: session.broker.epoch }, 'registered in the cluster metadata');
        void session.ended.then((end) => this.sessionEnded(session, end.reason === 'expired' ? end.message : null));
        for (const l of this.listeners) l(session);
        return;
      } catch (err) {
        if (this.closed) return;
        const waitingOut = err instanceof KafkaError && err.code === ErrorCode.DUPLICATE_BROKER_REGISTRATION;
        if (!waitingOut && !(err instanceof MetadataUnavailableError)) throw err;
        this.log.warn({ nodeId, retryInMs: pauseMs }, waitingOut ? `node id ${nodeId} is still registered by an earlier process; waiting for its session to lapse (broker.session.timeout.ms)` : `cannot register in the metadata store: ${(err as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, pauseMs).unref());
        pauseMs = Math.min(pauseMs * 2, LONGEST_RETRY_MS);
      }
    }
  }

  private sessionEnded(session: BrokerSession, expired: string | null): void {
    if (this.current !== session) return;
    this.current = null;
    if (this.closed || expired === null) return;
    this.log.error({ nodeId: this.config.nodeId, reason: expired }, 'lost the broker session; registering again');
    this.register().catch((err: unknown) => this.log.error({ err }, 'registering again failed'));
  }
}
