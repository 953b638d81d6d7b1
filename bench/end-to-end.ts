/**
 * End-to-end throughput and latency with a librdkafka client (Debian's librdkafka-dev):
 * a broker runs as a child process; a small C producer sends 1 KiB records, a consumer reads them
 * back; then the producer runs at a fixed moderate rate and reports delivery latency percentiles.
 * Prints figures, asserts nothing. Needs gcc and `apt-get install librdkafka-dev`.
 *
 *   npm run build && node dist/bench/end-to-end.js [COUNT] [RATE]
 */
import { execFileSync, spawn } from 'node:child_process';
import { startBrokerChild } from './broker-child.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const count = Number(process.argv[2] ?? 200_000);
const rate = Number(process.argv[3] ?? 2_000);
const size = 1024;
const work = mkdtempSync(join(tmpdir(), 'tributary-e2e-'));
const tool = join(work, 'rdkafka-bench');
execFileSync('gcc', ['-O2', '-o', tool, join(root, 'bench', 'e2e', 'rdkafka-bench.c'), '-lrdkafka']);

function run(args: string[]): string {
  return execFileSync(tool, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
}

function mbps(line: string): string {
  const m = /(\d+) bytes (\d+) seconds ([\d.]+)/.exec(line);
  if (!m) return line;
  const [, n, bytes, secs] = m;
  return `${n} records in ${secs} s: ${(Number(bytes) / Number(secs) / 1e6).toFixed(1)} MB/s, ${(Number(n) / Number(secs)).toFixed(0)} records/s`;
}

const port = 19000 + Math.floor(Math.random() * 1000);
const broker = await startBrokerChild(join(work, 'data'), port);
const bootstrap = `127.0.0.1:${port}`;
const dd = spawn('dd', ['if=/dev/zero', `of=${join(work, 'dd.bin')}`, 'bs=1M', 'count=256', 'conv=fdatasync']);
let ddLine = '';
dd.stderr.on('data', (d: Buffer) => (ddLine += d.toString()));
await new Promise((r) => dd.on('exit', r));
console.log(`disk (dd 256 MiB, fdatasync):   ${ddLine.trim().split('\n').pop()}`);
console.log(`produce (acks=all, 1 KiB):      ${mbps(run(['produce', bootstrap, 'bench-throughput', String(count), String(size)]))}`);
console.log(`consume (from the beginning):   ${mbps(run(['consume', bootstrap, 'bench-throughput', String(count)]))}`);
const latency = run(['produce', bootstrap, 'bench-latency', String(rate * 5), String(size), String(rate)]);
console.log(`produce latency at ${rate} msg/s: ${latency.split('\n').find((l) => l.startsWith('latency')) ?? latency}`);
broker.kill('SIGTERM');
await new Promise((r) => broker.on('exit', r));
rmSync(work, { recursive: true, force: true });
