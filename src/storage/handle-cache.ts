/**
 * Open file handles of segment logs, bounded: the least recently used handle is closed when the
 * cache is full, so a broker with many partitions keeps a fixed number of descriptors. Handles
 * of active segments are pinned and never evicted.
 */
import { open, type FileHandle } from 'node:fs/promises';

interface Entry {
  handle: Promise<FileHandle>;
  pinned: boolean;
}

export class HandleCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxOpen = 1000) {}

  /** A read-write handle to `path` (created when absent). */
  get(path: string): Promise<FileHandle> {
    const hit = this.entries.get(path);
    if (hit) {
      this.entries.delete(path);
      this.entries.set(path, hit);
      return hit.handle;
    }
    const handle = open(path, 'a+').then(async (fh) => {
      await fh.close();
      return open(path, 'r+');
    });
    this.entries.set(path, { handle, pinned: false });
    handle.catch(() => this.entries.delete(path));
    this.evict();
    return handle;
  }

  pin(path: string, pinned: boolean): void {
    const e = this.entries.get(path);
    if (e) e.pinned = pinned;
    else if (pinned) {
      void this.get(path);
      this.pin(path, true);
    }
  }

  private evict(): void {
    if (this.entries.size <= this.maxOpen) return;
    for (const [path, e] of this.entries) {
      if (this.entries.size <= this.maxOpen) break;
      if (e.pinned) continue;
      this.entries.delete(path);
      void e.handle.then((fh) => fh.close()).catch(() => undefined);
    }
  }

  async close(path: string): Promise<void> {
    const e = this.entries.get(path);
    if (!e) return;
    this.entries.delete(path);
    await (await e.handle.catch(() => null))?.close();
  }

  async closeAll(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    for (const e of all) await (await e.handle.catch(() => null))?.close();
  }

  get openCount(): number {
    return this.entries.size;
  }
}
