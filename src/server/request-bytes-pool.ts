/**
 * The broker-wide budget of request bytes (Kafka's `queued.max.request.bytes`): bytes of requests
 * read and not yet answered, over all connections, plus the declared size of each frame a
 * connection has started to receive. While the budget is used up no connection reads, as Kafka's
 * network threads stop reading when its memory pool is empty.
 *
 * The bound is soft in the way Kafka's is: a frame that was already read is always admitted, and a
 * frame whose size was reserved is always read to its end, so a request is never stuck half-read.
 * Memory beyond the limit is therefore at most one frame per connection.
 */
export class RequestBytesPool {
  private used = 0;
  private readonly watchers = new Set<() => void>();

  /** `limit` ≤ 0 means unbounded (Kafka's default -1). */
  constructor(readonly limit: number) {}

  get bounded(): boolean {
    return this.limit > 0;
  }

  get usedBytes(): number {
    return this.used;
  }

  /** Whether a connection may read (and reserve) more. */
  get hasRoom(): boolean {
    return this.limit <= 0 || this.used < this.limit;
  }

  reserve(bytes: number): void {
    if (bytes <= 0) return;
    const had = this.hasRoom;
    this.used += bytes;
    if (had && !this.hasRoom) this.notify();
  }

  release(bytes: number): void {
    if (bytes <= 0) return;
    const had = this.hasRoom;
    this.used -= bytes;
    if (!had && this.hasRoom) this.notify();
  }

  /**
   * Calls `onChange` whenever the pool runs out of room or has room again, so that every
   * connection pauses or resumes reading. Returns the function that stops watching.
   */
  watch(onChange: () => void): () => void {
    if (!this.bounded) return () => {};
    this.watchers.add(onChange);
    return () => this.watchers.delete(onChange);
  }

  private notify(): void {
    // Watchers are connections' boundary-wrapped callbacks: one that fails closes only itself.
    for (const w of [...this.watchers]) w();
  }
}
