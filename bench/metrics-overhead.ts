/**
 * What metrics cost on the hot path: acks=all produce of a librdkafka client
 * (bench/e2e/rdkafka-bench.c; needs gcc and Debian's librdkafka-dev) against a broker child process
 * in three settings:
 *   off       no admin server (no channel subscribers: the hooks cost one boolean check)
 *   on        admin server on, nobody scraping (every request traced and counted)
 *   scraped   admin server on and /metrics scraped every second, as Prometheus would (a scrape
 *             as the window starts, then one a second: a little more than 1/s in a short window)
 * A round is a broker without the admin server (2 x PAIRS windows: off), then one with it, where
 * windows not scraped and scraped alternate, PAIRS of each (on scraped, scraped on, ...): `scraped` against
 * `on` is the acceptance's "same run", and what differs between processes (heap layout, JIT
 * choices, the disk) does not enter that ratio. Rounds repeat, so drift hits the settings alike.
 * Each round ends with 100 scrapes back to back on the warm broker: the CPU of one scrape, a figure
 * other load hardly moves, and what once a second of it is beside the broker's CPU while producing.
 *
 * The primary figure is the broker's CPU time per record (user + system, from /proc/PID/stat):
 * the machine is shared and small, so throughput moves with other processes' load and with the
 * disk's fsync times, while CPU time is what metrics add to the broker's work (other load still
 * moves it some: the load average is printed). Each broker first produces WARMUP records (scraped,
 * when its admin server is on), so the windows hold the steady state of a long-running broker, not
 * the JIT's warm-up or the cold first scrapes; then one window more that is not counted (the first
 * one after the warm-up costs more than the next ones, whatever the setting), and the off broker
 * gets as many windows as the other, at the same points of its life. Ratios are medians of ratios taken side by side
 * (per round for off, per pair for scraped). Prints figures, asserts nothing.
 *
 *   npm run build && node dist/bench/metrics-overhead.js [COUNT=400000] [ROUNDS=3] [PAIRS=3] [WARMUP=300000]
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBrokerChild } from './broker-child.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const count = Number(process.argv[2] ?? 400_000);
const rounds = Number(process.argv[3] ?? 3);
const pairs = Number(process.argv[4] ?? 3);
const warmup = Number(process.argv[5] ?? 300_000);
const SIZE = 1024;
const SCRAPE_INTERVAL_MS = 1000;
const work = mkdtempSync(join(tmpdir(), 'tributary-metrics-bench-'));
const tool = join(work, 'rdkafka-bench');
execFileSync('gcc', ['-O2', '-o', tool, join(root, 'bench', 'e2e', 'rdkafka-bench.c'), '-lrdkafka']);

/** Produces `n` records; resolves with records per second. */
function produce(bootstrap: string, topic: string, n: number): Promise<number> {
  return new Promise((res, rej) => {
    const child = spawn(tool, ['produce', bootstrap, topic, String(n), String(SIZE)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      const m = /produced (\d+) bytes (\d+) seconds ([\d.]+)/.exec(out);
      if (code !== 0 || !m) rej(new Error(`rdkafka-bench exited with ${code}: ${out}`));
      else res(Number(m[1]) / Number(m[3]));
    });
  });
}

