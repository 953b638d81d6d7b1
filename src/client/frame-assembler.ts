/**
 * Cuts response frames (a 4-byte big-endian size, then that many bytes) out of bytes that are only
 * lent: a socket read with Node's `onread` option fills one buffer again and again, so every byte
 * is copied out before the next read. Each frame is copied once, straight into a buffer of its own
 * exact size, allocated when its size prefix has arrived. Against reading into fresh 64 KiB chunks
 * and joining them (response-frames.ts), this halves the memory a follower allocates per byte it
 * replicates: the chunks were as large again as the frames, and each one was garbage at once.
 */
/**
 * The most a frame's buffer starts with: a larger declared size grows it as bytes arrive, so a
 * size prefix alone (a hostile or broken peer's 2 GiB) never allocates more than was received.
 */
const FIRST_ALLOCATION_MAX = 16 * 1024 * 1024;

/** Where a frame's memory comes from: by default fresh memory; a pool's (storage/read-buffers.ts) when its user gives frames back. */
export type FrameAllocator = (size: number) => Buffer;

export class FrameAssembler {
  private readonly sizePrefix = Buffer.alloc(4);
  private prefixFilled = 0;
  private frame: Buffer | null = null;
  private frameSize = 0;
  private frameFilled = 0;

  constructor(private readonly allocate: FrameAllocator = (size) => Buffer.allocUnsafe(size)) {}

  /** Copies `bytes` in; returns the frames (without their size prefix) they complete, in order. */
  push(bytes: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    let at = 0;
    while (at < bytes.length) {
      if (this.frame === null) {
        const take = Math.min(4 - this.prefixFilled, bytes.length - at);
        bytes.copy(this.sizePrefix, this.prefixFilled, at, at + take);
        this.prefixFilled += take;
        at += take;
        if (this.prefixFilled < 4) break;
        const size = this.sizePrefix.readInt32BE(0);
        if (size < 0) throw new Error(`the broker sent a frame of negative size ${size}`);
        this.prefixFilled = 0;
        this.frame = size <= FIRST_ALLOCATION_MAX ? this.allocate(size) : Buffer.allocUnsafe(FIRST_ALLOCATION_MAX);
        this.frameSize = size;
        this.frameFilled = 0;
        if (size === 0) {
          frames.push(this.frame);
          this.frame = null;
          continue;
        }
      }
      if (this.frameFilled === this.frame.length && this.frame.length < this.frameSize) {
        const grown = Buffer.allocUnsafe(Math.min(this.frameSize, this.frame.length * 2));
        this.frame.copy(grown, 0, 0, this.frameFilled);
        this.frame = grown;
      }
      const take = Math.min(this.frame.length - this.frameFilled, bytes.length - at);
      bytes.copy(this.frame, this.frameFilled, at, at + take);
      this.frameFilled += take;
      at += take;
      if (this.frameFilled === this.frameSize) {
        frames.push(this.frame);
        this.frame = null;
      }
    }
    return frames;
  }
}
