/**
 * The controller's in-memory view of the cluster, fed by metadata watch batches (brokers, topics,
 * partitions): what `decide` reads. It also turns broker changes into controller events, since
 * whether a registration is a return or a bounce (a new broker epoch while the old one was still
 * live) is only known by comparing with what the view held.
 */
import type { MetadataChange, RegisteredBroker, TopicRecord } from '../metadata/metadata-store.js';
import type { ControllerEvent, ControllerPartition, ControllerView } from './controller-decisions.js';

function key(topicId: string, partition: number): string {
  return `${topicId}:${partition}`;
}

export class ClusterControllerView implements ControllerView {
  readonly live = new Set<number>();
  readonly shuttingDown = new Set<number>();
  private readonly brokers = new Map<number, RegisteredBroker>();
  private readonly topicsById = new Map<string, TopicRecord>();
  private readonly topicIdByName = new Map<string, string>();
  private readonly states = new Map<string, ControllerPartition>();

  /** @param uncleanDefault the broker's unclean.leader.election.enable, for topics without an override (read at each decision when a function). */
  constructor(private readonly uncleanDefault: boolean | (() => boolean)) {}

  partitions(): Iterable<ControllerPartition> {
    return this.states.values();
  }

  partition(topicId: string, partition: number): ControllerPartition | undefined {
    return this.states.get(key(topicId, partition));
  }

  get partitionCount(): number {
    return this.states.size;
  }

  uncleanLeaderElection(topicId: string): boolean {
    const override = this.topicsById.get(topicId)?.configs['unclean.leader.election.enable'];
    if (override !== undefined) return override.toLowerCase() === 'true';
    return typeof this.uncleanDefault === 'function' ? this.uncleanDefault() : this.uncleanDefault;
  }

  broker(nodeId: number): RegisteredBroker | undefined {
    return this.brokers.get(nodeId);
  }

  topicIdOf(name: string): string | undefined {
    return this.topicIdByName.get(name);
  }

  topicNameOf(topicId: string): string | undefined {
    return this.topicsById.get(topicId)?.name;
  }

  /** Records a partition state the controller itself wrote (its watch will bring the same). */
  recordWrite(topicId: string, partition: number, state: ControllerPartition['state'], version: number): void {
    const current = this.states.get(key(topicId, partition));
    if (current && current.version >= version) return;
    this.states.set(key(topicId, partition), { topicId, partition, state, version });
  }

  /** Applies changes and answers the broker events they amount to, in order. */
  apply(changes: readonly MetadataChange[]): ControllerEvent[] {
    const events: ControllerEvent[] = [];
    for (const c of changes) {
      switch (c.kind) {
        case 'broker':
          this.applyBroker(c.nodeId, c.broker, events);
          break;
        case 'topic':
          this.applyTopic(c.name, c.topic);
          break;
        case 'partition': {
          const k = key(c.topicId, c.partition);
          if (c.state === null) this.states.delete(k);
          else if ((this.states.get(k)?.version ?? -1) <= c.state.version) {
            this.states.set(k, { topicId: c.topicId, partition: c.partition, state: c.state.state, version: c.state.version });
          }
          break;
        }
        case 'controller':
          break;
      }
    }
    return events;
  }

  private applyBroker(nodeId: number, broker: RegisteredBroker | null, events: ControllerEvent[]): void {
    const previous = this.brokers.get(nodeId);
    if (broker === null) {
      if (!previous) return;
      this.brokers.delete(nodeId);
      this.live.delete(nodeId);
      this.shuttingDown.delete(nodeId);
      events.push({ kind: 'broker-gone', nodeId });
      return;
    }
    this.brokers.set(nodeId, broker);
    this.live.add(nodeId);
    if (previous && previous.epoch === broker.epoch) return;
    // A new registration is a new broker process state: any controlled shutdown it asked for is over.
    this.shuttingDown.delete(nodeId);
    events.push({ kind: 'broker-registered', nodeId, bounced: previous !== undefined });
  }

  private applyTopic(name: string, topic: TopicRecord | null): void {
    const previousId = this.topicIdByName.get(name);
    if (previousId !== undefined && previousId !== topic?.topicId) {
      this.topicsById.delete(previousId);
      this.topicIdByName.delete(name);
    }
    if (topic) {
      this.topicsById.set(topic.topicId, topic);
      this.topicIdByName.set(name, topic.topicId);
    }
  }
}
