/**
 * Cuts the byte stream from a broker into response frames (a 4-byte big-endian size, then that
 * many bytes). Chunks are queued and a frame spanning several is joined once, when its last byte
 * has arrived: joining the buffer again at every chunk would copy a follower's megabyte fetch
 * response once per 64 KiB read, which made the copying the largest cost of replication.
 */
import { ChunkQueue } from '../protocol/chunk-queue.js';

export class ResponseFrames {
  private readonly queue = new ChunkQueue();
  /** Size of the frame being received, or -1 while its size prefix is incomplete. */
  private frameSize = -1;

  /** Adds received bytes; returns the frames (without their size prefix) they complete, in order. */
  push(chunk: Buffer): Buffer[] {
    this.queue.push(chunk);
    const frames: Buffer[] = [];
    for (;;) {
      if (this.frameSize < 0) {
        if (this.queue.length < 4) break;
        this.frameSize = this.queue.take(4).readInt32BE(0);
        if (this.frameSize < 0) throw new Error(`the broker sent a frame of negative size ${this.frameSize}`);
      }
      if (this.queue.length < this.frameSize) break;
      frames.push(this.queue.take(this.frameSize));
      this.frameSize = -1;
    }
    return frames;
  }
}
