/**
 * The cluster controller of one broker session: campaigns for the role and, while it holds it,
 * runs a ControllerTerm (watch, decide, write by compare-and-set).
 *
 * Wiring (the root does it, one runner per BrokerSession):
 *
 *   const runner = ControllerRunner.start({ store, session, settings: controllerSettings(config), scheduler, log });
 *   // scheduler: optional; src/coordinator/scheduler.ts's systemScheduler / ManualScheduler fit (same shape).
 *   // ElectLeaders handler (Kafka sends it to the controller):
 *   const answer = await runner.electLeaders('preferred', [{ topic: 'orders', partition: 0 }]);
 *   //   answer.errorCode === NOT_CONTROLLER when this broker is not the controller; else one
 *   //   result per partition (errorCode 0, ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE,
 *   //   ELIGIBLE_LEADERS_NOT_AVAILABLE, UNKNOWN_TOPIC_OR_PARTITION, REQUEST_TIMED_OUT).
 *   // Broker shutdown (if controlled.shutdown.enable): move leadership first (retried per
 *   // controlled.shutdown.max.retries / .retry.backoff.ms), stop the replica fetchers, then close.
 *   const result = await runner.controlledShutdown(); // { completed, remaining, error }
 *   await runner.close();          // stops campaigning, ends the term, resigns the role
 *   await session.close();
 *
 * When the session ends (expired) the runner stops by itself; a broker that registers again
 * starts a new runner with the new session. `runner.controller` is the current term (null when
 * not controller); tests await `runner.becameController()` and `term.reconciled`.
 *
 * New topics and partitions (TopicService): replica-assignment.ts (assignReplicas,
 * assignAddedPartitions), assignment-validation.ts and metadata-store.ts's initialPartitionState
 * are pure functions.
 *
 * The campaign: `session.campaignForController()` waits while another broker is controller; if
 * it rejects (the store unreachable), it is retried after a backoff that doubles up to a bound.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import type { BrokerSession, MetadataStore } from '../metadata/metadata-store.js';
import type { BrokerConfig } from '../config/broker-configs.js';
import type { ElectionResult } from './controller-decisions.js';
import { ControllerTerm, type ControllerLog, type ControllerSettings } from './controller-term.js';
import { runControlledShutdown, type ControlledShutdownResult } from './controlled-shutdown.js';
import { DEFAULT_WRITE_CONCURRENCY } from './partition-writer.js';
import { pause, systemControllerScheduler, type ControllerScheduler } from './controller-scheduler.js';

export interface ControllerRunnerOptions {
  readonly store: MetadataStore;
  readonly session: BrokerSession;
  readonly settings?: Partial<ControllerSettings>;
  readonly scheduler?: ControllerScheduler;
  readonly log?: ControllerLog;
  /** First and longest wait before campaigning again after a failed attempt (default 100 ms, 5 s). */
  readonly campaignBackoffMs?: { readonly initial: number; readonly max: number };
}

export interface NamedPartition {
  readonly topic: string;
  readonly partition: number;
}

export type ElectLeadersAnswer =
  | { readonly errorCode: typeof ErrorCode.NOT_CONTROLLER; readonly results: readonly [] }
  | { readonly errorCode: 0; readonly results: readonly (NamedPartition & { readonly errorCode: number; readonly errorMessage: string | null })[] };

export const DEFAULT_CONTROLLER_SETTINGS: ControllerSettings = {
  uncleanLeaderElectionDefault: false,
  autoLeaderRebalanceEnable: true,
  leaderImbalanceCheckIntervalMs: 300_000,
  leaderImbalancePerBrokerPercentage: 10,
  controlledShutdownMaxRetries: 3,
  controlledShutdownRetryBackoffMs: 5000,
  writeConcurrency: DEFAULT_WRITE_CONCURRENCY,
};

