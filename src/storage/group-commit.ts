/**
 * Group commit: at most one fsync round in flight per log, and one round covers every write that
 * completed before it was issued. Writes are numbered as they complete; a caller asks for its
 * write's number and joins the round in flight when that round covers it (a round not issued yet
 * covers everything written by the time it is), or else the one round queued behind it. So N
 * writers coalesced into one writev cost one fsync between them, not two.
 */
export class GroupCommit {
  /** The round in flight; `covers` is null until its fsync is issued. */
  private running: { done: Promise<void>; covers: number | null } | null = null;
  private queued: Promise<void> | null = null;
  /** Rounds performed, for benchmarks and tests. */
  syncs = 0;

  /**
   * `doSync` waits for writes in progress, then calls `issued(n)` with the number of the last
   * completed write just before it starts its fsyncs.
   */
  constructor(private readonly doSync: (issued: (covers: number) => void) => Promise<void>) {}

  /** Resolves once write number `written` (and every one before it) is on disk. */
  sync(written: number): Promise<void> {
    const running = this.running;
    if (!running) return this.start();
    if (running.covers === null || running.covers >= written) return running.done;
    this.queued ??= running.done.then(
      () => this.startQueued(),
      () => this.startQueued(),
    );
    return this.queued;
  }

  private start(): Promise<void> {
    this.syncs++;
    const round: { done: Promise<void>; covers: number | null } = { done: Promise.resolve(), covers: null };
    round.done = this.doSync((covers) => (round.covers = covers)).finally(() => {
      if (this.running === round) this.running = null;
    });
    this.running = round;
    return round.done;
  }

  private startQueued(): Promise<void> {
    this.queued = null;
    return this.running ? (this.running.done as Promise<void>) : this.start();
  }
}
