/**
 * A free loopback port for a child process to listen on later, chosen outside the kernel's
 * ephemeral range (net.ipv4.ip_local_port_range): a port the kernel hands out for port-0 listeners
 * and for outgoing connections can be taken by any of them, in any test process running beside
 * this one, between the pick and the child's bind (seen as a broker exiting with EADDRINUSE when
 * test files ran in parallel). Outside that range only another explicit pick can take it; picks
 * are random and checked by binding, so two test processes rarely meet on one.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const LOWEST_PORT = 10_000;
const HIGHEST_PORT = 65_535;

/** The ports the kernel may choose on its own, [low, high]. */
export function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return [low, high];
  } catch {
    // Not Linux: the IANA dynamic range.
  }
  return [49_152, 65_535];
}

/** Ports outside the ephemeral range, as ranges [from, to] of at least a few thousand ports. */
function choosableRanges(): [number, number][] {
  const [low, high] = ephemeralRange();
  const ranges: [number, number][] = [];
  if (low - 1 - LOWEST_PORT >= 2000) ranges.push([LOWEST_PORT, low - 1]);
  if (HIGHEST_PORT - (high + 1) >= 2000) ranges.push([high + 1, HIGHEST_PORT]);
  return ranges;
}

/** Whether a loopback listener can take `port` now (it is closed again at once). */
export function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function kernelChosenPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function freePort(): Promise<number> {
  const ranges = choosableRanges();
  // With no room outside the ephemeral range, the kernel's choice (and its small race) it is.
  if (ranges.length === 0) return kernelChosenPort();
  const size = ranges.reduce((sum, [from, to]) => sum + to - from + 1, 0);
  for (let attempt = 0; attempt < 50; attempt++) {
    let n = Math.floor(Math.random() * size);
    for (const [from, to] of ranges) {
      if (n <= to - from) {
        if (await canListen(from + n)) return from + n;
        break;
      }
      n -= to - from + 1;
    }
  }
  return kernelChosenPort();
}
