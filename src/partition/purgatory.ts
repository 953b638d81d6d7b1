/**
 * The delayed-operation queue (Kafka's purgatory): requests that cannot be answered yet wait here
 * until they can, their deadline passes, their client goes away or the broker stops. A fetch
 * waits for bytes (delayed-fetch.ts), an acks=all produce for the high watermark to cover its
 * batch (delayed-produce.ts).
 *
 * An operation watches one or more keys (a topic-partition, see `partitionKey`). Whoever changes
 * what a key stands for calls `checkAndComplete(key)`: each operation watching it runs its
 * synchronous `tryComplete()` check, and those that can complete leave the queue. An operation
 * completes exactly once, with one of:
 *   - 'completed': its check passed (at once, or at a checkAndComplete of one of its keys);
 *   - 'expired':   its deadline passed first;
 *   - 'aborted':   its AbortSignal fired first (the client's connection closed: nobody reads the answer);
 *   - 'shutdown':  the queue closed first (the broker is stopping: answer now).
 * Whichever comes first wins; the others find the operation done and do nothing. On completion its
 * timer is cancelled and it leaves every key's watcher set and its signal's (the last operation on
 * a signal removes the queue's one listener from it), so nothing it held outlives it.
 *
 * Unlike Kafka's watcher lists, which keep completed operations until a purge pass, each key's
 * watchers are a set an operation leaves on completion, and a key nobody watches has no entry:
 * checkAndComplete of such a key is one map lookup, which is what almost every append costs.
 */
import { systemScheduler, type Scheduler, type Timer } from './clock.js';

export type Completion = 'completed' | 'expired' | 'aborted' | 'shutdown';

/** The watch key of a topic-partition (as Kafka prints a TopicPartition); one string per partition. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

export interface DelayedOperation {
  /** What it waits for, counted apart in `waitingOf` (e.g. 'fetch', 'produce'). */
  readonly kind: string;
  /** The keys whose changes may let it complete. */
  readonly keys: readonly string[];
  /** From the moment it is watched; 0 or less expires it at the next timer turn unless it completes at once. */
  readonly timeoutMs: number;
  /** Ends the wait with 'aborted' when it fires. */
  readonly signal?: AbortSignal;
  /**
   * Whether it can complete now. Called synchronously from checkAndComplete, so it must be cheap
   * and must not start the work itself (that belongs to `onComplete`). A check that throws counts
   * as "can complete": the completion's own work then meets the same error and answers it.
   */
  tryComplete(): boolean;
  /** Called exactly once, synchronously, when the operation leaves the queue. */
  onComplete(how: Completion): void;
}

/** What the queue holds for an operation while it waits. */
interface Watched {
  readonly op: DelayedOperation;
  timer: Timer | null;
  done: boolean;
}

/**
 * The operations waiting on one abort signal, behind one listener: a client may pipeline hundreds
 * of long polls on one connection, and a listener each would pile up on its signal (Node warns
 * past 10) and cost a removal each.
 */
interface SignalWatch {
  readonly ops: Set<Watched>;
  readonly listener: () => void;
}

export interface PurgatoryOptions {
  scheduler?: Scheduler;
  /** Told of an onComplete that threw (the queue goes on with the other operations). */
  onError?: (err: unknown) => void;
}

export class Purgatory {
  private readonly scheduler: Scheduler;
  private readonly onError: (err: unknown) => void;
  private readonly watchers = new Map<string, Set<Watched>>();
  private readonly counts = new Map<string, number>();
  private readonly bySignal = new Map<AbortSignal, SignalWatch>();
  private waitingTotal = 0;
  private closed = false;

  constructor(options: PurgatoryOptions = {}) {
    this.scheduler = options.scheduler ?? systemScheduler;
    this.onError = options.onError ?? (() => undefined);
  }

  /** The queue's clock: deadlines of operations built on it are measured with this. */
  now(): number {
    return this.scheduler.now();
  }

