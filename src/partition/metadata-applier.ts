/**
 * Applies the cluster's metadata to this broker's partitions: the one place its partition logs are
 * opened and removed, and where each partition learns its state (leader or follower, epoch, ISR).
 * It acts on every change the view reports, whoever made it (this broker's TopicService, another
 * broker, the controller), and TopicService waits for it after a change of its own.
 *
 * Work is level-based and per topic name: a pass compares what the view shows now with what is
 * open, so passes may be merged or repeated freely. Passes for one name run one at a time.
 */
import type { ClusterView } from '../metadata/cluster-view.js';
import type { TopicRecord } from '../metadata/local-store.js';
import type { MetadataChange } from '../metadata/metadata-store.js';
import { KeyedSerializer } from './keyed-serializer.js';
import type { ReplicaManager } from './replica-manager.js';
import type { LocalTopicApplier } from './topic-service.js';

export interface MetadataApplierEvents {
  /** A pass started by a watch (nobody waits for it) failed. */
  onError(topic: string, err: unknown): void;
}

export class MetadataApplier implements LocalTopicApplier {
  private readonly serial = new KeyedSerializer();
  private readonly deletedListeners: ((topic: TopicRecord) => Promise<void>)[] = [];
  private stopWatching: (() => void) | null = null;

  constructor(
    private readonly nodeId: number,
    private readonly view: ClusterView,
    private readonly replicas: ReplicaManager,
    private readonly events: MetadataApplierEvents,
  ) {}

  /** The partitions of each topic in the view that this broker holds (for the start's bulk load). */
  held(): { topic: TopicRecord; partitions: number[] }[] {
    return this.view.topics().map((topic) => ({ topic, partitions: this.mine(topic) }));
  }

  /** From now on, every change the view reports is applied. Call after the start's bulk load. */
  start(): void {
    this.stopWatching = this.view.onChange((changes) => {
      for (const name of this.affected(changes)) void this.apply(name).catch((err: unknown) => this.events.onError(name, err));
    });
    // Changes that came between the bulk load and now.
    for (const t of this.view.topics()) void this.apply(t.name).catch((err: unknown) => this.events.onError(t.name, err));
    for (const name of this.replicasNames()) if (!this.view.topic(name)) void this.apply(name).catch((err: unknown) => this.events.onError(name, err));
  }

  stop(): void {
    this.stopWatching?.();
    this.stopWatching = null;
  }

  onTopicDeleted(listener: (topic: TopicRecord) => Promise<void>): void {
    this.deletedListeners.push(listener);
  }

  apply(name: string): Promise<void> {
    return this.serial.run(name, () => this.applyNow(name));
  }

  /** Waits for the passes under way (at shutdown, before the logs close). */
  idle(): Promise<void> {
    return this.serial.idle();
  }

  private async applyNow(name: string): Promise<void> {
    const wanted = this.view.topic(name);
    const local = this.replicas.localTopic(name);
    if (local && local.topicId !== wanted?.topicId) {
      await this.replicas.deleteTopic(local);
      for (const listener of this.deletedListeners) await listener(local).catch(() => undefined);
    }
    if (!wanted) return;
    const mine = this.mine(wanted);
    const mineSet = new Set(mine);
    const moved = this.replicas.localPartitions(name).filter((p) => !mineSet.has(p));
    if (moved.length > 0) await this.replicas.deletePartitions(wanted, moved);
    await this.replicas.createPartitions(wanted, mine);
    if (local && local.topicId === wanted.topicId && local !== wanted) this.replicas.configsChanged(wanted);
    for (const p of mine) {
      const state = this.view.partition(wanted.topicId, p);
      const partition = this.replicas.get(name, p);
      if (state && partition) partition.applyState(state.state, state.version, this.nodeId);
    }
  }

  /** The partitions of `topic` this broker is a replica of. */
  private mine(topic: TopicRecord): number[] {
    const out: number[] = [];
    for (let p = 0; p < topic.partitions; p++) {
      if (this.view.partition(topic.topicId, p)?.state.replicas.includes(this.nodeId)) out.push(p);
    }
    return out;
  }

  private affected(changes: readonly MetadataChange[]): Set<string> {
    const names = new Set<string>();
    for (const c of changes) {
      if (c.kind === 'topic') names.add(c.name);
      else if (c.kind === 'partition') {
        const name = this.view.topicById(c.topicId)?.name ?? this.replicasNameOf(c.topicId);
        if (name !== undefined) names.add(name);
      }
    }
    return names;
  }

  private replicasNames(): string[] {
    return this.replicas.localTopicNames();
  }

  private replicasNameOf(topicId: string): string | undefined {
    return this.replicas.localTopicNames().find((n) => this.replicas.localTopic(n)?.topicId === topicId);
  }
}
