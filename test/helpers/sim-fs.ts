/**
 * A fault-injecting, in-memory twin of the storage file system (src/storage/file-system.ts), for
 * power-loss and I/O-error tests. It keeps what is durable apart from what is only written:
 *
 * - a file's data is durable after fsync/fdatasync of that file; until then each write or truncate
 *   is pending, and a crash keeps it whole, drops it, tears it (a prefix survives) or leaves the
 *   file extended with zeros where it wrote (metadata made it, data did not);
 * - a name (create, rename, unlink, mkdir) is durable after fsync of its directory; until then a
 *   crash keeps a random prefix of that directory's pending name changes, in order.
 *
 * `crashAt(n)` takes the power away at the n-th call (`crashWhen` at the first call it picks): the
 * disk image at that moment (with pending changes kept, dropped or torn by the seeded generator)
 * is kept, and every later call fails, so nothing the broker does afterwards can count as
 * acknowledged. `failWhen` fails chosen calls with EIO or ENOSPC; `holdWhen` pauses chosen calls
 * until the promise it returns settles (a test seam that stops work at an exact point without
 * timing). Calls finish after a seeded number of event-loop turns, so concurrent work interleaves
 * differently per seed, and the same seed replays exactly.
 */
import { basename, dirname } from 'node:path';
import type { DirEntry, FileSystem, OpenMode, StorageFile } from '../../src/storage/file-system.js';
import { Prng } from './prng.js';

type Pending = { kind: 'write'; position: number; bytes: Buffer } | { kind: 'truncate'; length: number };

class Inode {
  data: Buffer;
  durable: Buffer;
  pending: Pending[] = [];
  mtimeMs: number;
  constructor(data: Buffer, now: number) {
    this.data = data;
    this.durable = Buffer.from(data);
    this.mtimeMs = now;
  }
  write(position: number, bytes: Buffer, now: number): void {
    const end = position + bytes.length;
    if (end > this.data.length) {
      const grown = Buffer.alloc(end);
      this.data.copy(grown);
      this.data = grown;
    }
    bytes.copy(this.data, position);
    this.pending.push({ kind: 'write', position, bytes: Buffer.from(bytes) });
    this.mtimeMs = now;
  }
  truncate(length: number, now: number): void {
    const next = Buffer.alloc(length);
    this.data.copy(next, 0, 0, Math.min(length, this.data.length));
    this.data = next;
    this.pending.push({ kind: 'truncate', length });
    this.mtimeMs = now;
  }
  sync(): void {
    this.durable = Buffer.from(this.data);
    this.pending = [];
  }
}

class Dir {
  entries = new Map<string, Node>();
  durable = new Map<string, Node>();
  /** Name changes since the last fsync of this directory, in order. */
  pending: [string, Node | null][] = [];
  set(name: string, node: Node | null): void {
    if (node) this.entries.set(name, node);
    else this.entries.delete(name);
    this.pending.push([name, node]);
  }
  sync(): void {
    this.durable = new Map(this.entries);
    this.pending = [];
  }
}

type Node = Inode | Dir;

export type FsCall = 'open' | 'read' | 'write' | 'writev' | 'datasync' | 'sync' | 'truncate' | 'size' | 'close' | 'readFile' | 'stat' | 'readdir' | 'mkdir' | 'rename' | 'unlink' | 'removeTree' | 'syncDir';

export class SimulatedCrash extends Error {
  override readonly name = 'SimulatedCrash';
}

