/**
 * One client connection: frames in, handlers called, responses out in request order.
 *
 * Requests are started as they arrive (so a producer's pipelined requests share fsyncs), but their
 * responses are written strictly in arrival order, as Kafka clients require. Reading pauses while
 * too many requests are in flight or too many response bytes wait in the socket. A failure in one
 * request answers that request with an error, or closes this connection; never more.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { FrameSizeError, FrameSplitter } from './frame-splitter.js';
import { dispatch, type Dispatcher, type DispatchResult } from './dispatch.js';
import type { BrokerServices } from '../api/services.js';

export interface ConnectionLimits {
  readonly maxFrameBytes: number;
  readonly maxInFlight: number;
  /** Request bytes a connection may have in flight before reading pauses (memory per connection). */
  readonly maxInFlightBytes: number;
  readonly maxPendingResponseBytes: number;
  readonly idleTimeoutMs: number;
}

interface Slot {
  settled: boolean;
  result: DispatchResult;
  bytes: number;
}

export class Connection {
  private readonly splitter: FrameSplitter;
  private readonly slots: Slot[] = [];
  private closed = false;
  private readPaused = false;
  private draining = false;
  private idleSince = Date.now();
  readonly log: Logger;
  readonly clientHost: string;
  private drainedCallbacks: (() => void)[] = [];
  private inFlightBytes = 0;
  /** Set once the failure boundary caught an exception: the connection is being torn down. */
  private failed = false;
  /** Set once the listener was told this connection is gone (exactly once). */
  private released = false;

  constructor(
    private readonly socket: Socket,
    private readonly services: BrokerServices,
    private readonly limits: ConnectionLimits,
    log: Logger,
    private readonly onClose: (c: Connection) => void,
    private readonly dispatcher: Dispatcher = dispatch,
  ) {
    this.clientHost = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.log = log.child({ client: this.clientHost });
    this.splitter = new FrameSplitter(limits.maxFrameBytes);
    socket.setNoDelay(true);
    socket.setTimeout(limits.idleTimeoutMs);
    socket.on('data', this.guard('reading a request', (chunk: Buffer) => this.onData(chunk)));
    socket.on('timeout', this.guard('the idle timer', () => this.onIdleTimer()));
    socket.on('drain', this.guard('resuming after a drain', () => this.updateReading()));
    socket.on('error', this.guard('a socket error', (err: Error) => this.log.debug({ err: err.message }, 'socket error')));
    socket.on('close', this.guard('closing', () => this.onSocketClosed()));
  }

  /**
   * Wraps a callback that runs outside any caller of this connection (a socket event, a timer, a
   * promise continuation): an exception closes this connection with one log line and goes no
   * further, so it can never reach the process.
   */
  private guard<A extends unknown[]>(what: string, fn: (...args: A) => void): (...args: A) => void {
    return (...args: A) => {
      try {
        fn(...args);
      } catch (err) {
        this.fail(what, err);
      }
    };
  }

  private fail(what: string, err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    try {
      this.log.error({ err }, `closing connection: ${what} failed: ${err instanceof Error ? err.message : String(err)}`);
    } catch {
      // A logger that throws must not turn one broken connection into a crash.
    }
    try {
      this.destroy();
    } catch {
      // Nothing else can be done for this socket.
    }
    try {
      // 'close' follows destroy(); should it not come, still release what this connection holds.
      this.onSocketClosed();
    } catch {
      // The listener's bookkeeping failed; the socket is gone either way.
    }
  }

  private onIdleTimer(): void {
    if (this.slots.length === 0 && Date.now() - this.idleSince >= this.limits.idleTimeoutMs) {
      this.log.info('closing idle connection');
      this.close();
    }
  }

  private onSocketClosed(): void {
    this.closed = true;
    if (this.released) return;
    this.released = true;
    this.notifyDrained();
    this.onClose(this);
  }

  private onData(chunk: Buffer): void {
    if (this.closed || this.draining) return;
    this.idleSince = Date.now();
    let frames: Buffer[];
    try {
      frames = this.splitter.push(chunk);
    } catch (err) {
      if (err instanceof FrameSizeError) {
        this.log.warn(`closing connection: ${err.message}`);
        this.close();
        return;
      }
      throw err;
    }
    for (const frame of frames) this.startRequest(frame);
    this.updateReading();
  }

  private startRequest(frame: Buffer): void {
    const slot: Slot = { settled: false, result: { kind: 'none' }, bytes: frame.length };
    this.slots.push(slot);
    this.inFlightBytes += frame.length;
    // Both continuations run inside the boundary: an exception while writing a response would
    // otherwise become an unhandled rejection, which ends a Node process.
    let answer: Promise<DispatchResult>;
    try {
      answer = this.dispatcher(frame, this.services, this.clientHost, this.log);
    } catch (err) {
      // A dispatcher that throws before returning its promise fails this request only: the
      // requests before it are still answered, in order, before the connection closes.
      answer = Promise.reject(err);
    }
    answer.then(
      this.guard('answering a request', (result: DispatchResult) => this.settle(slot, result)),
      this.guard('answering a request', (err: unknown) => {
        this.log.error({ err }, 'closing connection: request failed outside its handler');
        this.settle(slot, { kind: 'close' });
      }),
    );
  }

  private settle(slot: Slot, result: DispatchResult): void {
    slot.settled = true;
    slot.result = result;
    this.inFlightBytes -= slot.bytes;
    this.flushInOrder();
  }

  /** Writes every settled response at the head of the queue, in request order. */
  private flushInOrder(): void {
    let wrote = false;
    while (this.slots.length > 0 && this.slots[0].settled) {
      const { result } = this.slots.shift() as Slot;
      if (this.closed) continue;
      if (result.kind === 'close') {
        this.close();
        continue;
      }
      if (result.kind === 'response') {
        if (!wrote) this.socket.cork();
        wrote = true;
        for (const chunk of result.chunks) this.socket.write(chunk);
      }
    }
    if (wrote) this.socket.uncork();
    this.idleSince = Date.now();
    this.updateReading();
    if (this.slots.length === 0) this.notifyDrained();
  }

  /** Pauses reading while the connection has too much work or unsent output; resumes after. */
  private updateReading(): void {
    if (this.closed) return;
    const busy =
      this.slots.length >= this.limits.maxInFlight ||
      this.inFlightBytes > this.limits.maxInFlightBytes ||
      this.socket.writableLength > this.limits.maxPendingResponseBytes;
    if ((busy || this.draining) && !this.readPaused) {
      this.readPaused = true;
      this.socket.pause();
    } else if (!busy && !this.draining && this.readPaused) {
      this.readPaused = false;
      this.socket.resume();
    }
  }

  private notifyDrained(): void {
    const callbacks = this.drainedCallbacks;
    this.drainedCallbacks = [];
    for (const cb of callbacks) cb();
  }

  /** Stops reading new requests and resolves once in-flight ones are answered (or the socket closed). */
  drain(): Promise<void> {
    this.draining = true;
    this.updateReading();
    if (this.slots.length === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.drainedCallbacks.push(resolve));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.end();
    this.socket.destroySoon();
  }

  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }
}
