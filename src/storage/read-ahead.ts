/**
 * Read-ahead for sequential readers of a segment. A consumer or follower that is behind the head
 * of the log asks for slice after slice: once a read returned bytes up to some position, the next
 * fetch almost always starts there. So the read path, after answering, reads the next slice into
 * memory while the answer travels; the next fetch then finds its batch header and its bytes here
 * and touches neither the index nor the file. A slice holds only bytes whose writes completed, and
 * a truncation throws away the slice and any read of it in flight (the same positions then hold
 * other records). Slices are kept within one process-wide byte budget, the oldest dropped first,
 * so many partitions read at once cost a bounded amount of memory.
 */
import type { StorageFile } from './file-system.js';
import { processReadBuffers } from './read-buffers.js';

/** The bytes all segments may hold read ahead at once. */
export const READ_AHEAD_BUDGET_BYTES = 64 * 1024 * 1024;

interface Slice {
  readonly position: number;
  readonly bytes: Buffer;
}

/** Oldest-first accounting of the slices held, across segments. */
export class ReadAheadBudget {
  private used = 0;
  private readonly holders = new Map<SegmentReadAhead, number>();

  constructor(private readonly maxBytes: number) {}

  /** Makes room for `bytes` held by `holder` (dropping the oldest slices); false when it cannot fit at all. */
  take(holder: SegmentReadAhead, bytes: number): boolean {
    if (bytes > this.maxBytes) return false;
    this.give(holder);
    for (const [oldest] of this.holders) {
      if (this.used + bytes <= this.maxBytes) break;
      oldest.drop();
    }
    this.holders.set(holder, bytes);
    this.used += bytes;
    return true;
  }

  give(holder: SegmentReadAhead): void {
    const bytes = this.holders.get(holder);
    if (bytes === undefined) return;
    this.holders.delete(holder);
    this.used -= bytes;
  }

  get bytesHeld(): number {
    return this.used;
  }
}

export const processReadAheadBudget = new ReadAheadBudget(READ_AHEAD_BUDGET_BYTES);

/** One segment's slice read ahead (at most one: a segment has one sequential reader in the common case). */
export class SegmentReadAhead {
  private slice: Slice | null = null;
  private pending: { position: number; done: Promise<void> } | null = null;
  /** Bumped by every truncation and drop: a read started before one must not be kept. */
  private generation = 0;

  constructor(private readonly budget: ReadAheadBudget = processReadAheadBudget) {}

  /**
   * Starts reading `length` bytes at `position` (all of them written) unless a read is under way or
   * that slice is held already. `withFile` is the segment's; failures are ignored (a real read reports them).
   */
  start(position: number, length: number, withFile: <T>(fn: (fh: StorageFile) => Promise<T>) => Promise<T>): void {
    if (this.pending || length <= 0 || this.slice?.position === position) return;
    // A slice somewhere else is a reader's that moved on (or stopped): the reader at hand wins.
    if (this.slice) this.release();
    if (!this.budget.take(this, length)) return;
    const generation = this.generation;
    const done = withFile(async (fh) => {
      const bytes = processReadBuffers.take(length);
      const { bytesRead } = await fh.read(bytes, 0, length, position);
      return bytesRead === length ? bytes : bytes.subarray(0, bytesRead);
    }).then(
      (bytes) => {
        if (generation !== this.generation || bytes.length === 0) return this.release();
        this.slice = { position, bytes };
      },
      () => this.release(),
    ).finally(() => {
      if (this.pending?.done === done) this.pending = null;
    });
    this.pending = { position, done };
  }

  /** Waits for a read ahead under way (at `position`, when given): a fetch that arrives while it is in flight. */
  async settled(position?: number): Promise<void> {
    if (this.pending && (position === undefined || this.pending.position === position)) await this.pending.done;
  }

  /** The slice's first bytes when it starts at `position`, or null. */
  peek(position: number): Buffer | null {
    return this.slice && this.slice.position === position ? this.slice.bytes : null;
  }

  /** The slice starting at `position` when it holds `length` bytes (which it then gives up), or null (a shorter slice there is dropped). */
  take(position: number, length: number): Buffer | null {
    const s = this.slice;
    if (!s || s.position !== position) return null;
    if (s.bytes.length < length) {
      // Read when less was written than the reader now wants: a fresh read serves it, and this slice is stale.
      this.release();
      return null;
    }
    this.release();
    return s.bytes.subarray(0, length);
  }

  /** The slice held from this position on, if any (for a batch-header lookup). */
  get heldPosition(): number | null {
    return this.slice ? this.slice.position : null;
  }

  /** Forgets the slice and any read in flight (truncation, deletion, or the budget wants room). */
  drop(): void {
    this.generation++;
    this.release();
  }

  private release(): void {
    this.slice = null;
    this.budget.give(this);
  }
}