  /**
   * Completes `op` now if it can, otherwise watches it on its keys until one of the outcomes
   * above; returns whether it completed at once (then onComplete has already run). As in Kafka's
   * tryCompleteElseWatch the check runs again once the operation is watched, so a change that
   * happens inside the first check is not missed.
   */
  tryCompleteElseWatch(op: DelayedOperation): boolean {
    if (this.closed) return this.finishAtOnce(op, 'shutdown');
    if (op.signal?.aborted) return this.finishAtOnce(op, 'aborted');
    if (this.check(op)) return this.finishAtOnce(op, 'completed');
    const w: Watched = { op, timer: null, done: false };
    for (const key of op.keys) {
      let set = this.watchers.get(key);
      if (!set) this.watchers.set(key, (set = new Set()));
      set.add(w);
    }
    this.waitingTotal++;
    this.counts.set(op.kind, (this.counts.get(op.kind) ?? 0) + 1);
    if (this.check(op)) {
      this.finish(w, 'completed');
      return true;
    }
    w.timer = this.scheduler.schedule(op.timeoutMs, () => {
      w.timer = null;
      this.finish(w, 'expired');
    });
    if (op.signal) this.watchSignal(op.signal, w);
    return false;
  }

  /** Runs the check of every operation watching `key`; those that pass complete. Returns how many did. */
  checkAndComplete(key: string): number {
    const set = this.watchers.get(key);
    if (!set) return 0;
    let completed = 0;
    // A set may lose members while it is iterated (each completion removes its operation), and
    // members added meanwhile are visited too, which at worst runs one more check.
    for (const w of set) {
      if (!w.done && this.check(w.op)) {
        this.finish(w, 'completed');
        completed++;
      }
    }
    return completed;
  }

  /** Completes every waiting operation with 'shutdown' and every later one at once: the broker is stopping. */
  close(): void {
    this.closed = true;
    const all = new Set<Watched>();
    for (const set of this.watchers.values()) for (const w of set) all.add(w);
    for (const w of all) this.finish(w, 'shutdown');
  }

  /** Operations waiting now. */
  get waiting(): number {
    return this.waitingTotal;
  }

  /** Operations of `kind` waiting now. */
  waitingOf(kind: string): number {
    return this.counts.get(kind) ?? 0;
  }

  /** Keys with at least one operation watching them (for tests: none are left behind). */
  get watchedKeys(): number {
    return this.watchers.size;
  }

  /** Abort signals the queue listens to (one per client connection with waiting requests). */
  get watchedSignals(): number {
    return this.bySignal.size;
  }

  private watchSignal(signal: AbortSignal, w: Watched): void {
    let watch = this.bySignal.get(signal);
    if (!watch) {
      const ops = new Set<Watched>();
      const listener = () => {
        for (const aborted of ops) this.finish(aborted, 'aborted');
      };
      watch = { ops, listener };
      this.bySignal.set(signal, watch);
      signal.addEventListener('abort', listener, { once: true });
    }
    watch.ops.add(w);
  }

  private unwatchSignal(signal: AbortSignal, w: Watched): void {
    const watch = this.bySignal.get(signal);
    if (!watch) return;
    watch.ops.delete(w);
    if (watch.ops.size > 0) return;
    this.bySignal.delete(signal);
    signal.removeEventListener('abort', watch.listener);
  }

  private check(op: DelayedOperation): boolean {
    try {
      return op.tryComplete();
    } catch {
      return true;
    }
  }

  private finishAtOnce(op: DelayedOperation, how: Completion): true {
    this.callOnComplete(op, how);
    return true;
  }

  private finish(w: Watched, how: Completion): void {
    if (w.done) return;
    w.done = true;
    w.timer?.cancel();
    w.timer = null;
    if (w.op.signal) this.unwatchSignal(w.op.signal, w);
    for (const key of w.op.keys) {
      const set = this.watchers.get(key);
      if (!set) continue;
      set.delete(w);
      if (set.size === 0) this.watchers.delete(key);
    }
    this.waitingTotal--;
    const left = (this.counts.get(w.op.kind) ?? 1) - 1;
    if (left === 0) this.counts.delete(w.op.kind);
    else this.counts.set(w.op.kind, left);
    this.callOnComplete(w.op, how);
  }

  private callOnComplete(op: DelayedOperation, how: Completion): void {
    try {
      op.onComplete(how);
    } catch (err) {
      this.onError(err);
    }
  }
}
