/**
 * Work a coordinator starts without a caller waiting for it (storing a group that emptied,
 * applying the leader's assignment, expiring offsets). Each such promise gets an owner here: a
 * failure is reported (logged by the broker) instead of surfacing as an unhandled rejection,
 * which would end an embedding process; and shutdown waits for what is still running before the
 * logs it writes to are closed.
 */

export type FailureReport = (err: unknown, what: string) => void;

export class BackgroundWork {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly report: FailureReport) {}

  /** Owns `work`: its failure is reported as the failure of `what`. */
  run(what: string, work: Promise<unknown>): void {
    const owned: Promise<void> = work
      .then(
        () => undefined,
        (err: unknown) => {
          try {
            this.report(err, what);
          } catch {
            // A failing reporter must not turn into the unhandled rejection this class exists to prevent.
          }
        },
      )
      .finally(() => this.running.delete(owned));
    this.running.add(owned);
  }

  get size(): number {
    return this.running.size;
  }

  /** Resolves once everything started so far (and anything it started meanwhile) has finished. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}

/** For state machines used without a broker (unit tests): failures become process warnings. */
export const warnOnFailure: FailureReport = (err, what) => process.emitWarning(`${what} failed: ${err instanceof Error ? err.message : String(err)}`);
