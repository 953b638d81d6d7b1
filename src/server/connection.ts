/**
 * One client connection: frames in, handlers called, responses out in request order.
 *
 * Requests are started as they arrive (so a producer's pipelined requests share fsyncs), but their
 * responses are written strictly in arrival order, as Kafka clients require. What one connection
 * may hold is bounded (ConnectionLimits): past a bound, further frames wait unstarted and reading
 * pauses until answers leave. The broker-wide request-bytes pool pauses every connection's reading
 * while it is used up. A failure in one request answers that request with an error, or closes this
 * connection; never more: every callback runs inside the connection's failure boundary.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { FrameSizeError, FrameSplitter } from './frame-splitter.js';
import { dispatch, type Dispatched, type Dispatcher, type DispatchResult } from './dispatch.js';
import type { RequestBytesPool } from './request-bytes-pool.js';
import type { BrokerServices } from '../api/services.js';
import { ClientSession, PLAINTEXT_LISTENER, type ListenerIdentity } from './client-session.js';
import { traceDone, writeChunks, writeTraced, type RequestTrace } from './request-trace.js';

export interface ConnectionLimits {
  readonly maxFrameBytes: number;
  /** Requests started and not yet answered (tributary.connection.max.inflight.requests). */
  readonly maxInFlightRequests: number;
  /**
   * Bytes one connection may hold before it starts no further request and stops reading
   * (tributary.connection.max.inflight.bytes): requests under way, the most their answers may
   * take, answers built but waiting for their turn, and output the socket has not sent yet.
   */
  readonly maxInFlightBytes: number;
  readonly idleTimeoutMs: number;
}

/** What one connection holds at a moment, for the listener's totals. */
export interface ConnectionLoad {
  requestsInFlight: number;
  requestsWaitingToStart: number;
  responseBytesWaiting: number;
  readingPaused: boolean;
}

interface Slot {
  settled: boolean;
  result: DispatchResult;
  requestBytes: number;
  /** Estimated heap of the decoded request, counted until it is answered. */
  decodedBytes: number;
  /** Reserved for the answer until it is built, then the answer's size until it is written. */
  responseBytes: number;
  /** Whether its request bytes went back to the pool (once, at settle or at close). */
  released: boolean;
  trace?: RequestTrace;
}

