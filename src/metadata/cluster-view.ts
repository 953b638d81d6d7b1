/**
 * A broker's synchronous picture of the cluster's metadata, fed by the store's watches: topics,
 * every partition's state, the live brokers and the controller. Handlers and the replica manager
 * read it on the hot path; nobody reads the store directly there.
 *
 * The four scopes are watched separately, so a partition's state may arrive before or after its
 * topic: readers treat the view level-wise (what is there now), never as a sequence of steps.
 * Listeners hear of every batch once it is applied.
 */
import type { TopicRecord } from './local-store.js';
import type {
  ControllerInfo,
  MetadataChange,
  MetadataStore,
  MetadataSubscription,
  MetadataWatchBatch,
  RegisteredBroker,
  VersionedPartitionState,
  WatchScope,
} from './metadata-store.js';

export type ViewListener = (changes: readonly MetadataChange[]) => void;

export interface ClusterViewEvents {
  /** The store was lost or is back (each watch reports it; the view reports each transition once). */
  connection?(state: 'lost' | 'restored', cause?: Error): void;
  invalid?(key: string, err: Error): void;
}

const SCOPES: readonly WatchScope[] = ['brokers', 'controller', 'topics', 'partitions'];

export class ClusterView {
  private readonly topicsByName = new Map<string, TopicRecord>();
  private readonly topicsById = new Map<string, TopicRecord>();
  private readonly states = new Map<string, Map<number, VersionedPartitionState>>();
  private readonly live = new Map<number, RegisteredBroker>();
  private controllerInfo: ControllerInfo | null = null;
  private readonly listeners = new Set<ViewListener>();
  private readonly subscriptions: MetadataSubscription[] = [];
  private readonly lostScopes = new Set<WatchScope>();
  private closed = false;

  private constructor(private readonly events: ClusterViewEvents) {}

  /** Starts the watches; resolves once each has delivered its first snapshot. */
  static async open(store: MetadataStore, events: ClusterViewEvents = {}): Promise<ClusterView> {
    const view = new ClusterView(events);
    try {
      for (const scope of SCOPES) {
        view.subscriptions.push(
          await store.watch(scope, {
            changes: (batch) => view.apply(batch),
            connection: (state, cause) => view.connectionChanged(scope, state, cause),
            invalid: (key, err) => events.invalid?.(key, err),
          }),
        );
      }
    } catch (err) {
      await view.close();
      throw err;
    }
    return view;
  }

  topics(): TopicRecord[] {
    return [...this.topicsByName.values()];
  }

  topic(name: string): TopicRecord | undefined {
    return this.topicsByName.get(name);
  }

  topicById(topicId: string): TopicRecord | undefined {
    return this.topicsById.get(topicId);
  }

  partition(topicId: string, partition: number): VersionedPartitionState | undefined {
    return this.states.get(topicId)?.get(partition);
  }

  /** Live brokers by node id, lowest first. */
  brokers(): RegisteredBroker[] {
    return [...this.live.values()].sort((a, b) => a.nodeId - b.nodeId);
  }

  broker(nodeId: number): RegisteredBroker | undefined {
    return this.live.get(nodeId);
  }

  isAlive(nodeId: number): boolean {
    return this.live.has(nodeId);
  }

  controller(): ControllerInfo | null {
    return this.controllerInfo;
  }

  /** True while at least one watch has lost the store. */
  get storeLost(): boolean {
    return this.lostScopes.size > 0;
  }

  /** Calls `listener` after each applied batch until the returned function is called. */
  onChange(listener: ViewListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Resolves once `condition` holds (checked now and after every batch); rejects when `signal`
   * aborts or the view closes. Callers bound the wait with the signal.
   */
  waitFor(condition: () => boolean, signal?: AbortSignal): Promise<void> {
    if (condition()) return Promise.resolve();
    if (this.closed) return Promise.reject(new Error('the metadata view is closed'));
    return new Promise((resolve, reject) => {
      const finish = (err?: Error) => {
        stop();
        signal?.removeEventListener('abort', aborted);
        this.closeWaiters.delete(onClose);
        if (err) reject(err);
        else resolve();
      };
      const aborted = () => finish(signal?.reason instanceof Error ? signal.reason : new Error('the wait for metadata was aborted'));
      const onClose = () => finish(new Error('the metadata view is closed'));
      const stop = this.onChange(() => {
        if (condition()) finish();
      });
      this.closeWaiters.add(onClose);
      if (signal?.aborted) aborted();
      else signal?.addEventListener('abort', aborted, { once: true });
    });
  }

  private readonly closeWaiters = new Set<() => void>();

  async close(): Promise<void> {
    this.closed = true;
    for (const w of [...this.closeWaiters]) w();
    this.listeners.clear();
    await Promise.all(this.subscriptions.splice(0).map((s) => s.close()));
  }

  private apply(batch: MetadataWatchBatch): void {
    if (this.closed) return;
    for (const change of batch.changes) this.applyOne(change);
    for (const listener of [...this.listeners]) listener(batch.changes);
  }

  private applyOne(change: MetadataChange): void {
    switch (change.kind) {
      case 'topic': {
        const previous = this.topicsByName.get(change.name);
        if (previous) this.topicsById.delete(previous.topicId);
        if (change.topic) {
          this.topicsByName.set(change.name, change.topic);
          this.topicsById.set(change.topic.topicId, change.topic);
        } else {
          this.topicsByName.delete(change.name);
        }
        // A topic's partition states outlive it only until their own deletions arrive.
        if (previous && previous.topicId !== change.topic?.topicId) this.states.delete(previous.topicId);
        return;
      }
      case 'partition': {
        let byIndex = this.states.get(change.topicId);
        if (change.state) {
          if (!byIndex) this.states.set(change.topicId, (byIndex = new Map()));
          byIndex.set(change.partition, change.state);
        } else {
          byIndex?.delete(change.partition);
          if (byIndex?.size === 0) this.states.delete(change.topicId);
        }
        return;
      }
      case 'broker':
        if (change.broker) this.live.set(change.nodeId, change.broker);
        else this.live.delete(change.nodeId);
        return;
      case 'controller':
        this.controllerInfo = change.controller;
        return;
    }
  }

  private connectionChanged(scope: WatchScope, state: 'lost' | 'restored', cause?: Error): void {
    const wasLost = this.storeLost;
    if (state === 'lost') this.lostScopes.add(scope);
    else this.lostScopes.delete(scope);
    if (wasLost !== this.storeLost) this.events.connection?.(state, cause);
  }
}
