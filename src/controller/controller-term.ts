/**
 * One term as controller: from winning the election until the role ends. It watches brokers,
 * topics and partitions (each watch's first batch is a snapshot), keeps the controller's view,
 * and once all three snapshots are in, reconciles everything (brokers may have died while nobody
 * was controller). After that, every broker change and every partition change made by someone else
 * becomes an event; events are decided and written one at a time, in order.
 */
import { ErrorCode, KafkaError } from '../protocol/error-codes.js';
import type { ControllerLeadership, MetadataStore, MetadataWatchBatch, MetadataSubscription, WatchScope } from '../metadata/metadata-store.js';
import { decide, type ControllerEvent, type ControllerView, type ElectionResult, type PartitionRef, type ReassignmentRequest } from './controller-decisions.js';
import { ClusterControllerView } from './controller-view.js';
import { reconcile } from './partition-transitions.js';
import { writePartitionStates } from './partition-writer.js';
import type { ControllerScheduler, ControllerTimer } from './controller-scheduler.js';

export interface ControllerSettings {
  /**
   * unclean.leader.election.enable (the broker default; topics may override it); a function when
   * it is read at each decision, as a dynamic broker config may change it.
   */
  readonly uncleanLeaderElectionDefault: boolean | (() => boolean);
  /** auto.leader.rebalance.enable */
  readonly autoLeaderRebalanceEnable: boolean;
  /** leader.imbalance.check.interval.seconds, in ms */
  readonly leaderImbalanceCheckIntervalMs: number;
  /** leader.imbalance.per.broker.percentage */
  readonly leaderImbalancePerBrokerPercentage: number;
  /** controlled.shutdown.max.retries */
  readonly controlledShutdownMaxRetries: number;
  /** controlled.shutdown.retry.backoff.ms */
  readonly controlledShutdownRetryBackoffMs: number;
  /** Groups of partition-state writes (up to 128 each, one etcd transaction) in flight at once. */
  readonly writeConcurrency: number;
}

export type ControllerLog = (message: string) => void;

interface Job {
  event: ControllerEvent;
  done?: (results: ElectionResult[]) => void;
}

const refKey = (r: PartitionRef) => `${r.topicId}:${r.partition}`;

/** The view narrowed to some partitions, for deciding again after lost races. */
function narrowed(view: ControllerView, refs: readonly PartitionRef[]): ControllerView {
  const keys = new Set(refs.map(refKey));
  return {
    live: view.live,
    shuttingDown: view.shuttingDown,
    partitions: () => [...view.partitions()].filter((p) => keys.has(refKey(p))),
    partition: (t, p) => (keys.has(`${t}:${p}`) ? view.partition(t, p) : undefined),
    uncleanLeaderElection: (t) => view.uncleanLeaderElection(t),
  };
}

export class ControllerTerm {
  readonly view: ClusterControllerView;
  private readonly subscriptions: MetadataSubscription[] = [];
  private readonly snapshotsPending = new Set<string>(['brokers', 'topics', 'partitions']);
  private readonly queue: Job[] = [];
  private draining: Promise<void> | null = null;
  private stopped = false;
  private rebalanceTimer: ControllerTimer | null = null;
  /** Resolves once the first reconciliation has been written (or the term stopped first). */
  readonly reconciled: Promise<void>;
  private markReconciled!: () => void;

  private constructor(
    private readonly store: MetadataStore,
    readonly leadership: ControllerLeadership,
    private readonly settings: ControllerSettings,
    private readonly scheduler: ControllerScheduler,
    private readonly log: ControllerLog,
  ) {
    this.view = new ClusterControllerView(settings.uncleanLeaderElectionDefault);
    this.reconciled = new Promise((resolve) => (this.markReconciled = resolve));
  }

  static async start(store: MetadataStore, leadership: ControllerLeadership, settings: ControllerSettings, scheduler: ControllerScheduler, log: ControllerLog): Promise<ControllerTerm> {
    const term = new ControllerTerm(store, leadership, settings, scheduler, log);
    try {
      for (const scope of ['brokers', 'topics', 'partitions'] as const) term.subscriptions.push(await term.watch(scope));
    } catch (err) {
      await term.stop();
      throw err;
    }
    term.armRebalance();
    return term;
  }

  /** Decides and writes an ElectLeaders request; resolves with one result per partition. */
  electLeaders(type: 'preferred' | 'unclean', partitions: readonly PartitionRef[]): Promise<ElectionResult[]> {
    return new Promise((resolve) => this.enqueue({ event: { kind: 'elect-leaders', type, partitions }, done: resolve }));
  }

  /** Decides and writes an AlterPartitionReassignments request; resolves with one result per partition. */
  alterReassignments(partitions: readonly ReassignmentRequest[], nameOf: (ref: PartitionRef) => string): Promise<ElectionResult[]> {
    return new Promise((resolve) => this.enqueue({ event: { kind: 'alter-reassignments', partitions, nameOf }, done: resolve }));
  }

