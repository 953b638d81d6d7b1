/**
 * Bytes received in chunks, taken back out in pieces: a piece inside the first chunk is a view of
 * it (no copy), one that spans chunks is joined once. The broker's request frames and the client
 * connection's response frames are cut from it.
 */
export class ChunkQueue {
  private chunks: Buffer[] = [];
  private size = 0;

  /** Bytes queued and not yet taken. */
  get length(): number {
    return this.size;
  }

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** Removes the next `n` bytes (n ≤ length). */
  take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[0];
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const c = this.chunks[0];
        const part = Math.min(c.length, n - filled);
        c.copy(out, filled, 0, part);
        filled += part;
        if (part === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(part);
      }
    }
    this.size -= n;
    return out;
  }
}
