/**
 * Time for partitions and the layers above them (the purgatory's deadlines, the coordinators'
 * session timeouts and rebalance delays): the current time and one-shot timers, behind an
 * interface so tests drive them with a manual clock instead of sleeping. It lives in partition/,
 * the lowest layer that uses timers, so that partition/ and coordinator/ share one seam.
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
