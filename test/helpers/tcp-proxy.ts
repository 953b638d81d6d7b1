/**
 * A TCP proxy on a free loopback port in front of one target, for faulting a single link without
 * touching either end: `cut()` drops every connection through it and refuses new ones (accepted
 * and closed at once, as a dead peer would); `blackhole()` keeps connections open but carries
 * nothing more either way, as a lost route would (what was in flight is lost with it);
 * `delay(ms)` holds every chunk for `ms` before passing it on, in order (a slow link);
 * `restore()` ends the cut or black hole (its held connections are dropped, so both ends notice
 * and reconnect) and any delay.
 */
import { createServer, connect, type Socket } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** http://127.0.0.1:<port> */
  readonly endpoint: string;
  cut(): void;
  blackhole(): void;
  delay(ms: number): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const live = new Set<Socket>();
  let isCut = false;
  let isBlackholed = false;
  let delayMs = 0;
  const held = new Set<Socket>();

  /** Copies `from` to `to` chunk by chunk, through the delay, until the link is black-holed. */
  const carry = (from: Socket, to: Socket) => {
    // Chunks leave in arrival order: each one waits for the later of its own due time and the previous chunk.
    let lastDue = 0;
    from.on('data', (chunk: Buffer) => {
      if (isBlackholed) return;
      if (delayMs === 0 && lastDue <= Date.now()) {
        to.write(chunk);
        return;
      }
      const due = Math.max(Date.now() + delayMs, lastDue);
      lastDue = due;
      setTimeout(() => {
        if (!isBlackholed && !to.destroyed) to.write(chunk);
      }, due - Date.now());
    });
  };

  const server = createServer((client) => {
    if (isCut) {
      client.destroy();
      return;
    }
    if (isBlackholed) {
      held.add(client);
      client.on('error', () => client.destroy());
      return;
    }
    const upstream = connect(targetPort, targetHost);
    live.add(client);
    live.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      live.delete(client);
      live.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    carry(client, upstream);
    carry(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    cut() {
      isCut = true;
      for (const s of live) s.destroy();
      live.clear();
    },
    blackhole() {
      isBlackholed = true;
    },
    delay(ms: number) {
      delayMs = ms;
    },
    restore() {
      const wasFaulted = isCut || isBlackholed;
      isCut = false;
      isBlackholed = false;
      delayMs = 0;
      if (!wasFaulted) return;
      for (const s of [...live, ...held]) s.destroy();
      live.clear();
      held.clear();
    },
    async close() {
      isCut = true;
      for (const s of [...live, ...held]) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
