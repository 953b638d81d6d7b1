/**
 * Group commit: at most one fdatasync in flight per log. A caller asking for durability while one
 * runs waits for the next, which covers every write that finished before it started; so many
 * concurrent appends share one sync and throughput grows with concurrency.
 */
export class GroupCommit {
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  /** Syncs performed, for benchmarks and tests. */
  syncs = 0;

  constructor(private readonly doSync: () => Promise<void>) {}

  /** Resolves once every write completed before this call is on disk. */
  sync(): Promise<void> {
    if (!this.running) {
      this.syncs++;
      const run = this.doSync().finally(() => {
        if (this.running === run) this.running = null;
      });
      this.running = run;
      return run;
    }
    // A sync is in flight and may have started before our write finished: wait for the next one.
    this.queued ??= this.running.then(
      () => this.startQueued(),
      () => this.startQueued(),
    );
    return this.queued;
  }

  private startQueued(): Promise<void> {
    this.queued = null;
    return this.sync();
  }
}
