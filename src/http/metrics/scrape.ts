/**
 * The broker's state as one scrape reads it: each family asks for the partitions, groups and
 * offsets, and they are read from the broker once per scrape, not once per metric; so are the
 * label strings of their series (ten families write a series per partition) and the lag. The
 * labels of a partition are kept from one scrape to the next while its topic exists, so a scrape
 * formats only what is new. `begin()` starts a scrape (the admin server calls it before rendering).
 */
import type { ClusterSnapshot, CommittedOffset, GroupSnapshot, ObservedBroker, PartitionSnapshot } from '../../broker/observed.js';
import { escapeLabelValue } from './exposition.js';

/** A committed offset with its partition's lag: high watermark minus the offset, for partitions held here. */
export interface LaggedOffset extends CommittedOffset {
  readonly lag: number;
  /** `consumergroup="g",topic="t",partition="p"` */
  readonly labels: string;
}

interface Cached {
  partitions?: PartitionSnapshot[];
  partitionLabels?: string[];
  groups?: GroupSnapshot[];
  offsets?: CommittedOffset[];
  offsetLabels?: string[];
  lagged?: LaggedOffset[];
  cluster?: ClusterSnapshot | null;
}

export class Scrape {
  private cached: Cached = {};
  /** Per topic, `topic="t",partition="` (the partition's number and `"` follow). */
  private topicLabels = new Map<string, string>();

  constructor(readonly broker: ObservedBroker) {}

  begin(): void {
    this.cached = {};
  }

  partitions(): PartitionSnapshot[] {
    return (this.cached.partitions ??= this.broker.partitions());
  }

  /** `topic="t",partition="p"` of each of partitions(), at the same index. */
  partitionLabels(): string[] {
    if (this.cached.partitionLabels) return this.cached.partitionLabels;
    const previous = this.topicLabels;
    const current = new Map<string, string>();
    const out = this.partitions().map((p) => {
      let prefix = current.get(p.topic);
      if (prefix === undefined) current.set(p.topic, (prefix = previous.get(p.topic) ?? `topic="${escapeLabelValue(p.topic)}",partition="`));
      return `${prefix}${p.partition}"`;
    });
    // Topics gone since the last scrape are forgotten.
    this.topicLabels = current;
    return (this.cached.partitionLabels = out);
  }

  groups(): GroupSnapshot[] {
    return (this.cached.groups ??= this.broker.groups());
  }

  committedOffsets(): CommittedOffset[] {
    return (this.cached.offsets ??= this.broker.committedOffsets());
  }

  /** `consumergroup="g",topic="t",partition="p"` of each of committedOffsets(), at the same index. */
  offsetLabels(): string[] {
    return (this.cached.offsetLabels ??= this.committedOffsets().map((o) => `consumergroup="${escapeLabelValue(o.groupId)}",topic="${escapeLabelValue(o.topic)}",partition="${o.partition}"`));
  }

  /** The committed offsets whose partition this broker holds, with their lag. */
  lagged(): LaggedOffset[] {
    if (this.cached.lagged) return this.cached.lagged;
    const hw = new Map<string, Map<number, number>>();
    for (const p of this.partitions()) {
      let byIndex = hw.get(p.topic);
      if (!byIndex) hw.set(p.topic, (byIndex = new Map()));
      byIndex.set(p.partition, p.highWatermark);
    }
    const labels = this.offsetLabels();
    const out: LaggedOffset[] = [];
    this.committedOffsets().forEach((o, i) => {
      const highWatermark = hw.get(o.topic)?.get(o.partition);
      // An offset of -1 (committed as "none") says nothing about progress: no lag is made up for it.
      if (highWatermark !== undefined && o.offset >= 0) out.push({ ...o, lag: Math.max(0, highWatermark - o.offset), labels: labels[i] });
    });
    return (this.cached.lagged = out);
  }

  cluster(): ClusterSnapshot | null {
    if (this.cached.cluster === undefined) this.cached.cluster = this.broker.cluster();
    return this.cached.cluster;
  }
}

/** Runs a diagnostics-channel subscriber so that nothing it throws reaches the publisher (Node rethrows it as an uncaught exception). */
export function guarded<M>(onError: (err: unknown) => void, fn: (message: M) => void): (message: unknown) => void {
  return (message) => {
    try {
      fn(message as M);
    } catch (err) {
      try {
        onError(err);
      } catch {
        // A failing logger must not turn one lost sample into a crash.
      }
    }
  };
}
