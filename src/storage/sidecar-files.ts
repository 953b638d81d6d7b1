/**
 * The small named files kept beside a partition's segments (producer state snapshots), known by
 * name from the directory listing at open, so a lookup costs no directory read.
 */
import { join } from 'node:path';
import { readFileOrNull, replaceFileDurably, type FileSystem } from './file-system.js';
import { sidecarsPast } from './file-names.js';

export class SidecarFiles {
  constructor(
    private readonly fs: FileSystem,
    private readonly dir: string,
    private readonly names: Set<string>,
  ) {}

  list(): string[] {
    return [...this.names];
  }

  /** The file's bytes, or null when absent. */
  read(name: string): Promise<Buffer | null> {
    return readFileOrNull(this.fs, join(this.dir, name));
  }

  /** Replaces a file: written to a temporary name, fsynced, renamed, directory fsynced. */
  async write(name: string, bytes: Buffer): Promise<void> {
    await replaceFileDurably(this.fs, this.dir, name, bytes);
    this.names.add(name);
  }

  async delete(name: string): Promise<void> {
    this.names.delete(name);
    await this.fs.unlink(join(this.dir, name));
  }

  /**
   * Removes the offset-named sidecars describing a log that reached past `end` (all of them for
   * -1) and makes their removal durable before the truncation that calls it goes on.
   */
  async dropPast(end: number): Promise<void> {
    const names = sidecarsPast(this.names, end);
    for (const name of names) await this.delete(name);
    if (names.length > 0) await this.fs.syncDir(this.dir);
  }
}
