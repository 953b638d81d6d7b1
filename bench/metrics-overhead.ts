/**
 * What metrics cost on the hot path: acks=all produce throughput of a librdkafka client
 * (bench/e2e/rdkafka-bench.c; needs gcc and Debian's librdkafka-dev) against a broker child process
 * in three settings, taken in turns so drift hits them alike:
 *   off       no admin server (no channel subscribers: the hooks cost one boolean check)
 *   on        admin server on, nobody scraping (every request traced and counted)
 *   scraped   admin server on and /metrics scraped every second, as Prometheus would
 * Also the broker's CPU time per record (from /proc), which fsync noise does not move.
 * Prints figures, asserts nothing.
 *
 *   npm run build && node dist/bench/metrics-overhead.js [COUNT] [ROUNDS]
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBrokerChild } from './broker-child.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const count = Number(process.argv[2] ?? 200_000);
const rounds = Number(process.argv[3] ?? 3);
const SIZE = 1024;
const work = mkdtempSync(join(tmpdir(), 'tributary-metrics-bench-'));
const tool = join(work, 'rdkafka-bench');
execFileSync('gcc', ['-O2', '-o', tool, join(root, 'bench', 'e2e', 'rdkafka-bench.c'), '-lrdkafka']);

function produce(bootstrap: string, topic: string): Promise<number> {
  return new Promise((res, rej) => {
    const child = spawn(tool, ['produce', bootstrap, topic, String(count), String(SIZE)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      const m = /produced (\d+) bytes (\d+) seconds ([\d.]+)/.exec(out);
      if (code !== 0 || !m) rej(new Error(`rdkafka-bench exited with ${code}: ${out}`));
      else res(Number(m[1]) / Number(m[3]));
    });
  });
}

/**
 * CPU seconds a process has used (user + system), from /proc/<pid>/stat in clock ticks (100 a
 * second on Linux): steadier than throughput, which the disk's fsync times move from run to run.
 */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state is field 3 of the whole line, utime 14 and stime 15.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

type Setting = 'off' | 'on' | 'scraped';
const results: Record<Setting, number[]> = { off: [], on: [], scraped: [] };
const cpuPerRecord: Record<Setting, number[]> = { off: [], on: [], scraped: [] };
let port = 19000 + Math.floor(Math.random() * 1000);

for (let round = 0; round < rounds; round++) {
  for (const setting of ['off', 'on', 'scraped'] as Setting[]) {
    const kafkaPort = port++;
    const adminPort = port++;
    const broker = await startBrokerChild(join(work, `data-${round}-${setting}`), kafkaPort, [], setting === 'off' ? 'off' : `127.0.0.1:${adminPort}`);
    let scrapes = 0;
    const scraper =
      setting === 'scraped'
        ? setInterval(() => {
            fetch(`http://127.0.0.1:${adminPort}/metrics`)
              .then((r) => r.text())
              .then(() => scrapes++)
              .catch(() => undefined);
          }, 1000)
        : null;
    try {
      const cpuBefore = cpuSeconds(broker.pid as number);
      const rate = await produce(`127.0.0.1:${kafkaPort}`, `bench-${setting}`);
      const micros = ((cpuSeconds(broker.pid as number) - cpuBefore) * 1e6) / count;
      results[setting].push(rate);
      cpuPerRecord[setting].push(micros);
      console.log(`round ${round + 1} ${setting.padEnd(8)} ${rate.toFixed(0)} records/s, broker CPU ${micros.toFixed(2)} µs/record${scraper ? ` (${scrapes} scrapes)` : ''}`);
    } finally {
      if (scraper) clearInterval(scraper);
      broker.kill('SIGTERM');
      await new Promise((r) => broker.on('exit', r));
    }
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(results.off);
console.log(`\n${count} records of ${SIZE} B, acks=all, median of ${rounds} rounds:`);
for (const s of ['off', 'on', 'scraped'] as Setting[]) {
  const m = median(results[s]);
  const cpu = median(cpuPerRecord[s]);
  const cpuBase = median(cpuPerRecord.off);
  console.log(`  ${s.padEnd(8)} ${m.toFixed(0)} records/s  (${(((m - base) / base) * 100).toFixed(1)} % against off)   broker CPU ${cpu.toFixed(2)} µs/record (${(((cpu - cpuBase) / cpuBase) * 100).toFixed(1)} %)`);
}
rmSync(work, { recursive: true, force: true });
