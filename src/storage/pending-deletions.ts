/**
 * Directories of deleted partitions, removed in the background once Kafka's delay
 * (`log.segment.delete.delay.ms`, the broker default of `file.delete.delay.ms`) has passed, so a
 * fetch still reading their files finishes first. One removal runs at a time, to leave the file
 * system's thread pool to produce and fetch. A removal that fails is logged and left for the next
 * start, which finds the directory by its `-delete` suffix.
 */
import type { FileSystem } from './file-system.js';

/** Time for the deleter: the system clock in the broker, a manual one in tests. */
export interface DeletionScheduler {
  now(): number;
  schedule(delayMs: number, task: () => void): { cancel(): void };
}

export const systemDeletionScheduler: DeletionScheduler = {
  now: () => Date.now(),
  schedule(delayMs, task) {
    const handle = setTimeout(task, Math.max(0, delayMs));
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  },
};

interface Pending {
  path: string;
  dueAt: number;
}

export class PendingDeletions {
  private readonly queue: Pending[] = [];
  private timer: { cancel(): void } | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly fs: FileSystem,
    private readonly delayMs: number,
    private readonly scheduler: DeletionScheduler,
    private readonly onError: (path: string, err: unknown) => void,
  ) {}

  /** Removes `path` after the delay, or as soon as possible when `now` (nothing can still read it). */
  add(path: string, now = false): void {
    if (this.stopped) return;
    const dueAt = this.scheduler.now() + (now ? 0 : this.delayMs);
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1].dueAt > dueAt) i--;
    this.queue.splice(i, 0, { path, dueAt });
    if (i === 0) this.rearm();
  }

  /** Directories waiting for removal. */
  get pending(): number {
    return this.queue.length;
  }

  /** Resolves once no removal is running (tests call it after moving a manual clock). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Cancels the timer and waits for a running removal; what is left stays for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
    await this.settled();
  }

  private rearm(): void {
    this.timer?.cancel();
    this.timer = null;
    if (this.stopped || this.running || this.queue.length === 0) return;
    this.timer = this.scheduler.schedule(this.queue[0].dueAt - this.scheduler.now(), () => {
      this.timer = null;
      const run = this.removeDue();
      this.running = run;
      void run.then(() => {
        this.running = null;
        this.rearm();
      });
    });
  }

  private async removeDue(): Promise<void> {
    while (!this.stopped && this.queue.length > 0 && this.queue[0].dueAt <= this.scheduler.now()) {
      const { path } = this.queue[0];
      this.queue.shift();
      try {
        await this.fs.removeTree(path);
      } catch (err) {
        try {
          this.onError(path, err);
        } catch {
          // A failing logger must not stop the deleter.
        }
      }
    }
  }
}