/** CPU seconds a process has used, from /proc/<pid>/stat in clock ticks (100 a second on Linux). */
function cpuTimes(pid: number): { user: number; total: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state is field 3 of the whole line, utime 14 and stime 15.
  const user = Number(fields[11]) / 100;
  return { user, total: user + Number(fields[12]) / 100 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

type Setting = 'off' | 'on' | 'scraped';
const SETTINGS: Setting[] = ['off', 'on', 'scraped'];
interface Sample {
  rate: number;
  /** Broker CPU (user + system) per record, and its user part. */
  cpuMicros: number;
  userMicros: number;
  scrapes: number;
}
const samples: Record<Setting, Sample[]> = { off: [], on: [], scraped: [] };
/** Broker CPU milliseconds of one scrape, taken back to back on a warm broker. */
const scrapeCosts: number[] = [];
let port = 19000 + Math.floor(Math.random() * 1000);

async function scrapeOnce(adminPort: number): Promise<void> {
  await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
}

/** Produces `count` records to a fresh topic and measures the broker's CPU while it does. */
async function window(pid: number, bootstrap: string, topic: string, scrapePort: number | null): Promise<Sample> {
  let scrapes = 0;
  const scrape = (port: number) => {
    scrapeOnce(port)
      .then(() => scrapes++)
      .catch(() => undefined);
  };
  if (scrapePort !== null) scrape(scrapePort);
  const scraper = scrapePort === null ? null : setInterval(() => scrape(scrapePort), SCRAPE_INTERVAL_MS);
  try {
    const before = cpuTimes(pid);
    const rate = await produce(bootstrap, topic, count);
    const after = cpuTimes(pid);
    return { rate, cpuMicros: ((after.total - before.total) * 1e6) / count, userMicros: ((after.user - before.user) * 1e6) / count, scrapes };
  } finally {
    if (scraper) clearInterval(scraper);
  }
}

/** Scraped against not scraped, window by window in the same process. */
const pairRatios: { cpu: number; rate: number }[] = [];
/** On against off, per round (the medians of the round's `on` windows and of its `off` windows). */
const roundRatios: { cpu: number; rate: number }[] = [];

async function round(r: number): Promise<void> {
  const offs: Sample[] = [];
  for (const admin of [false, true]) {
    const kafkaPort = port++;
    const adminPort = port++;
    const broker = await startBrokerChild(join(work, `data-${r}-${admin ? 'on' : 'off'}`), kafkaPort, [], admin ? `127.0.0.1:${adminPort}` : 'off');
    const pid = broker.pid as number;
    const bootstrap = `127.0.0.1:${kafkaPort}`;
    try {
      // Prometheus scrapes from the start: the warm-up is scraped too, so the cold first scrapes stay out of the windows.
      const warmScraper = admin ? setInterval(() => void scrapeOnce(adminPort).catch(() => undefined), SCRAPE_INTERVAL_MS) : null;
      if (warmup > 0) await produce(bootstrap, 'warmup', warmup);
      // The first window after the warm-up still costs more than the next ones, in either setting: it is left out.
      await produce(bootstrap, 'settle', count);
      if (warmScraper) clearInterval(warmScraper);
      if (!admin) {
        // As many windows as the other broker has, so both are measured as long after their start.
        for (let i = 0; i < 2 * pairs; i++) {
          const s = await window(pid, bootstrap, `bench-off-${i}`, null);
          offs.push(s);
          samples.off.push(s);
          report(r, 'off', s);
        }
        continue;
      }
      const ons: Sample[] = [];
      for (let pair = 0; pair < pairs; pair++) {
        const got: Partial<Record<Setting, Sample>> = {};
        for (const setting of (pair + r) % 2 === 0 ? (['on', 'scraped'] as const) : (['scraped', 'on'] as const)) {
          const s = await window(pid, bootstrap, `bench-${setting}-${pair}`, setting === 'scraped' ? adminPort : null);
          got[setting] = s;
          samples[setting].push(s);
          report(r, setting, s);
        }
        const on = got.on as Sample;
        const scraped = got.scraped as Sample;
        ons.push(on);
        pairRatios.push({ cpu: scraped.cpuMicros / on.cpuMicros - 1, rate: scraped.rate / on.rate - 1 });
      }
      roundRatios.push({ cpu: median(ons.map((x) => x.cpuMicros)) / median(offs.map((x) => x.cpuMicros)) - 1, rate: median(ons.map((x) => x.rate)) / median(offs.map((x) => x.rate)) - 1 });
      const SCRAPES = 100;
      const before = cpuTimes(pid).total;
      for (let i = 0; i < SCRAPES; i++) await scrapeOnce(adminPort);
      scrapeCosts.push(((cpuTimes(pid).total - before) * 1000) / SCRAPES);
      console.log(`round ${r + 1} one scrape costs the broker ${scrapeCosts[scrapeCosts.length - 1].toFixed(2)} ms of CPU (${SCRAPES} back to back)`);
    } finally {
      broker.kill('SIGTERM');
      await new Promise((res) => broker.on('exit', res));
    }
  }
}

function report(r: number, setting: Setting, s: Sample): void {
  const scraped = setting === 'scraped' ? `   (${s.scrapes} scrapes in the window)` : '';
  console.log(`round ${r + 1} ${setting.padEnd(8)} broker CPU ${s.cpuMicros.toFixed(2)} µs/record (user ${s.userMicros.toFixed(2)})   ${s.rate.toFixed(0).padStart(7)} records/s${scraped}`);
}

const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');
console.log(`${count} records of ${SIZE} B per window (after ${warmup} to warm up and one window left out), acks=all, one partition; ${rounds} rounds of ${2 * pairs} windows off, then ${pairs} pairs of on / scraped in one process`);
console.log(`primary figure: broker CPU µs/record (the machine is shared: throughput moves with other load and fsync times); load average at start ${load()}\n`);
for (let r = 0; r < rounds; r++) await round(r);

const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`;
const range = (xs: number[]) => `${pct(Math.min(...xs))} .. ${pct(Math.max(...xs))}`;
console.log(`\nmedians of ${samples.off.length} off and ${samples.on.length} on / scraped windows (load average at end ${load()}):`);
console.log('  setting   broker CPU µs/record (user)   records/s');
for (const s of SETTINGS) {
  const cpu = median(samples[s].map((x) => x.cpuMicros));
  const user = median(samples[s].map((x) => x.userMicros));
  const rate = median(samples[s].map((x) => x.rate));
  console.log(`  ${s.padEnd(8)}  ${cpu.toFixed(2).padStart(8)} (${user.toFixed(2)})            ${rate.toFixed(0).padStart(7)}`);
}
console.log('\ncost of metrics, medians of side-by-side ratios (CPU: more is worse; throughput: less is worse), [spread]:');
const show = (label: string, xs: { cpu: number; rate: number }[], note: string) =>
  console.log(`  ${label}  CPU/record ${pct(median(xs.map((x) => x.cpu))).padStart(8)} [${range(xs.map((x) => x.cpu))}]   throughput ${pct(median(xs.map((x) => x.rate))).padStart(8)} [${range(xs.map((x) => x.rate))}]   ${note}`);
show('on       against off    ', roundRatios, `(${roundRatios.length} rounds, separate processes)`);
show('scraped  against on     ', pairRatios, `(${pairRatios.length} pairs, the same process: the acceptance's figure)`);
const scrapeMs = median(scrapeCosts);
// What one scrape a second adds to the broker's CPU while it produces as fast as in the 'on' windows.
const busyMsPerSecond = (median(samples.on.map((x) => x.cpuMicros)) * median(samples.on.map((x) => x.rate))) / 1000;
console.log(`\none scrape: ${scrapeMs.toFixed(2)} ms of broker CPU (median of ${scrapeCosts.length}); once a second that is ${pct(scrapeMs / busyMsPerSecond)} of the ${busyMsPerSecond.toFixed(0)} ms/s of CPU the broker spends producing`);
console.log('acceptance: produce with /metrics scraped every second within 3 % of no scraping');
rmSync(work, { recursive: true, force: true });
