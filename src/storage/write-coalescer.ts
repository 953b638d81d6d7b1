/**
 * The write half of a log: positioned writes queued in the log's write order and coalesced, while
 * one is in flight, into one writev per run of contiguous writes to a segment, so concurrent
 * producers cost one system call and one thread-pool trip between them. Each completed writev is
 * numbered; group commit (group-commit.ts) covers writes by that number.
 */
import type { Segment } from './segment.js';

interface PendingWrite {
  segment: Segment;
  position: number;
  bytes: Buffer;
  /** Called with the number of the completed writev. */
  resolve: (written: number) => void;
  reject: (err: unknown) => void;
}

/** What the coalescer needs from its log. */
export interface WriteTarget {
  /** Runs a task in the log's write order (after what was queued before it). */
  enqueue(task: () => Promise<void>): Promise<void>;
  /** The error the log went offline with, or null: queued writes are refused then. */
  failure(): Error | null;
  /** Takes the log offline after a failed write; returns the error the writes are refused with. */
  fail(err: unknown): Error;
  /** Before a writev: the segment is now dirty (unsynced). */
  willWrite(segment: Segment): void;
  /** After a writev ending at `end` in `segment` completed. */
  wrote(segment: Segment, end: number): void;
}

export class WriteCoalescer {
  private readonly pending: PendingWrite[] = [];
  private drainQueued = false;
  /** Writevs completed so far: the number a group commit round covers. */
  completed = 0;

  constructor(private readonly target: WriteTarget) {}

  /** Queues `bytes` at `position` of `segment`; resolves with the number of the writev that wrote it. */
  write(segment: Segment, position: number, bytes: Buffer): Promise<number> {
    return new Promise((resolve, reject) => {
      this.pending.push({ segment, position, bytes, resolve, reject });
      this.queueDrain();
    });
  }

  /** Whether writes to `segment` are queued and not yet taken by a writev. */
  hasPendingFor(segment: Segment): boolean {
    return this.pending.some((w) => w.segment === segment);
  }

  /** Refuses every queued write (the log went offline or is being discarded). */
  rejectAll(err: unknown): void {
    for (const w of this.pending.splice(0)) w.reject(err);
  }

  private queueDrain(): void {
    if (this.drainQueued) return;
    this.drainQueued = true;
    // drain settles every write it takes; a rejection here has no one else to tell.
    this.target.enqueue(() => this.drain()).catch((err: unknown) => this.target.fail(err));
  }

  private async drain(): Promise<void> {
    this.drainQueued = false;
    const failure = this.target.failure();
    if (failure) return this.rejectAll(failure);
    const first = this.pending[0];
    if (!first) return;
    let n = 1;
    let end = first.position + first.bytes.length;
    while (n < this.pending.length && this.pending[n].segment === first.segment && this.pending[n].position === end) {
      end += this.pending[n].bytes.length;
      n++;
    }
    const group = this.pending.splice(0, n);
    if (this.pending.length > 0) this.queueDrain();
    this.target.willWrite(first.segment);
    try {
      await first.segment.withFile(async (fh) => {
        let buffers = group.map((g) => g.bytes);
        let position = first.position;
        while (buffers.length > 0) {
          const { bytesWritten } = await fh.writev(buffers, position);
          position += bytesWritten;
          buffers = skipBytes(buffers, bytesWritten);
        }
      });
      this.target.wrote(first.segment, end);
      const number = ++this.completed;
      for (const g of group) g.resolve(number);
    } catch (err) {
      const offline = this.target.fail(err);
      for (const g of group) g.reject(offline);
    }
  }
}

/** The buffers left after the first `n` bytes of `buffers` were written. */
function skipBytes(buffers: Buffer[], n: number): Buffer[] {
  const out: Buffer[] = [];
  let skip = n;
  for (const b of buffers) {
    if (skip >= b.length) skip -= b.length;
    else {
      out.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
  }
  return out;
}
