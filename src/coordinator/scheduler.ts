/**
 * Time for coordinators: the current time and one-shot timers, behind an interface so tests drive
 * session timeouts and rebalance delays with a manual clock instead of sleeping.
 */

export interface Timer {
  cancel(): void;
}

export interface Scheduler {
  now(): number;
  schedule(delayMs: number, task: () => void): Timer;
}

export const systemScheduler: Scheduler = {
  now: () => Date.now(),
  schedule(delayMs, task) {
    const handle = setTimeout(task, Math.max(0, delayMs));
    handle.unref?.();
    return { cancel: () => clearTimeout(handle) };
  },
};

/** A timer that was never armed (what a closed scheduler hands out). */
export const NO_TIMER: Timer = { cancel: () => {} };

/**
 * A scheduler that knows which of its timers are still armed, so the owner can cancel them all
 * when it closes: a timer left behind fires after shutdown and works on closed logs. Once closed
 * it arms nothing more.
 */
export class TrackedScheduler implements Scheduler {
  private readonly armedTimers = new Set<Timer>();
  private closed = false;

  constructor(private readonly inner: Scheduler) {}

  now(): number {
    return this.inner.now();
  }

  schedule(delayMs: number, task: () => void): Timer {
    if (this.closed) return NO_TIMER;
    const timer: Timer = {
      cancel: () => {
        this.armedTimers.delete(timer);
        inner.cancel();
      },
    };
    const inner = this.inner.schedule(delayMs, () => {
      this.armedTimers.delete(timer);
      task();
    });
    this.armedTimers.add(timer);
    return timer;
  }

  /** Timers armed and not yet fired or cancelled. */
  get armed(): number {
    return this.armedTimers.size;
  }

  /** Cancels every armed timer; later `schedule` calls arm nothing. */
  close(): void {
    this.closed = true;
    for (const t of [...this.armedTimers]) t.cancel();
  }
}

/** A scheduler whose time moves only when `advance` is called; due tasks run in time order. */
export class ManualScheduler implements Scheduler {
  private time: number;
  private seq = 0;
  private readonly tasks = new Map<number, { at: number; task: () => void }>();

  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  schedule(delayMs: number, task: () => void): Timer {
    const id = this.seq++;
    this.tasks.set(id, { at: this.time + Math.max(0, delayMs), task });
    return { cancel: () => this.tasks.delete(id) };
  }

  /** Moves time forward by `ms`, running every task that falls due on the way. */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      let nextId = -1;
      let next: { at: number; task: () => void } | undefined;
      for (const [id, t] of this.tasks) if (t.at <= target && (!next || t.at < next.at || (t.at === next.at && id < nextId))) [nextId, next] = [id, t];
      if (!next) break;
      this.tasks.delete(nextId);
      this.time = next.at;
      next.task();
    }
    this.time = target;
  }

  get pending(): number {
    return this.tasks.size;
  }
}