function errno(code: 'EIO' | 'ENOSPC' | 'ENOENT' | 'EEXIST' | 'ENOTDIR' | 'EISDIR', what: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${code}: ${what}`);
  err.code = code;
  return err;
}

export interface SimFsOptions {
  seed: number;
  /** The clock files' modification times come from. */
  now?: () => number;
  /** Most event-loop turns a call takes to finish (0: every call finishes on the next microtask). */
  maxDelayTurns?: number;
}

export class SimFileSystem implements FileSystem {
  private root = new Dir();
  private readonly rng: Prng;
  private readonly now: () => number;
  private readonly maxDelayTurns: number;
  /** Calls made so far. */
  calls = 0;
  private crashCall = Infinity;
  private crashImage: Dir | null = null;
  /** Fails a call with the error returned (checked before the call does anything). */
  failWhen: ((call: FsCall, path: string, n: number) => 'EIO' | 'ENOSPC' | null) | null = null;
  /** Loses power before the first call for which this returns true. */
  crashWhen: ((call: FsCall, path: string, n: number) => boolean) | null = null;
  /** Pauses a call (before it does anything) until the returned promise settles. */
  holdWhen: ((call: FsCall, path: string) => Promise<void> | null) | null = null;

  constructor(private readonly options: SimFsOptions) {
    this.rng = new Prng(options.seed);
    this.now = options.now ?? (() => 1_700_000_000_000);
    this.maxDelayTurns = options.maxDelayTurns ?? 2;
  }

  /** Loses power at the n-th call from now (that call and every later one fail). */
  crashAt(n: number): void {
    this.crashCall = this.calls + n;
  }

  get crashed(): boolean {
    return this.crashImage !== null;
  }

  /** Loses power now. */
  crashNow(): void {
    if (!this.crashImage) this.crashImage = this.image(this.root, new Map());
  }

  /** The disk as a restarted machine finds it: a new file system holding only what survived. */
  afterCrash(seed: number): SimFileSystem {
    this.crashNow();
    const next = new SimFileSystem({ ...this.options, seed });
    next.root = this.crashImage as Dir;
    return next;
  }

  // ---- what survives a power loss ----

  private image(dir: Dir, seen: Map<Node, Node>): Dir {
    const names = new Map(dir.durable);
    const kept = dir.pending.length === 0 ? 0 : this.rng.int(dir.pending.length + 1);
    for (const [name, node] of dir.pending.slice(0, kept)) {
      if (node) names.set(name, node);
      else names.delete(name);
    }
    const out = new Dir();
    for (const [name, node] of names) out.entries.set(name, this.imageOf(node, seen));
    out.durable = new Map(out.entries);
    return out;
  }

  private imageOf(node: Node, seen: Map<Node, Node>): Node {
    const done = seen.get(node);
    if (done) return done;
    const copy = node instanceof Dir ? this.image(node, seen) : this.fileImage(node);
    seen.set(node, copy);
    return copy;
  }

  private fileImage(inode: Inode): Inode {
    let data: Buffer = Buffer.from(inode.durable);
    for (const p of inode.pending) {
      const fate = this.rng.int(4);
      if (p.kind === 'truncate') {
        if (fate !== 0) data = resized(data, p.length);
        continue;
      }
      // 0: lost; 1: whole; 2: torn (a prefix made it); 3: the size made it, the data did not.
      if (fate === 0) continue;
      const end = p.position + p.bytes.length;
      if (end > data.length) data = resized(data, end);
      if (fate === 1) p.bytes.copy(data, p.position);
      else if (fate === 2) p.bytes.copy(data, p.position, 0, this.rng.int(p.bytes.length + 1));
      else data.fill(0, p.position, end);
    }
    return new Inode(data, inode.mtimeMs);
  }

  // ---- plumbing ----

  private async enter(call: FsCall, path: string): Promise<void> {
    const n = ++this.calls;
    if (n >= this.crashCall || this.crashWhen?.(call, path, n)) this.crashNow();
    if (this.crashImage) throw new SimulatedCrash(`power lost before ${call} ${path}`);
    const fault = this.failWhen?.(call, path, n) ?? null;
    const turns = this.maxDelayTurns > 0 ? this.rng.int(this.maxDelayTurns + 1) : 0;
    for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
    const hold = this.holdWhen?.(call, path);
    if (hold) await hold;
    if (this.crashImage) throw new SimulatedCrash(`power lost during ${call} ${path}`);
    if (fault) throw errno(fault, `${call} ${path}`);
  }

  /**
   * Checked again right before a call takes effect: another call may have lost the power in the
   * microtasks between `enter` and the call's body, and then this one must not happen (nor report
   * success for something the disk image does not hold).
   */
  private stillPowered(call: FsCall, path: string): void {
    if (this.crashImage) throw new SimulatedCrash(`power lost during ${call} ${path}`);
  }

  private parts(path: string): string[] {
    return path.split('/').filter((p) => p !== '');
  }

  private lookup(path: string): Node | undefined {
    let node: Node = this.root;
    for (const part of this.parts(path)) {
      if (!(node instanceof Dir)) return undefined;
      const child: Node | undefined = node.entries.get(part);
      if (!child) return undefined;
      node = child;
    }
    return node;
  }

  private dirOf(path: string): Dir {
    const d = this.lookup(dirname(path));
    if (!(d instanceof Dir)) throw errno('ENOENT', `no directory ${dirname(path)}`);
    return d;
  }

  private fileAt(path: string): Inode {
    const n = this.lookup(path);
    if (!n) throw errno('ENOENT', path);
    if (n instanceof Dir) throw errno('EISDIR', path);
    return n;
  }

  // ---- FileSystem ----

  async open(path: string, mode: OpenMode): Promise<StorageFile> {
    await this.enter('open', path);
    this.stillPowered('open', path);
    let inode = this.lookup(path);
    if (inode instanceof Dir) throw errno('EISDIR', path);
    if (!inode) {
      if (mode === 'read') throw errno('ENOENT', path);
      inode = new Inode(Buffer.alloc(0), this.now());
      this.dirOf(path).set(basename(path), inode);
    } else if (mode === 'replace') {
      inode.truncate(0, this.now());
    }
    return new SimFile(this, inode, path, mode !== 'read');
  }

  /** Runs one call of an open file through the crash and fault checks. */
  async fileCall<T>(call: FsCall, path: string, fn: () => T): Promise<T> {
    await this.enter(call, path);
    this.stillPowered(call, path);
    return fn();
  }

  stamp(): number {
    return this.now();
  }

  async readFile(path: string): Promise<Buffer> {
    await this.enter('readFile', path);
    this.stillPowered('readFile', path);
    return Buffer.from(this.fileAt(path).data);
  }

  async stat(path: string): Promise<{ size: number; mtimeMs: number; isDirectory: boolean }> {
    await this.enter('stat', path);
    this.stillPowered('stat', path);
    const n = this.lookup(path);
    if (!n) throw errno('ENOENT', path);
    return n instanceof Dir ? { size: 0, mtimeMs: 0, isDirectory: true } : { size: n.data.length, mtimeMs: n.mtimeMs, isDirectory: false };
  }

  async readdir(path: string): Promise<DirEntry[]> {
    await this.enter('readdir', path);
    this.stillPowered('readdir', path);
    const d = this.lookup(path);
    if (!d) throw errno('ENOENT', path);
    if (!(d instanceof Dir)) throw errno('ENOTDIR', path);
    return [...d.entries].map(([name, n]) => ({ name, isDirectory: n instanceof Dir }));
  }

  async mkdir(path: string): Promise<void> {
    await this.enter('mkdir', path);
    this.stillPowered('mkdir', path);
    let node: Dir = this.root;
    for (const part of this.parts(path)) {
      const child = node.entries.get(part);
      if (child instanceof Inode) throw errno('ENOTDIR', path);
      if (child) node = child;
      else {
        const made = new Dir();
        node.set(part, made);
        node = made;
      }
    }
  }

  async rename(from: string, to: string): Promise<void> {
    await this.enter('rename', from);
    this.stillPowered('rename', from);
    const node = this.lookup(from);
    if (!node) throw errno('ENOENT', from);
    const target = this.dirOf(to);
    this.dirOf(from).set(basename(from), null);
    target.set(basename(to), node);
  }

  async unlink(path: string): Promise<void> {
    await this.enter('unlink', path);
    this.stillPowered('unlink', path);
    const n = this.lookup(path);
    if (!n) return;
    if (n instanceof Dir) throw errno('EISDIR', path);
    this.dirOf(path).set(basename(path), null);
  }

  async removeTree(path: string): Promise<void> {
    await this.enter('removeTree', path);
    this.stillPowered('removeTree', path);
    if (this.lookup(path)) this.dirOf(path).set(basename(path), null);
  }

  async syncDir(path: string): Promise<void> {
    await this.enter('syncDir', path);
    this.stillPowered('syncDir', path);
    const d = this.lookup(path);
    if (!(d instanceof Dir)) throw errno('ENOTDIR', path);
    d.sync();
  }

  /** Every file path below `path` (for tests that look at the disk). */
  list(path = '/'): string[] {
    const d = this.lookup(path);
    if (!(d instanceof Dir)) return [];
    const out: string[] = [];
    for (const [name, n] of d.entries) {
      const p = `${path.replace(/\/$/, '')}/${name}`;
      if (n instanceof Dir) out.push(...this.list(p));
      else out.push(p);
    }
    return out;
  }
}

class SimFile implements StorageFile {
  private closed = false;
  constructor(
    private readonly fs: SimFileSystem,
    private readonly inode: Inode,
    private readonly path: string,
    private readonly writable: boolean,
  ) {}

  private call<T>(call: FsCall, fn: () => T): Promise<T> {
    return this.fs.fileCall(call, this.path, () => {
      if (this.closed) throw errno('EIO', `${call} on a closed file ${this.path}`);
      return fn();
    });
  }

  read(buffer: Buffer, offset: number, length: number, position: number) {
    // Past the end a read returns no bytes, as a real file's does.
    return this.call('read', () => ({ bytesRead: position >= this.inode.data.length ? 0 : this.inode.data.copy(buffer, offset, position, Math.min(position + length, this.inode.data.length)) }));
  }

  write(buffer: Buffer, offset: number, length: number, position: number) {
    return this.call('write', () => {
      if (!this.writable) throw errno('EIO', `write to a read-only file ${this.path}`);
      this.inode.write(position, buffer.subarray(offset, offset + length), this.fs.stamp());
      return { bytesWritten: length };
    });
  }

  writev(buffers: Buffer[], position: number) {
    return this.call('writev', () => {
      if (!this.writable) throw errno('EIO', `write to a read-only file ${this.path}`);
      let at = position;
      for (const b of buffers) {
        this.inode.write(at, b, this.fs.stamp());
        at += b.length;
      }
      return { bytesWritten: at - position };
    });
  }

  datasync() {
    return this.call('datasync', () => this.inode.sync());
  }

  sync() {
    return this.call('sync', () => this.inode.sync());
  }

  truncate(length: number) {
    return this.call('truncate', () => this.inode.truncate(length, this.fs.stamp()));
  }

  size() {
    return this.call('size', () => this.inode.data.length);
  }

  async close() {
    this.closed = true;
  }
}

function resized(data: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  data.copy(out, 0, 0, Math.min(length, data.length));
  return out;
}
