/**
 * Produce and consume throughput over PLAINTEXT, SSL and SASL_SSL (PLAIN), same broker, same run:
 * one broker child process with the three listeners, librdkafka's producer (acks=all, 1 KiB
 * records) and consumer on each. Certificates are made for the run (test/helpers/test-certs.ts).
 * Prints figures, asserts nothing. Needs gcc and `apt-get install librdkafka-dev`.
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
const jaas = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_bench="bench-secret";';
const broker = await startBrokerChild(join(work, 'data'), port, [
  `listeners=PLAINTEXT://127.0.0.1:${port},SSL://127.0.0.1:${port + 1},SASL_SSL://127.0.0.1:${port + 2}`,
  `ssl.keystore.location=${certs.server.pemFile}`,
  'sasl.enabled.mechanisms=PLAIN',
  `listener.name.sasl_ssl.plain.sasl.jaas.config=${jaas}`,
]);
try {
  const paths = [
    { name: 'PLAINTEXT', bootstrap: `127.0.0.1:${port}`, conf: '' },
    { name: 'SSL', bootstrap: `127.0.0.1:${port + 1}`, conf: `security.protocol=SSL;ssl.ca.location=${certs.caFile}` },
    { name: 'SASL_SSL', bootstrap: `127.0.0.1:${port + 2}`, conf: `security.protocol=SASL_SSL;ssl.ca.location=${certs.caFile};sasl.mechanism=PLAIN;sasl.username=bench;sasl.password=bench-secret` },
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
