/**
 * Records what a metadata watch delivers, and lets a test wait for a condition on it (with a
 * generous bound that only turns a hang into a failure; nothing here measures time).
 */
import type { MetadataChange, MetadataWatchBatch, MetadataWatchListener } from '../../src/metadata/metadata-store.js';

export class WatchRecorder implements MetadataWatchListener {
  readonly batches: MetadataWatchBatch[] = [];
  readonly connections: string[] = [];
  readonly invalidKeys: string[] = [];
  private readonly waiters = new Set<() => void>();

  changes(batch: MetadataWatchBatch): void {
    this.batches.push(batch);
    this.wake();
  }

  connection(state: 'lost' | 'restored'): void {
    this.connections.push(state);
    this.wake();
  }

  invalid(key: string): void {
    this.invalidKeys.push(key);
    this.wake();
  }

  /** Every change delivered so far, in order. */
  get all(): MetadataChange[] {
    return this.batches.flatMap((b) => b.changes);
  }

  /** Changes after the first (snapshot) batch. */
  get afterSnapshot(): MetadataChange[] {
    return this.batches.slice(1).flatMap((b) => b.changes);
  }

  until(done: (r: WatchRecorder) => boolean, what: string, boundMs = 20_000): Promise<void> {
    if (done(this)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`watch never showed ${what}; it delivered ${JSON.stringify(this.batches.map((b) => ({ revision: b.revision, snapshot: b.snapshot, n: b.changes.length })))} and connection events ${JSON.stringify(this.connections)}`));
      }, boundMs);
      const check = () => {
        if (!done(this)) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

/** Runs `op` until it stops failing with `retriable` errors (the store coming back), at most `attempts` times. */
export async function untilAvailable<T>(op: () => Promise<T>, retriable: (err: unknown) => boolean, attempts = 200): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await op();
    } catch (err) {
      if (i >= attempts || !retriable(err)) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
