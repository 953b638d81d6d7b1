/**
 * A minimal Kafka client connection on the project's own codecs, for the CLI and tools: one
 * socket, requests answered in order by correlation id. Not a general-purpose client.
 */
import { connect, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import { encodeRequestFrame } from '../protocol/request-codec.js';
import { API_BY_KEY, decodeResponseHeader } from '../protocol/generated/index.js';
import { responseHeaderVersion } from '../protocol/headers.js';
import { Reader } from '../protocol/reader.js';
import { ResponseFrames } from './response-frames.js';
import { FrameAssembler } from './frame-assembler.js';
import { authenticate, type SaslCredentials } from './sasl-client.js';

interface Pending {
  apiKey: number;
  version: number;
  /** Answered with the frame's release (requestLent): the caller gives the frame's memory back. */
  lent: boolean;
  resolve: (answer: unknown) => void;
  reject: (err: Error) => void;
}

/**
 * Memory a connection may cut response frames into and take back (storage/read-buffers.ts). Only
 * frames answering `requestLent` are given back, by their caller, once nothing reads them again;
 * every other frame is left to the garbage collector, as the pool allows.
 */
export interface FrameMemory {
  take(length: number): Buffer;
  giveBack(bytes: Uint8Array): void;
}

/** A decoded answer whose byte fields may be views into its frame: `release()` once they are no longer read. */
export interface LentAnswer<T> {
  body: T;
  release(): void;
}

/** The share of a SASL session's lifetime after which the connection is replaced (Kafka's clients pick 85-95 %). */
const SESSION_RENEWAL_SHARE = 0.85;
/** The buffer a plain-TCP connection's reads fill again and again (Node's `onread`). */
const LENT_READ_BYTES = 256 * 1024;

/** Where a connection's response frames come from: 'data' events (TLS), or reads into one lent buffer. */
type FrameSource = { kind: 'data' } | { kind: 'lent'; attach: (onBytes: (bytes: Buffer) => void) => void };

export class KafkaConnection {
  private readonly pending = new Map<number, Pending>();
  private nextCorrelationId = 1;

  private constructor(
    private readonly socket: Socket,
    private readonly clientId: string,
    source: FrameSource,
    private readonly frameMemory: FrameMemory | undefined,
  ) {
    if (source.kind === 'lent') {
      const assembler = new FrameAssembler(frameMemory && ((size) => frameMemory.take(size)));
      source.attach((bytes) => this.onFrames(() => assembler.push(bytes)));
    } else {
      const frames = new ResponseFrames();
      socket.on('data', (d: Buffer) => this.onFrames(() => frames.push(d)));
    }
    socket.on('error', (err) => this.failAll(err));
    socket.on('close', () => this.failAll(new Error('connection closed by the broker')));
  }

  /**
   * Opens a connection (over TLS with `tls`, resolved once the handshake completed) and, with
   * `sasl`, authenticates it before resolving.
   */
  static async open(bootstrap: string, timeoutMs = 10_000, clientId = 'tributary-cli', sasl?: SaslCredentials, tls?: ConnectionOptions, frameMemory?: FrameMemory): Promise<KafkaConnection> {
    const c = await KafkaConnection.connect(bootstrap, timeoutMs, clientId, tls, frameMemory);
    if (!sasl) return c;
    try {
      const session = await authenticate(c, sasl);
      // Kafka's clients re-authenticate at 85-95 % of the lifetime; this one is replaced at 85 %.
      if (session.lifetimeMs > 0) c.renewSessionAt = Date.now() + session.lifetimeMs * SESSION_RENEWAL_SHARE;
      return c;
    } catch (err) {
      c.close();
      throw err;
    }
  }

  private static connect(bootstrap: string, timeoutMs: number, clientId: string, tls: ConnectionOptions | undefined, frameMemory: FrameMemory | undefined): Promise<KafkaConnection> {
    const at = bootstrap.lastIndexOf(':');
    const host = bootstrap.slice(0, at);
    const port = Number(bootstrap.slice(at + 1));
    return new Promise((resolve, reject) => {
      // Plain TCP reads into one buffer of this connection's (copied out at once by the frame
      // assembler) instead of a fresh 64 KiB chunk per read: a follower's megabytes of fetch
      // answers then make half the garbage. TLS sockets do not take `onread`.
      let onBytes: (bytes: Buffer) => void = () => {};
      const lent = Buffer.allocUnsafe(LENT_READ_BYTES);
      const source: FrameSource = tls ? { kind: 'data' } : { kind: 'lent', attach: (f) => (onBytes = f) };
      const onread = {
        buffer: lent,
        callback: (n: number) => {
          onBytes(lent.subarray(0, n));
          return true;
        },
      };
      const open = (onReady: () => void): Socket => (tls ? connectTls({ ...tls, host, port, timeout: timeoutMs }, onReady) : connect({ host, port, timeout: timeoutMs, onread }, onReady));
      const socket = open(() => {
        socket.setTimeout(0);
        // A request goes out as several writes (header, body parts): with Nagle's algorithm the
        // later ones would wait for the peer's delayed ACK, up to 40 ms on Linux, on every
        // follower fetch. The broker's own listener sets the same.
        socket.setNoDelay(true);
        resolve(new KafkaConnection(socket, clientId, source, frameMemory));
      });
      socket.once('timeout', () => socket.destroy(new Error(`no answer from ${bootstrap} in ${timeoutMs} ms`)));
      socket.once('error', reject);
    });
  }

  /**
   * Sends one request and resolves with the decoded response body. With `timeoutMs`, an answer
   * later than that closes the connection (every pending request fails): a peer that went silent
   * is not waited for.
   */
  request<T>(apiKey: number, version: number, body: unknown, timeoutMs?: number): Promise<T> {
    return this.send<T>(apiKey, version, body, timeoutMs, false);
  }

  /**
   * As `request`, for answers whose bytes are copied elsewhere and then dropped (a follower's Fetch
   * answers): the frame may come from the connection's FrameMemory, and `release()` gives it back.
   * Nothing may read the body's byte fields after that.
   */
  requestLent<T>(apiKey: number, version: number, body: unknown, timeoutMs?: number): Promise<LentAnswer<T>> {
    return this.send<LentAnswer<T>>(apiKey, version, body, timeoutMs, true);
  }

  private send<T>(apiKey: number, version: number, body: unknown, timeoutMs: number | undefined, lent: boolean): Promise<T> {
    const correlationId = this.nextCorrelationId++;
    return new Promise<T>((resolve, reject) => {
      if (this.closed) {
        reject(new Error('the connection is closed'));
        return;
      }
      const timer = timeoutMs === undefined ? null : setTimeout(() => this.socket.destroy(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
      const settle = () => timer && clearTimeout(timer);
      this.pending.set(correlationId, {
        apiKey,
        version,
        lent,
        resolve: (b) => {
          settle();
          (resolve as (b: unknown) => void)(b);
        },
        reject: (err) => {
          settle();
          reject(err);
        },
      });
      this.socket.cork();
      for (const chunk of encodeRequestFrame(apiKey, version, correlationId, this.clientId, body)) this.socket.write(chunk);
      this.socket.uncork();
    });
  }

  private closed = false;
  /** When this connection's SASL session should be replaced (KIP-368); null when it does not end. */
  private renewSessionAt: number | null = null;
  private closeOnceIdle = false;

  /** True once the socket closed or failed: open a new connection. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * True once the SASL session nears the end the broker set (connections.max.reauth.ms), after
   * which the broker closes the connection at its next request: a long-lived user opens a new
   * connection instead (this client does not re-authenticate in place) and lets this one go
   * with closeWhenIdle().
   */
  get sessionEnding(): boolean {
    return this.renewSessionAt !== null && Date.now() >= this.renewSessionAt;
  }

  /** Closes the connection now if no request waits for an answer on it, else once the last one is answered. */
  closeWhenIdle(): void {
    if (this.pending.size === 0) this.close();
    else this.closeOnceIdle = true;
  }

  private onFrames(cut: () => Buffer[]): void {
    let frames: Buffer[];
    try {
      frames = cut();
    } catch (err) {
      this.socket.destroy(err as Error);
      return;
    }
    for (const frame of frames) {
      if (frame.length < 4) {
        this.socket.destroy(new Error('the broker sent a frame too short for a response header'));
        return;
      }
      const correlationId = frame.readInt32BE(0);
      const p = this.pending.get(correlationId);
      if (!p) continue;
      this.pending.delete(correlationId);
      let decoded: unknown;
      try {
        const r = new Reader(frame);
        decodeResponseHeader(r, responseHeaderVersion(p.apiKey, p.version));
        const api = API_BY_KEY.get(p.apiKey);
        if (!api) throw new Error(`unknown API ${p.apiKey}`);
        decoded = api.decodeResponse(r, p.version);
      } catch (err) {
        if (p.lent) this.frameMemory?.giveBack(frame);
        p.reject(err as Error);
        continue;
      }
      if (!p.lent) {
        p.resolve(decoded);
        continue;
      }
      const memory = this.frameMemory;
      let released = false;
      const answer: LentAnswer<unknown> = {
        body: decoded,
        release: () => {
          if (released) return;
          released = true;
          memory?.giveBack(frame);
        },
      };
      p.resolve(answer);
    }
    if (this.closeOnceIdle && this.pending.size === 0) this.close();
  }

  private failAll(err: Error): void {
    this.closed = true;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  close(): void {
    this.closed = true;
    this.failAll(new Error('the connection was closed'));
    this.socket.destroy();
  }
}
