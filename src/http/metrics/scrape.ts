/**
 * The broker's state as one scrape reads it: each collect() callback of a scrape asks for the
 * partitions, groups and offsets, and they are read from the broker once per scrape, not once per
 * metric. `begin()` starts a scrape (the admin server calls it before rendering).
 */
import type { ClusterSnapshot, CommittedOffset, GroupSnapshot, ObservedBroker, PartitionSnapshot } from '../../broker/observed.js';

export class Scrape {
  private cached: { partitions?: PartitionSnapshot[]; groups?: GroupSnapshot[]; offsets?: CommittedOffset[]; cluster?: ClusterSnapshot | null } = {};

  constructor(readonly broker: ObservedBroker) {}

  begin(): void {
    this.cached = {};
  }

  partitions(): PartitionSnapshot[] {
    return (this.cached.partitions ??= this.broker.partitions());
  }

  groups(): GroupSnapshot[] {
    return (this.cached.groups ??= this.broker.groups());
  }

  committedOffsets(): CommittedOffset[] {
    return (this.cached.offsets ??= this.broker.committedOffsets());
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
