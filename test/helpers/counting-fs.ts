/**
 * A file system that passes every call to another one (the real one, or sim-fs.ts) and notes it:
 * which call, on which path, and the error code it failed with. Tests assert on what a storage
 * operation asked of the disk, e.g. that opening a partition reads no file its listing lacked.
 */
import type { DirEntry, FileSystem, OpenMode, StorageFile } from '../../src/storage/file-system.js';

export type CountedCall = 'open' | 'readFile' | 'stat' | 'readdir' | 'mkdir' | 'rename' | 'unlink' | 'removeTree' | 'syncDir';

export interface Noted {
  call: CountedCall;
  path: string;
  /** The failure's code ('ENOENT' …), null when the call succeeded, undefined while it runs. */
  error?: string | null;
}

export class CountingFileSystem implements FileSystem {
  readonly calls: Noted[] = [];

  constructor(private readonly inner: FileSystem) {}

  /** Forgets the calls noted so far. */
  reset(): void {
    this.calls.length = 0;
  }

  /** The calls noted on paths that `matches`, as "call path" (error code appended when one failed). */
  on(matches: (path: string) => boolean): string[] {
    return this.calls.filter((c) => matches(c.path)).map((c) => `${c.call} ${c.path}${c.error ? ` ${c.error}` : ''}`);
  }

  private async note<T>(call: CountedCall, path: string, run: () => Promise<T>): Promise<T> {
    const noted: Noted = { call, path };
    this.calls.push(noted);
    try {
      const value = await run();
      noted.error = null;
      return value;
    } catch (err) {
      noted.error = (err as NodeJS.ErrnoException).code ?? 'error';
      throw err;
    }
  }

  open(path: string, mode: OpenMode): Promise<StorageFile> {
    return this.note('open', path, () => this.inner.open(path, mode));
  }
  readFile(path: string): Promise<Buffer> {
    return this.note('readFile', path, () => this.inner.readFile(path));
  }
  stat(path: string): Promise<{ size: number; mtimeMs: number; isDirectory: boolean }> {
    return this.note('stat', path, () => this.inner.stat(path));
  }
  readdir(path: string): Promise<DirEntry[]> {
    return this.note('readdir', path, () => this.inner.readdir(path));
  }
  mkdir(path: string): Promise<void> {
    return this.note('mkdir', path, () => this.inner.mkdir(path));
  }
  rename(from: string, to: string): Promise<void> {
    return this.note('rename', from, () => this.inner.rename(from, to));
  }
  unlink(path: string): Promise<void> {
    return this.note('unlink', path, () => this.inner.unlink(path));
  }
  removeTree(path: string): Promise<void> {
    return this.note('removeTree', path, () => this.inner.removeTree(path));
  }
  syncDir(path: string): Promise<void> {
    return this.note('syncDir', path, () => this.inner.syncDir(path));
  }
}
