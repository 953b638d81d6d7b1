/**
 * A TCP proxy on a free loopback port in front of one target, for cutting a single client's link
 * without touching the server: `cut()` drops every connection through it and refuses new ones
 * (accepted and closed at once, as a dead peer would); `blackhole()` keeps connections open but
 * carries nothing more either way, as a lost route would; `restore()` lets connections through again.
 */
import { createServer, connect, type Socket } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** http://127.0.0.1:<port> */
  readonly endpoint: string;
  cut(): void;
  blackhole(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const live = new Set<Socket>();
  let isCut = false;
  let isBlackholed = false;
  const held = new Set<Socket>();
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
    client.pipe(upstream);
    upstream.pipe(client);
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
      for (const s of live) {
        s.unpipe();
        s.pause();
      }
    },
    restore() {
      isCut = false;
      isBlackholed = false;
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
