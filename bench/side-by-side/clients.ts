/** The clients and ceilings of the side-by-side benchmark: librdkafka's bench tool, dd, a loopback copy. */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export function buildRdkafkaBench(work: string): string {
  const tool = join(work, 'rdkafka-bench');
  execFileSync('gcc', ['-O2', '-o', tool, join(root, 'bench', 'e2e', 'rdkafka-bench.c'), '-lrdkafka']);
  return tool;
}

export function runClient(tool: string, args: string[]): string {
  return execFileSync(tool, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
}

/** Sequential write with fdatasync at the end, in the benchmark's own directory (MB/s). */
export function diskCeiling(dir: string): number {
  const file = join(dir, 'dd.bin');
  const dd = spawnSync('dd', ['if=/dev/zero', `of=${file}`, 'bs=1M', 'count=512', 'conv=fdatasync'], { encoding: 'utf8' });
  rmSync(file, { force: true });
  const m = /(\d+) bytes .* copied, ([\d.]+) s/.exec(dd.stderr);
  return m ? Number(m[1]) / Number(m[2]) / 1e6 : NaN;
}

/** 1 GiB through one loopback TCP connection between two processes (MB/s). */
export async function loopbackCeiling(): Promise<number> {
  const total = 1 << 30;
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const received = new Promise<number>((res) => {
    server.once('connection', (socket) => {
      let n = 0;
      const t0 = performance.now();
      socket.on('data', (d: Buffer) => {
        n += d.length;
        if (n >= total) res((n / ((performance.now() - t0) / 1000)) / 1e6);
      });
    });
  });
  // The writer is another process, as a client is.
  const writer = spawn(process.execPath, ['-e', `const s=require('net').connect(${port},'127.0.0.1');const b=Buffer.alloc(1<<20);let left=${total / (1 << 20)};function go(){while(left>0){left--;if(!s.write(b))return s.once('drain',go)}s.end()}s.on('connect',go)`], { stdio: 'ignore' });
  const rate = await received;
  writer.kill();
  server.close();
  return rate;
}
