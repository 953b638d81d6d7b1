/**
 * Open file handles of segment logs, bounded: when more than `maxOpen` are open, the least
 * recently used ones that no operation is using are closed, so a broker with many partitions
 * keeps a fixed number of descriptors. Every use goes through `use`, which holds the handle open
 * for the duration of the operation.
 */
import { sep } from 'node:path';
import type { FileSystem, StorageFile } from './file-system.js';

interface Entry {
  handle: Promise<StorageFile>;
  users: number;
  /** Closed by `close` while in use: the last user closes it. */
  closing: boolean;
}

export class HandleCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    /** The file system every storage call goes through (the real one, or a test's fault-injecting twin). */
    readonly fs: FileSystem,
    private readonly maxOpen = 1000,
  ) {}

  /** Runs `fn` with a read-write handle to `path` (created when absent), kept open meanwhile. */
  async use<T>(path: string, fn: (fh: StorageFile) => Promise<T>): Promise<T> {
    const entry = this.acquire(path);
    try {
      return await fn(await entry.handle);
    } finally {
      entry.users--;
      if (entry.closing && entry.users === 0) await closeHandle(entry);
      this.evict();
    }
  }

  /**
   * Opens `path` (when not open yet) and holds its handle until the returned release is called:
   * uses meanwhile share that handle, so they keep reaching the same file even if its name is
   * renamed over or removed (compaction's swap pins the old segments' files this way).
   */
  async pin(path: string): Promise<() => void> {
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    await new Promise<void>((opened, failed) => {
      this.use(path, () => {
        opened();
        return held;
      }).catch(failed);
    });
    return release;
  }

  private acquire(path: string): Entry {
    let entry = this.entries.get(path);
    if (entry) {
      this.entries.delete(path);
    } else {
      const handle = this.fs.open(path, 'update');
      entry = { handle, users: 0, closing: false };
      handle.catch(() => this.entries.delete(path));
    }
    this.entries.set(path, entry);
    entry.users++;
    return entry;
  }

  private evict(): void {
    if (this.entries.size <= this.maxOpen) return;
    for (const [path, e] of this.entries) {
      if (this.entries.size <= this.maxOpen) break;
      if (e.users > 0) continue;
      this.entries.delete(path);
      void e.handle.then((fh) => fh.close()).catch(() => undefined);
    }
  }

  /**
   * Forgets the handle of `path` (a deleted segment) and closes it once no operation uses it, so a
   * fetch still reading a segment that retention removed finishes its read (Linux keeps the
   * unlinked file readable through the open descriptor).
   */
  async close(path: string): Promise<void> {
    const e = this.entries.get(path);
    if (!e) return;
    this.entries.delete(path);
    if (e.users > 0) e.closing = true;
    else await closeHandle(e);
  }

  /**
   * Forgets every handle under `dir` (a partition directory just renamed away), so a new log
   * opened at the old path never writes through a descriptor of the renamed files.
   */
  async closeUnder(dir: string): Promise<void> {
    const prefix = dir.endsWith(sep) ? dir : dir + sep;
    for (const path of [...this.entries.keys()]) if (path.startsWith(prefix)) await this.close(path);
  }

  async closeAll(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    for (const e of all) await closeHandle(e);
  }

  get openCount(): number {
    return this.entries.size;
  }
}

async function closeHandle(e: Entry): Promise<void> {
  await (await e.handle.catch(() => null))?.close().catch(() => undefined);
}
