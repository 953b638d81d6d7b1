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
import { dispatch, type DispatchResult } from './dispatch.js';
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

  constructor(
    private readonly socket: Socket,
    private readonly services: BrokerServices,
    private readonly limits: ConnectionLimits,
    log: Logger,
    private readonly onClose: (c: Connection) => void,
  ) {
    this.clientHost = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.log = log.child({ client: this.clientHost });
    this.splitter = new FrameSplitter(limits.maxFrameBytes);
    socket.setNoDelay(true);
    socket.setTimeout(limits.idleTimeoutMs);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('timeout', () => {
      if (this.slots.length === 0 && Date.now() - this.idleSince >= limits.idleTimeoutMs) {
        this.log.info('closing idle connection');
        this.close();
      }
    });
    socket.on('drain', () => this.updateReading());
    socket.on('error', (err) => this.log.debug({ err: err.message }, 'socket error'));
    socket.on('close', () => {
      this.closed = true;
      this.notifyDrained();
      this.onClose(this);
    });
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
    dispatch(frame, this.services, this.clientHost, this.log).then(
      (result) => this.settle(slot, result),
      (err: unknown) => {
        this.log.error({ err }, 'request failed outside its handler');
        this.settle(slot, { kind: 'close' });
      },
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
