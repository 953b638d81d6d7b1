/**
 * The headers of a segment's last few batches, as this process appended them, so that
 * a read at the head of the log (a follower, a consumer that keeps up) finds its batch without an
 * index lookup and a header read from the file. The entries are contiguous: every batch after the
 * first one held is held too, so an offset at or after the first is answered here for certain;
 * an older one goes to the index as before. Positions may name a batch whose write is still in
 * flight: readers check what is written (readableEnd) before they read, as they must anyway.
 */
import type { BatchInfo } from './segment.js';

/** Enough for the batches a few fetches ahead of a busy follower; 64 headers are a few KiB. */
const HELD = 64;

export class RecentBatches {
  private readonly held: BatchInfo[] = [];

  note(b: BatchInfo): void {
    this.held.push(b);
    if (this.held.length > HELD) this.held.shift();
  }

  /**
   * The first held batch whose last offset is at or past `offset`; null when the offset is past
   * every batch of the segment; undefined when it is older than what is held (ask the index).
   */
  find(offset: number): BatchInfo | null | undefined {
    if (this.held.length === 0 || offset < this.held[0].baseOffset) return undefined;
    for (const b of this.held) if (b.lastOffset >= offset) return b;
    return null;
  }

  /** Forgets batches at or past `position` (the segment was cut there). */
  truncateToPosition(position: number): void {
    while (this.held.length > 0 && this.held[this.held.length - 1].position >= position) this.held.pop();
  }

  clear(): void {
    this.held.length = 0;
  }
}
