/**
 * Cuts the byte stream from a broker into response frames (a 4-byte big-endian size, then that
 * many bytes). Chunks are queued and a frame spanning several is joined once, when its last byte
 * has arrived: joining the buffer again at every chunk would copy a follower's megabyte fetch
 * response once per 64 KiB read, which made the copying the largest cost of replication.
 */
export class ResponseFrames {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Size of the frame being received, or -1 while its size prefix is incomplete. */
  private frameSize = -1;

  /** Adds received bytes; returns the frames (without their size prefix) they complete, in order. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.frameSize < 0) {
        if (this.buffered < 4) break;
        this.frameSize = this.take(4).readInt32BE(0);
        if (this.frameSize < 0) throw new Error(`the broker sent a frame of negative size ${this.frameSize}`);
      }
      if (this.buffered < this.frameSize) break;
      frames.push(this.take(this.frameSize));
      this.frameSize = -1;
    }
    return frames;
  }

  /** Removes the next `n` bytes (n ≤ buffered): a view when they lie in the first chunk, else one copy. */
  private take(n: number): Buffer {
    const first = this.chunks[0];
    let out: Buffer;
    if (n === 0) out = Buffer.alloc(0);
    else if (first.length >= n) {
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
    this.buffered -= n;
    return out;
  }
}