/** The controller's settings from the broker config (Kafka's keys). */
export function controllerSettings(config: BrokerConfig): ControllerSettings {
  return {
    // Read at each election: a dynamic broker config (the cluster-wide default) may change it.
    uncleanLeaderElectionDefault: () => config.bool('unclean.leader.election.enable'),
    autoLeaderRebalanceEnable: config.bool('auto.leader.rebalance.enable'),
    leaderImbalanceCheckIntervalMs: config.int('leader.imbalance.check.interval.seconds') * 1000,
    leaderImbalancePerBrokerPercentage: config.int('leader.imbalance.per.broker.percentage'),
    controlledShutdownMaxRetries: config.int('controlled.shutdown.max.retries'),
    controlledShutdownRetryBackoffMs: config.int('controlled.shutdown.retry.backoff.ms'),
    writeConcurrency: DEFAULT_WRITE_CONCURRENCY,
  };
}

export class ControllerRunner {
  private term: ControllerTerm | null = null;
  private closed = false;
  private closing!: () => void;
  private readonly closedSignal = new Promise<void>((resolve) => (this.closing = resolve));
  private readonly loop: Promise<void>;
  private readonly settings: ControllerSettings;
  private readonly scheduler: ControllerScheduler;
  private readonly log: ControllerLog;
  private readonly termWaiters = new Set<(term: ControllerTerm) => void>();

  private constructor(private readonly options: ControllerRunnerOptions) {
    this.settings = { ...DEFAULT_CONTROLLER_SETTINGS, ...options.settings };
    this.scheduler = options.scheduler ?? systemControllerScheduler;
    this.log = options.log ?? (() => {});
    this.loop = this.campaign();
  }

  static start(options: ControllerRunnerOptions): ControllerRunner {
    return new ControllerRunner(options);
  }

  /** The current term, or null when this broker is not the controller. */
  get controller(): ControllerTerm | null {
    return this.term;
  }

  /** Resolves with the term once this broker is the controller. */
  becameController(): Promise<ControllerTerm> {
    if (this.term) return Promise.resolve(this.term);
    return new Promise((resolve) => this.termWaiters.add(resolve));
  }

  async electLeaders(type: 'preferred' | 'unclean', partitions: readonly NamedPartition[]): Promise<ElectLeadersAnswer> {
    const term = this.term;
    if (!term) return { errorCode: ErrorCode.NOT_CONTROLLER, results: [] };
    await term.reconciled;
    const known = partitions.map((p) => ({ named: p, topicId: term.view.topicIdOf(p.topic) }));
    const refs = known.flatMap((k) => (k.topicId === undefined ? [] : [{ topicId: k.topicId, partition: k.named.partition }]));
    const elected: ElectionResult[] = await term.electLeaders(type, refs);
    let next = 0;
    const results = known.map((k) => {
      if (k.topicId === undefined) return { ...k.named, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic '${k.named.topic}' does not exist.` };
      const r = elected[next++];
      return { ...k.named, errorCode: r?.errorCode ?? ErrorCode.NOT_CONTROLLER, errorMessage: r ? r.errorMessage : 'The controller role ended.' };
    });
    return { errorCode: 0, results };
  }

  /** AlterPartitionReassignments: each partition to `target` (null cancels), answered per partition. */
  async alterReassignments(partitions: readonly (NamedPartition & { readonly target: readonly number[] | null })[]): Promise<ElectLeadersAnswer> {
    const term = this.term;
    if (!term) return { errorCode: ErrorCode.NOT_CONTROLLER, results: [] };
    await term.reconciled;
    const known = partitions.map((p) => ({ named: p, topicId: term.view.topicIdOf(p.topic) }));
    const requests = known.flatMap((k) => (k.topicId === undefined ? [] : [{ topicId: k.topicId, partition: k.named.partition, target: k.named.target }]));
    const names = new Map(known.map((k) => [`${k.topicId}:${k.named.partition}`, `${k.named.topic}-${k.named.partition}`]));
    const decided: ElectionResult[] = await term.alterReassignments(requests, (ref) => names.get(`${ref.topicId}:${ref.partition}`) ?? `${ref.topicId}-${ref.partition}`);
    let next = 0;
    const results = known.map((k) => {
      const named = { topic: k.named.topic, partition: k.named.partition };
      if (k.topicId === undefined) return { ...named, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic '${k.named.topic}' does not exist.` };
      const r = decided[next++];
      return { ...named, errorCode: r?.errorCode ?? ErrorCode.NOT_CONTROLLER, errorMessage: r ? r.errorMessage : 'The controller role ended.' };
    });
    return { errorCode: 0, results };
  }

