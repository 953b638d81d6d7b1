/**
 * Cuts a TCP byte stream into Kafka request frames: a 4-byte big-endian size, then that many
 * bytes. A frame that lies inside one received chunk is returned as a view of it (no copy); one
 * that spans chunks is joined once. The declared size is checked before anything is buffered for
 * it, so a client cannot make the broker hold more than one maximum-size frame.
 */
import { ChunkQueue } from '../protocol/chunk-queue.js';

export class FrameSizeError extends Error {
  override readonly name = 'FrameSizeError';
}

export class FrameSplitter {
  private readonly queue = new ChunkQueue();
  /** Size of the frame being read, or -1 while its size prefix is incomplete. */
  private frameSize = -1;

  constructor(private readonly maxFrameSize: number) {}

  /** Bytes received but not yet returned as frames. */
  get pendingBytes(): number {
    return this.queue.length;
  }

  /** Declared size of the frame being received, or -1 while no frame is under way (or its size prefix is incomplete). */
  get partialFrameSize(): number {
    return this.frameSize;
  }

  /** Adds received bytes; returns the frames they complete. Throws FrameSizeError for a bad size. */
  push(chunk: Buffer): Buffer[] {
    this.queue.push(chunk);
    const frames: Buffer[] = [];
    for (;;) {
      if (this.frameSize < 0) {
        if (this.queue.length < 4) break;
        const size = this.queue.take(4).readInt32BE(0);
        // A size-0 frame cannot hold a request header; Kafka refuses it as an invalid receive.
        if (size <= 0) throw new FrameSizeError(`invalid request frame size ${size}`);
        if (size > this.maxFrameSize) {
          throw new FrameSizeError(`request frame of ${size} bytes (limit socket.request.max.bytes=${this.maxFrameSize})`);
        }
        this.frameSize = size;
      }
      if (this.queue.length < this.frameSize) break;
      frames.push(this.queue.take(this.frameSize));
      this.frameSize = -1;
    }
    return frames;
  }
}
