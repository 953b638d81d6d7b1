/**
 * Reusable memory for the bytes reads take out of segment files.
 *
 * A consumer or follower reading at disk or page-cache speed asks for a megabyte slice many times
 * a second. Each fresh slice is memory outside V8's heap, and V8 answers growth of that memory
 * with garbage collections: profiled at 500 MB/s of consumption, about 25 collections a second
 * ("external memory pressure") took a third of the main thread. Slices from this pool are given
 * back once their bytes are no longer needed, and the next read fills the same memory again, so
 * reading no longer makes garbage.
 *
 * The rule that keeps this safe: a buffer is reused only after someone gave it back, and only the
 * one who holds the read's result may give it back: the Fetch API, once the kernel took the
 * answer's bytes (api/fetch.ts). Any other reader (compaction, the console, state loading) simply
 * lets its buffer go, and the pool, which holds no reference to a buffer it lent, never sees it
 * again. Giving back twice, or giving back a buffer the pool did not lend, does nothing.
 */

/** Reads smaller than this are left to Buffer.allocUnsafe: they make little external memory. */
export const POOLED_MIN_BYTES = 128 * 1024;
/** Reads larger than this are not pooled: rare, and each would pin that much memory in the pool. */
export const POOLED_MAX_BYTES = 8 * 1024 * 1024;
/** The memory the pool keeps for reuse at most; what is given back beyond it is left to the GC. */
export const POOL_FREE_BUDGET_BYTES = 32 * 1024 * 1024;

/** The capacity a read of `length` bytes gets: the next power of two, so a few sizes serve every read. */
function capacityFor(length: number): number {
  let capacity = POOLED_MIN_BYTES;
  while (capacity < length) capacity *= 2;
  return capacity;
}

export class ReadBufferPool {
  /** Memory given back, by capacity, ready for the next read. */
  private readonly free = new Map<number, ArrayBuffer[]>();
  /** Memory out on loan: the pool knows it without keeping it alive. */
  private readonly lent = new WeakSet<ArrayBuffer>();
  private freeBytes = 0;
  private reused = 0;

  constructor(private readonly freeBudgetBytes: number = POOL_FREE_BUDGET_BYTES) {}

  /** A buffer of exactly `length` bytes, contents undefined (the caller fills it). */
  take(length: number): Buffer {
    if (length < POOLED_MIN_BYTES || length > POOLED_MAX_BYTES) return Buffer.allocUnsafe(length);
    const capacity = capacityFor(length);
    let memory = this.free.get(capacity)?.pop();
    if (memory) {
      this.freeBytes -= capacity;
      this.reused++;
    } else {
      // allocUnsafeSlow: memory of its own (never a slice of Node's shared small-buffer pool), uninitialised.
      memory = Buffer.allocUnsafeSlow(capacity).buffer as ArrayBuffer;
    }
    this.lent.add(memory);
    return Buffer.from(memory, 0, length);
  }

  /**
   * Gives back the memory under `bytes` (a buffer `take` returned, or a part of one): no reference
   * to any part of it may be used afterwards. Anything else is ignored.
   */
  giveBack(bytes: Uint8Array): void {
    const memory = bytes.buffer;
    if (!(memory instanceof ArrayBuffer) || !this.lent.has(memory)) return;
    this.lent.delete(memory);
    const capacity = memory.byteLength;
    if (this.freeBytes + capacity > this.freeBudgetBytes) return;
    const list = this.free.get(capacity);
    if (list) list.push(memory);
    else this.free.set(capacity, [memory]);
    this.freeBytes += capacity;
  }

  /** Bytes kept for reuse now. */
  get freeBytesHeld(): number {
    return this.freeBytes;
  }

  /** How many reads were served from memory given back (for tests and benchmarks). */
  get reuseCount(): number {
    return this.reused;
  }
}

/** The process's pool: every segment read takes from it. */
export const processReadBuffers = new ReadBufferPool();