  /**
   * Moves leadership off `nodeId` (default: this broker) through the store (controlled-shutdown.ts),
   * trying again up to controlled.shutdown.max.retries times, controlled.shutdown.retry.backoff.ms
   * apart, while the store fails or partitions remain, as Kafka's broker does. The last attempt's
   * result is answered; the broker shuts down either way (with controlled.shutdown.enable=false the
   * root skips this call).
   */
  async controlledShutdown(nodeId = this.options.session.broker.nodeId): Promise<ControlledShutdownResult> {
    // If this broker is the controller its own term must not elect the broker again meanwhile.
    this.term?.view.shuttingDown.add(nodeId);
    let result = await runControlledShutdown(this.options.store, nodeId, this.settings.writeConcurrency);
    for (let retry = 0; retry < this.settings.controlledShutdownMaxRetries && !result.completed; retry++) {
      this.log(`controlled shutdown of broker ${nodeId} incomplete (${result.error?.message ?? `${result.remaining.length} partitions still led`}), retrying in ${this.settings.controlledShutdownRetryBackoffMs} ms`);
      if (!(await pause(this.scheduler, this.settings.controlledShutdownRetryBackoffMs, this.closedSignal))) break;
      result = await runControlledShutdown(this.options.store, nodeId, this.settings.writeConcurrency);
    }
    return result;
  }

  /** Stops campaigning and, if controller, ends the term and resigns the role. */
  async close(): Promise<void> {
    if (this.closed) return this.loop;
    this.closed = true;
    this.closing();
    await this.loop;
  }

  private async campaign(): Promise<void> {
    const { session } = this.options;
    const backoff = this.options.campaignBackoffMs ?? { initial: 100, max: 5000 };
    let wait = backoff.initial;
    let sessionOver = false;
    void session.ended.then(() => (sessionOver = true));
    const stop = Promise.race([this.closedSignal, session.ended]);
    while (!this.closed && !sessionOver) {
      const attempt = session.campaignForController();
      const won = await Promise.race([attempt.then((l) => ({ leadership: l }), (err: Error) => ({ err })), stop.then(() => null)]);
      if (won === null) {
        // Closed while waiting: if the campaign still wins, give the role back at once.
        attempt.then((l) => l.resign(), () => undefined).catch(() => undefined);
        break;
      }
      if ('err' in won) {
        if (sessionOver || this.closed) break;
        this.log(`controller campaign failed, retrying in ${wait} ms: ${won.err.message}`);
        await pause(this.scheduler, wait, stop);
        wait = Math.min(wait * 2, backoff.max);
        continue;
      }
      wait = backoff.initial;
      await this.serve(won.leadership, stop);
    }
  }

  private async serve(leadership: Awaited<ReturnType<BrokerSession['campaignForController']>>, stop: Promise<unknown>): Promise<void> {
    let term: ControllerTerm;
    try {
      term = await ControllerTerm.start(this.options.store, leadership, this.settings, this.scheduler, this.log);
    } catch (err) {
      this.log(`controller could not start watching, resigning: ${(err as Error).message}`);
      await leadership.resign().catch(() => undefined);
      await pause(this.scheduler, this.options.campaignBackoffMs?.initial ?? 100, stop);
      return;
    }
    this.term = term;
    this.log(`broker ${leadership.nodeId} is the controller (epoch ${leadership.epoch})`);
    for (const w of this.termWaiters) w(term);
    this.termWaiters.clear();
    await Promise.race([leadership.ended, stop]);
    this.term = null;
    await term.stop();
    if (this.closed) await leadership.resign().catch(() => undefined);
  }
}
