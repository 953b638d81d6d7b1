/**
 * Time for coordinators: the seam itself is in partition/clock.ts (shared with the purgatory);
 * this adds the tracking a coordinator needs to cancel every timer it armed when it closes.
 */
import type { Scheduler, Timer } from '../partition/clock.js';

export { type Scheduler, type Timer, systemScheduler, ManualScheduler } from '../partition/clock.js';

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

