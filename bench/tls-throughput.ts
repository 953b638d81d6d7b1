/**
 * Produce and consume throughput over PLAINTEXT and SSL, same broker, same run: one broker child
 * process with both listeners, librdkafka's producer (acks=all, 1 KiB records) and consumer on
 * each. Certificates are made for the run (test/helpers/test-certs.ts). Prints figures, asserts
 * nothing. Needs gcc and `apt-get install librdkafka-dev`. (SASL_SSL joins when SASL is served.)
 *
 *   npm run build && node dist/bench/tls-throughput.js [COUNT]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBrokerChild } from './broker-child.js';
import { makeTestCerts } from '../test/helpers/test-certs.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const count = Number(process.argv[2] ?? 200_000);
const size = 1024;
const work = mkdtempSync(join(tmpdir(), 'tributary-tls-bench-'));
const tool = join(work, 'rdkafka-bench');
execFileSync('gcc', ['-O2', '-o', tool, join(root, 'bench', 'e2e', 'rdkafka-bench.c'), '-lrdkafka']);
const certs = makeTestCerts();

function run(args: string[], conf: string): string {
  return execFileSync(tool, args, { encoding: 'utf8', maxBuffer: 1 << 20, env: { ...process.env, RDKAFKA_BENCH_CONF: conf } });
}

function mbps(line: string): string {
  const m = /(\d+) bytes (\d+) seconds ([\d.]+)/.exec(line);
  if (!m) return line;
  const [, n, bytes, secs] = m;
  return `${n} records in ${secs} s: ${(Number(bytes) / Number(secs) / 1e6).toFixed(1)} MB/s, ${(Number(n) / Number(secs)).toFixed(0)} records/s`;
}

const port = 19000 + Math.floor(Math.random() * 1000);
const broker = await startBrokerChild(join(work, 'data'), port, [`listeners=PLAINTEXT://127.0.0.1:${port},SSL://127.0.0.1:${port + 1}`, `ssl.keystore.location=${certs.server.pemFile}`]);
try {
  const paths = [
    { name: 'PLAINTEXT', bootstrap: `127.0.0.1:${port}`, conf: '' },
    { name: 'SSL', bootstrap: `127.0.0.1:${port + 1}`, conf: `security.protocol=SSL;ssl.ca.location=${certs.caFile}` },
  ];
  for (const p of paths) {
    const topic = `bench-${p.name.toLowerCase()}`;
    console.log(`${p.name.padEnd(9)} produce (acks=all, 1 KiB): ${mbps(run(['produce', p.bootstrap, topic, String(count), String(size)], p.conf))}`);
    console.log(`${p.name.padEnd(9)} consume (from the start):  ${mbps(run(['consume', p.bootstrap, topic, String(count)], p.conf))}`);
  }
} finally {
  broker.kill('SIGTERM');
  await new Promise((r) => broker.on('exit', r));
  certs.cleanup();
  rmSync(work, { recursive: true, force: true });
}