  /** Stops acting: no further writes are started; waits for the one under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.rebalanceTimer?.cancel();
    // Whoever waits on a queued request hears that this term will not answer it.
    for (const job of this.queue.splice(0)) job.done?.([]);
    this.markReconciled();
    await Promise.all(this.subscriptions.map((s) => s.close().catch(() => undefined)));
    await this.draining;
  }

  private watch(scope: WatchScope & string): Promise<MetadataSubscription> {
    return this.store.watch(scope, {
      changes: (batch) => this.onBatch(scope, batch),
      connection: (state, cause) => this.log(`controller watch of ${scope} ${state}${cause ? `: ${cause.message}` : ''}`),
      invalid: (key, err) => this.log(`controller ignores unreadable metadata at ${key}: ${err.message}`),
    });
  }

  private onBatch(scope: string, batch: MetadataWatchBatch): void {
    if (this.stopped) return;
    if (batch.changes.some((c) => c.kind === 'broker' && c.nodeId === this.leadership.nodeId && c.broker === null)) {
      // Our own registration is gone, so is the role (its end reaches us a little later): act no more.
      void this.stop();
      return;
    }
    const events = this.view.apply(batch.changes);
    if (this.snapshotsPending.size > 0) {
      this.snapshotsPending.delete(scope);
      if (this.snapshotsPending.size === 0) this.enqueue({ event: { kind: 'reconcile' } });
      return;
    }
    if (batch.snapshot) {
      // A re-synchronisation after the store lost history: anything may have happened.
      this.enqueue({ event: { kind: 'reconcile' } });
      return;
    }
    for (const event of events) this.enqueue({ event });
    const needed: PartitionRef[] = [];
    for (const c of batch.changes) {
      if (c.kind !== 'partition' || c.state === null) continue;
      const p = this.view.partition(c.topicId, c.partition);
      if (p && reconcile(p.state, this.view, this.view.uncleanLeaderElection(p.topicId)) !== null) needed.push(p);
    }
    if (needed.length > 0) this.enqueue({ event: { kind: 'reconcile', partitions: needed.map((p) => ({ topicId: p.topicId, partition: p.partition })) } });
  }

  private enqueue(job: Job): void {
    if (this.stopped) {
      job.done?.([]);
      return;
    }
    const e = job.event;
    // A broker that left and came back before the departure was handled is a bounce.
    if (e.kind === 'broker-registered' && !e.bounced && this.queue.some((j) => j.event.kind === 'broker-gone' && j.event.nodeId === e.nodeId)) {
      job.event = { ...e, bounced: true };
    }
    this.queue.push(job);
    if (!this.draining && this.snapshotsPending.size === 0) this.draining = this.drain().finally(() => (this.draining = null));
  }

  private async drain(): Promise<void> {
    for (let job = this.queue.shift(); job && !this.stopped; job = this.queue.shift()) {
      try {
        const results = await this.run(job.event);
        job.done?.(results);
      } catch (err) {
        this.log(`controller failed to handle ${job.event.kind}: ${(err as Error).message}`);
        job.done?.([]);
      }
      if (job.event.kind === 'reconcile' && !job.event.partitions) this.markReconciled();
    }
  }

  private async run(event: ControllerEvent): Promise<ElectionResult[]> {
    const answered = event.kind === 'elect-leaders' || event.kind === 'alter-reassignments';
    if (answered) await this.refresh(event.partitions);
    const decision = decide(this.view, event);
    const results = new Map(decision.elections.map((r) => [refKey(r), r]));
    const outcome = await writePartitionStates(
      this.store,
      decision.writes,
      {
        written: (w, version) => this.view.recordWrite(w.topicId, w.partition, w.next, version),
        lost: (topicId, partition, current) => {
          if (current) this.view.recordWrite(topicId, partition, current.state, current.version);
        },
        redecide: (refs) => {
          const keys = new Set(refs.map(refKey));
          const narrowedEvent: ControllerEvent =
            event.kind === 'elect-leaders'
              ? { ...event, partitions: refs }
              : event.kind === 'alter-reassignments'
                ? { ...event, partitions: event.partitions.filter((p) => keys.has(refKey(p))) }
                : event;
          const again = decide(narrowed(this.view, refs), narrowedEvent);
          for (const r of again.elections) results.set(refKey(r), r);
          return again.writes;
        },
        stopped: () => this.stopped,
      },
      this.settings.writeConcurrency,
      { controllerEpoch: this.leadership.epoch },
    );
    if (outcome.failed.some((f) => f.error instanceof KafkaError && f.error.code === ErrorCode.NOT_CONTROLLER)) {
      // Another broker was elected meanwhile: its term decides from here on.
      this.log(`controller epoch ${this.leadership.epoch} was fenced: another broker is the controller`);
      void this.stop();
    }
    for (const f of outcome.failed) {
      this.log(`controller could not write ${f.write.topicId}-${f.write.partition}: ${f.error?.message ?? 'lost the compare-and-set race repeatedly'}`);
      const r = results.get(refKey(f.write));
      if (r) results.set(refKey(f.write), { ...r, errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: 'The controller could not write the election to the metadata store.' });
    }
    if (!answered) return [];
    return event.partitions.map((ref) => {
      const r = results.get(refKey(ref)) ?? { ...ref, errorCode: 0, errorMessage: null };
      return { topicId: r.topicId, partition: r.partition, errorCode: r.errorCode, errorMessage: r.errorMessage };
    });
  }

  /**
   * Reads the named partitions' topics from the store: an ElectLeaders answer must not rest on a
   * watch that has not yet brought a leader's ISR change.
   */
  private async refresh(refs: readonly PartitionRef[]): Promise<void> {
    for (const topicId of new Set(refs.map((r) => r.topicId))) {
      for (const s of await this.store.partitionStates(topicId)) this.view.recordWrite(topicId, s.partition, s.state, s.version);
    }
  }

  private armRebalance(): void {
    if (!this.settings.autoLeaderRebalanceEnable || this.stopped) return;
    this.rebalanceTimer = this.scheduler.schedule(this.settings.leaderImbalanceCheckIntervalMs, () => {
      this.enqueue({ event: { kind: 'rebalance-check', imbalancePercentage: this.settings.leaderImbalancePerBrokerPercentage } });
      this.armRebalance();
    });
  }
}