export class Connection {
  private readonly closedSignal = new AbortController();
  private readonly splitter: FrameSplitter;
  /** Frames read but not started, because a limit was reached. */
  private readonly held: Buffer[] = [];
  private readonly slots: Slot[] = [];
  private closed = false;
  private readPaused = false;
  private draining = false;
  private idleSince = Date.now();
  readonly log: Logger;
  readonly clientHost: string;
  readonly session: ClientSession;
  private drainedCallbacks: (() => void)[] = [];
  /** Bytes of started, unsettled requests plus the answers reserved or built for them. */
  private slotBytes = 0;
  private heldBytes = 0;
  /** Declared size of the frame being received, once reserved in the pool (0 while none is). */
  private partialReserved = 0;
  private readonly stopWatchingPool: () => void;
  /** Set once the failure boundary caught an exception: the connection is being torn down. */
  private failed = false;
  /** Set once the listener was told this connection is gone (exactly once). */
  private released = false;
  /** Until when (Date.now()) a quota keeps this connection from reading and starting requests (KIP-219). */
  private mutedUntil = 0;
  private unmuteTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly socket: Socket,
    private readonly services: BrokerServices,
    private readonly limits: ConnectionLimits,
    log: Logger,
    private readonly onClose: (c: Connection) => void,
    private readonly dispatcher: Dispatcher = dispatch,
    private readonly pool: RequestBytesPool | null = null,
    listener: ListenerIdentity = PLAINTEXT_LISTENER,
  ) {
    this.session = ClientSession.forSocket(socket.remoteAddress, socket.remotePort, listener);
    this.clientHost = this.session.host;
    this.log = log.child({ client: this.clientHost });
    this.splitter = new FrameSplitter(limits.maxFrameBytes);
    this.stopWatchingPool = pool?.watch(this.guard('pausing for the request memory pool', () => this.updateReading())) ?? (() => {});
    socket.setNoDelay(true);
    socket.setTimeout(limits.idleTimeoutMs);
    socket.on('data', this.guard('reading a request', (chunk: Buffer) => this.onData(chunk)));
    socket.on('timeout', this.guard('the idle timer', () => this.onIdleTimer()));
    socket.on('drain', this.guard('resuming after a drain', () => this.pump()));
    socket.on('error', this.guard('a socket error', (err: Error) => this.log.debug({ err: err.message }, 'socket error')));
    socket.on('close', this.guard('closing', () => this.onSocketClosed()));
    this.updateReading();
  }

  /**
   * Wraps a callback that runs outside any caller of this connection (a socket event, a timer, a
   * promise continuation, the pool's notification): an exception closes this connection with one
   * log line and goes no further, so it can never reach the process.
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
      // 'close' follows destroy(); should it not come, still release what this connection holds.
      this.onSocketClosed();
    } catch {
      // The socket is gone either way.
    }
  }

  private onIdleTimer(): void {
    if (this.slots.length === 0 && this.held.length === 0 && Date.now() - this.idleSince >= this.limits.idleTimeoutMs) {
      this.log.info('closing idle connection');
      this.close();
    }
  }

  private onSocketClosed(): void {
    this.closed = true;
    if (this.unmuteTimer) clearTimeout(this.unmuteTimer);
    this.unmuteTimer = null;
    // Long polls of this connection stop waiting: their answers would go nowhere.
    this.closedSignal.abort();
    if (this.released) return;
    this.released = true;
    this.stopWatchingPool();
    // Requests still running keep their slots (their answers are dropped), but nothing this
    // connection holds may keep the broker-wide pool from other connections.
    this.pool?.release(this.heldBytes + this.partialReserved);
    this.heldBytes = 0;
    this.partialReserved = 0;
    this.held.length = 0;
    for (const slot of this.slots) this.releaseRequestBytes(slot);
    this.notifyDrained();
    this.onClose(this);
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.idleSince = Date.now();
    const reservedForFirst = this.partialReserved;
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
    for (let i = 0; i < frames.length; i++) {
      // The frame whose size was reserved while it arrived is the first to complete.
      if (i === 0 && reservedForFirst > 0) this.partialReserved = 0;
      else this.pool?.reserve(frames[i].length);
      this.held.push(frames[i]);
      this.heldBytes += frames[i].length;
    }
    this.reservePartialFrame();
    this.pump();
  }

  /** Reserves the declared size of a frame that has begun to arrive, if the pool has room. */
  private reservePartialFrame(): void {
    const size = this.splitter.partialFrameSize;
    if (this.pool === null || size <= 0 || this.partialReserved > 0 || !this.pool.hasRoom) return;
    this.pool.reserve(size);
    this.partialReserved = size;
  }

  /** Bytes this connection holds against its own limit. */
  private get bytesInUse(): number {
    return this.slotBytes + this.socket.writableLength;
  }

  /** A quota's wait: nothing is read or started until it is over (requests already started go on). */
  private mute(ms: number): void {
    const until = Date.now() + ms;
    if (until <= this.mutedUntil) return;
    this.mutedUntil = until;
    if (this.unmuteTimer) clearTimeout(this.unmuteTimer);
    this.unmuteTimer = setTimeout(
      this.guard('ending a quota wait', () => {
        this.unmuteTimer = null;
        this.mutedUntil = 0;
        this.pump();
      }),
      ms,
    );
  }

  private canStartAnother(): boolean {
    if (this.mutedUntil > 0) return false;
    if (this.slots.length === 0) return this.socket.writableLength < this.limits.maxInFlightBytes;
    return this.slots.length < this.limits.maxInFlightRequests && this.bytesInUse < this.limits.maxInFlightBytes;
  }

  /** Starts held frames while the limits allow, then pauses or resumes reading. */
  private pump(): void {
    while (!this.closed && this.held.length > 0 && this.canStartAnother()) {
      const frame = this.held.shift() as Buffer;
      this.heldBytes -= frame.length;
      this.startRequest(frame);
    }
    this.updateReading();
    if (this.slots.length === 0 && this.held.length === 0) this.notifyDrained();
  }

  private startRequest(frame: Buffer): void {
    const slot: Slot = { settled: false, result: { kind: 'none' }, requestBytes: frame.length, decodedBytes: 0, responseBytes: 0, released: false };
    this.slots.push(slot);
    this.slotBytes += frame.length;
    let dispatched: Dispatched;
    try {
      dispatched = this.dispatcher(frame, this.services, this.session, this.log, this.closedSignal.signal);
    } catch (err) {
      // A dispatcher that throws (a decoder bug) fails this request only: the requests before it
      // are still answered, in order, before the connection closes.
      dispatched = { responseBytesEstimate: 0, answer: Promise.reject(err) };
    }
    slot.responseBytes = dispatched.responseBytesEstimate;
    slot.trace = dispatched.trace;
    // A request of many tiny elements costs far more once decoded than its frame's bytes.
    slot.decodedBytes = dispatched.decodedBytesEstimate ?? 0;
    this.slotBytes += slot.responseBytes + slot.decodedBytes;
    // Both continuations run inside the boundary: an exception while writing a response would
    // otherwise become an unhandled rejection, which ends a Node process.
    dispatched.answer.then(
      this.guard('answering a request', (result: DispatchResult) => this.settle(slot, result)),
      this.guard('answering a request', (err: unknown) => {
        this.log.error({ err }, 'closing connection: request failed outside its handler');
        this.settle(slot, { kind: 'close' });
      }),
    );
  }

  private releaseRequestBytes(slot: Slot): void {
    if (slot.released) return;
    slot.released = true;
    this.pool?.release(slot.requestBytes);
  }

  private settle(slot: Slot, result: DispatchResult): void {
    slot.settled = true;
    slot.result = result;
    this.releaseRequestBytes(slot);
    // The reservation for the answer becomes the answer's real size while it waits its turn.
    const built = result.kind === 'response' ? result.chunks.reduce((n, c) => n + c.length, 0) : 0;
    this.slotBytes += built - slot.requestBytes - slot.decodedBytes - slot.responseBytes;
    slot.requestBytes = 0;
    slot.decodedBytes = 0;
    slot.responseBytes = built;
    this.flushInOrder();
  }

  /** Writes every settled response at the head of the queue, in request order. */
  private flushInOrder(): void {
    let wrote = false;
    while (this.slots.length > 0 && this.slots[0].settled) {
      const { result, responseBytes, trace } = this.slots.shift() as Slot;
      this.slotBytes -= responseBytes;
      if (trace && (this.closed || result.kind !== 'response')) traceDone(trace, this.closed ? 'close' : result.kind);
      if (this.closed) {
        if (result.kind === 'response') result.afterWrite?.();
        continue;
      }
      if (result.kind === 'close') {
        this.close();
        continue;
      }
      if ((result.throttleMs ?? 0) > 0) this.mute(result.throttleMs as number);
      if (result.kind === 'response') {
        if (!wrote) this.socket.cork();
        wrote = true;
        if (trace) writeTraced(trace, this.socket, result.chunks, result.afterWrite);
        else writeChunks(this.socket, result.chunks, result.afterWrite);
        if (result.closeAfter === true) {
          // end() flushes what was written (uncorking it) before the socket closes.
          this.close();
          wrote = false;
        }
      }
    }
    if (wrote) this.socket.uncork();
    this.idleSince = Date.now();
    this.pump();
  }

  /** Reads while this connection may start requests and the broker-wide pool has room. */
  private updateReading(): void {
    if (this.closed) return;
    this.reservePartialFrame();
    const poolAllows = this.pool === null || this.pool.hasRoom || this.partialReserved > 0;
    const read = !this.draining && this.held.length === 0 && this.canStartAnother() && poolAllows;
    if (!read && !this.readPaused) {
      this.readPaused = true;
      this.socket.pause();
    } else if (read && this.readPaused) {
      this.readPaused = false;
      this.socket.resume();
    }
  }

  get load(): ConnectionLoad {
    return {
      requestsInFlight: this.slots.filter((s) => !s.settled).length,
      requestsWaitingToStart: this.held.length,
      responseBytesWaiting: this.slots.reduce((n, s) => n + (s.settled ? s.responseBytes : 0), 0),
      readingPaused: this.readPaused,
    };
  }

  private notifyDrained(): void {
    const callbacks = this.drainedCallbacks;
    this.drainedCallbacks = [];
    for (const cb of callbacks) cb();
  }

  /** Stops reading new requests and resolves once those received are answered (or the socket closed). */
  drain(): Promise<void> {
    this.draining = true;
    this.updateReading();
    if ((this.slots.length === 0 && this.held.length === 0) || this.closed) return Promise.resolve();
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
