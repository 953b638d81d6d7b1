/**
 * The storage layer's only door to the disk: the few file-system calls it makes. The broker uses
 * the real one (node:fs); tests put a fault-injecting twin in its place that keeps unsynced writes
 * apart, drops or tears them at a simulated power loss, and fails chosen calls with EIO or ENOSPC.
 * Nothing under src/storage may import node:fs directly (test/unit/layering.test.ts checks).
 */
import { join } from 'node:path';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { close as closeCallback, fstat as fstatCallback, open as openCallback, read as readCallback, readdir as readdirCallback, stat as statCallback } from 'node:fs';

/** An open file. Reads and writes are positioned: no call shares a file cursor. */
export interface StorageFile {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  write(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  writev(buffers: Buffer[], position: number): Promise<{ bytesWritten: number }>;
  /** fdatasync: the file's data (and the size needed to read it) is on disk. */
  datasync(): Promise<void>;
  /** fsync: data and metadata. */
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  size(): Promise<number>;
  close(): Promise<void>;
}

/**
 * How a file is opened: `read` an existing file read-only, `update` read-write creating it when
 * absent (never truncating), `replace` created empty (truncated when present).
 */
export type OpenMode = 'read' | 'update' | 'replace';

export interface DirEntry {
  name: string;
  isDirectory: boolean;
}

export interface FileSystem {
  open(path: string, mode: OpenMode): Promise<StorageFile>;
  readFile(path: string): Promise<Buffer>;
  /** Size and modification time; rejects with ENOENT when absent. */
  stat(path: string): Promise<{ size: number; mtimeMs: number; isDirectory: boolean }>;
  readdir(path: string): Promise<DirEntry[]>;
  mkdir(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Removes a file; absent is fine. */
  unlink(path: string): Promise<void>;
  /** Removes a directory and everything below it; absent is fine. */
  removeTree(path: string): Promise<void>;
  /** fsync of a directory: the names created, renamed or removed in it are on disk. */
  syncDir(path: string): Promise<void>;
}

class NodeFile implements StorageFile {
  constructor(private readonly fh: FileHandle) {}
  read(buffer: Buffer, offset: number, length: number, position: number) {
    return this.fh.read(buffer, offset, length, position);
  }
  write(buffer: Buffer, offset: number, length: number, position: number) {
    return this.fh.write(buffer, offset, length, position);
  }
  writev(buffers: Buffer[], position: number) {
    return this.fh.writev(buffers, position);
  }
  datasync() {
    return this.fh.datasync();
  }
  sync() {
    return this.fh.sync();
  }
  truncate(length: number) {
    return this.fh.truncate(length);
  }
  async size() {
    return (await this.fh.stat()).size;
  }
  close() {
    return this.fh.close();
  }
}

const FLAGS: Record<OpenMode, string> = { read: 'r', update: 'r+', replace: 'w' };

/** The first read's size: the small files read whole (checkpoints, partition.metadata) fit in it. */
const FIRST_READ = 8192;

function callback<T>(run: (done: (err: NodeJS.ErrnoException | null, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => run((err, value) => (err ? reject(err) : resolve(value))));
}

/**
 * A whole file in three pool calls when it is small (open, one read, close), where node's readFile
 * takes four (it asks the size first); a file that fills the first read is read on to its end.
 */
async function readSmallFile(path: string): Promise<Buffer> {
  const fd = await callback<number>((done) => openCallback(path, 'r', done));
  try {
    let buf = Buffer.allocUnsafe(FIRST_READ);
    let filled = await callback<number>((done) => readCallback(fd, buf, 0, FIRST_READ, 0, done));
    if (filled < FIRST_READ) return Buffer.from(buf.subarray(0, filled));
    const size = (await callback<{ size: number }>((done) => fstatCallback(fd, done))).size;
    buf = Buffer.concat([buf, Buffer.allocUnsafe(Math.max(size - FIRST_READ, 0) + FIRST_READ)]);
    for (;;) {
      if (filled === buf.length) buf = Buffer.concat([buf, Buffer.allocUnsafe(buf.length)]);
      const n = await callback<number>((done) => readCallback(fd, buf, filled, buf.length - filled, filled, done));
      if (n === 0) return buf.subarray(0, filled);
      filled += n;
    }
  } finally {
    await callback<void>((done) => closeCallback(fd, (err) => done(err, undefined)));
  }
}

/** The real file system. */
export const nodeFileSystem: FileSystem = {
  async open(path, mode) {
    if (mode === 'update') {
      // 'a+' creates without truncating; positioned writes need a handle not opened for append.
      await (await open(path, 'a+')).close();
    }
    return new NodeFile(await open(path, FLAGS[mode]));
  },
  // The callback forms of these three, called once per partition at start: they skip the
  // promise API's FileHandle objects, which cost about a third more main-thread time (measured).
  readFile: readSmallFile,
  stat: (path) =>
    new Promise((resolve, reject) =>
      statCallback(path, (err, s) => (err ? reject(err) : resolve({ size: s.size, mtimeMs: s.mtimeMs, isDirectory: s.isDirectory() }))),
    ),
  readdir: (path) =>
    new Promise((resolve, reject) =>
      readdirCallback(path, { withFileTypes: true }, (err, entries) => (err ? reject(err) : resolve(entries.map((d) => ({ name: d.name, isDirectory: d.isDirectory() }))))),
    ),
  async mkdir(path) {
    await mkdir(path, { recursive: true });
  },
  rename: (from, to) => rename(from, to),
  unlink: (path) => rm(path, { force: true }),
  removeTree: (path) => rm(path, { recursive: true, force: true }),
  async syncDir(path) {
    const fh = await open(path, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
};

/** Writes all of `bytes` at `position`, however many calls it takes (writes may be short). */
export async function writeFully(f: StorageFile, bytes: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await f.write(bytes, done, bytes.length - done, position + done);
    if (bytesWritten <= 0) throw new Error(`write made no progress at ${position + done}`);
    done += bytesWritten;
  }
}

/** Writes a whole file (created or truncated), without syncing it. */
export async function writeWholeFile(fs: FileSystem, path: string, bytes: Buffer, preallocate = 0): Promise<void> {
  const f = await fs.open(path, 'replace');
  try {
    await writeFully(f, bytes, 0);
    if (preallocate > bytes.length) await f.truncate(preallocate);
  } finally {
    await f.close();
  }
}

/**
 * Replaces a file so that a crash leaves either the old or the new content: write a temporary
 * file, fsync it, rename it over the target, fsync the directory.
 */
export async function replaceFileDurably(fs: FileSystem, dir: string, name: string, bytes: Buffer): Promise<void> {
  const tmp = join(dir, `${name}.tmp`);
  const f = await fs.open(tmp, 'replace');
  try {
    await writeFully(f, bytes, 0);
    await f.sync();
  } finally {
    await f.close();
  }
  await fs.rename(tmp, join(dir, name));
  await fs.syncDir(dir);
}

/** The file's bytes, or null when it is absent or unreadable. */
export async function readFileOrNull(fs: FileSystem, path: string): Promise<Buffer | null> {
  try {
    return await fs.readFile(path);
  } catch {
    return null;
  }
}

/** A directory's entries, or null when it does not exist. */
export async function readdirOrNull(fs: FileSystem, path: string): Promise<DirEntry[] | null> {
  try {
    return await fs.readdir(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** The file's size, or 0 when absent. */
export async function sizeOrZero(fs: FileSystem, path: string): Promise<number> {
  try {
    return (await fs.stat(path)).size;
  } catch {
    return 0;
  }
}
