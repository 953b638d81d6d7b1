/** A raw TCP client for sending hand-made frames: what a broken or hostile client would send. */
import { connect, type Socket } from 'node:net';
import { encodeRequestFrame } from '../../src/protocol/request-codec.js';
import { Reader } from '../../src/protocol/reader.js';
import { API_BY_KEY } from '../../src/protocol/generated/index.js';
import { responseHeaderVersion } from '../../src/protocol/headers.js';
import { decodeResponseHeader } from '../../src/protocol/generated/index.js';

export class RawClient {
  private buffered = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, d]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  static open(bootstrap: string): Promise<RawClient> {
    const [host, port] = bootstrap.split(':');
    return new Promise((resolve, reject) => {
      const s = connect(Number(port), host, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  send(bytes: Buffer | Buffer[]): void {
    for (const b of Array.isArray(bytes) ? bytes : [bytes]) this.socket.write(b);
  }

  sendRequest(apiKey: number, apiVersion: number, correlationId: number, body: unknown): void {
    this.send(encodeRequestFrame(apiKey, apiVersion, correlationId, 'raw-client', body));
  }

  /** Resolves with the next response frame (without size prefix), or null if the broker closed the connection. */
  async nextFrame(timeoutMs = 5000): Promise<Buffer | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.buffered.length >= 4) {
        const size = this.buffered.readInt32BE(0);
        if (this.buffered.length >= 4 + size) {
          const frame = this.buffered.subarray(4, 4 + size);
          this.buffered = this.buffered.subarray(4 + size);
          return frame;
        }
      }
      if (this.closed) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no response in time');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Reads the next response and decodes it as the answer to (apiKey, apiVersion). */
  async response(apiKey: number, apiVersion: number, timeoutMs = 5000): Promise<{ correlationId: number; body: unknown } | null> {
    const frame = await this.nextFrame(timeoutMs);
    if (frame === null) return null;
    const r = new Reader(frame);
    const header = decodeResponseHeader(r, responseHeaderVersion(apiKey, apiVersion));
    const api = API_BY_KEY.get(apiKey);
    if (!api) throw new Error(`unknown api ${apiKey}`);
    return { correlationId: header.correlationId, body: api.decodeResponse(r, apiVersion) };
  }

  /** Resolves true once the broker has closed the connection. */
  async waitClosed(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return this.closed;
  }

  close(): void {
    this.socket.destroy();
  }
}
