/**
 * Tributary beside Apache Kafka on the same machine, with the same clients, rounds interleaved
 * (A B A B …): produce and consume throughput of 1 KiB records on one partition (librdkafka,
 * acks=all, linger.ms=5), produce latency at fixed rates (Kafka's own kafka-producer-perf-test.sh,
 * acks=all, when a Kafka home is given; librdkafka otherwise), the same produce and consume over
 * 1,000 partitions, peak RSS, and CPU per process. Each round also measures the disk (`dd …
 * conv=fdatasync`) and loopback ceilings. For Tributary it prints what explains its figures: fsyncs
 * per second, bytes per fsync, the event loop's delay and utilisation (from its /metrics).
 * Prints a table of medians with ratios; asserts nothing. Needs gcc, librdkafka-dev and kcat.
 *
 *   npm run build && node dist/bench/side-by-side.js [--kafka-home DIR] [--records N] [--rounds R]
 *       [--spread-records N] [--spread-partitions P] [--set key=value]…
 *
 * Without --kafka-home only Tributary runs. `../shared/reference-kafka/build.sh` builds a Kafka 2.1.1
 * home on this kind of machine. `--set` passes broker settings to Tributary (e.g. flush.messages=1000).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs';
import { startBrokerChild } from './broker-child.js';
import { startKafka } from './side-by-side/kafka-home.js';
import { buildRdkafkaBench, runClient, diskCeiling, loopbackCeiling } from './side-by-side/clients.js';
import { cpuSeconds, peakRssMiB } from './side-by-side/proc.js';
import { metricSum, scrape } from './side-by-side/prom-text.js';
import { median, printTable, type Row } from './side-by-side/report.js';

const { values: opts } = parseArgs({
  options: {
    'kafka-home': { type: 'string' },
    records: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '3' },
    'spread-records': { type: 'string', default: '200000' },
    'spread-partitions': { type: 'string', default: '1000' },
    set: { type: 'string', multiple: true, default: [] },
  },
});
const records = Number(opts.records);
const rounds = Number(opts.rounds);
const spreadRecords = Number(opts['spread-records']);
const spreadPartitions = Number(opts['spread-partitions']);
const SIZE = 1024;
const RATES = [20_000, 5_000];
const LATENCY_SECONDS = 10;

const work = mkdtempSync(join(tmpdir(), 'tributary-side-by-side-'));
const tool = buildRdkafkaBench(work);

interface System {
  name: string;
  bootstrap: string;
  pids: number[];
  /** Tributary's /metrics, for the figures that explain its own. */
  metricsUrl?: string;
  stop(): Promise<void>;
}

async function startSystems(): Promise<System[]> {
  const port = 19100 + Math.floor(Math.random() * 800);
  const adminPort = port + 1;
  const child = await startBrokerChild(join(work, 'tributary'), port, opts.set, `127.0.0.1:${adminPort}`);
  const systems: System[] = [{
    name: 'Tributary',
    bootstrap: `127.0.0.1:${port}`,
    pids: [child.pid ?? 0],
    metricsUrl: `http://127.0.0.1:${adminPort}/metrics`,
    async stop() {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    },
  }];
  if (opts['kafka-home']) systems.push({ name: 'Kafka', ...(await startKafka(opts['kafka-home'], join(work, 'kafka'), port + 2)) });
  return systems;
}

async function createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
  // Kafka 2.1.1 takes longer than kafkajs's default 5 s to create 1,000 partitions.
  const admin = new kafkajs.Kafka({ brokers: [bootstrap], logLevel: kafkajs.logLevel.NOTHING, requestTimeout: 120_000 }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true, timeout: 120_000 });
  } finally {
    await admin.disconnect();
  }
}

/** Figures of one phase: what the client measured, plus the broker's CPU and, for Tributary, its metrics. */
async function phase<T>(system: System, figures: Map<string, number[]>, label: string, bytes: number, run: () => T): Promise<T> {
  const before = system.metricsUrl ? await scrape(system.metricsUrl) : '';
  const cpu0 = system.pids.reduce((s, p) => s + cpuSeconds(p), 0);
  const t0 = performance.now();
  const result = run();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = system.pids.reduce((s, p) => s + cpuSeconds(p), 0) - cpu0;
  record(figures, `${label}: broker CPU s per GB`, (cpu / bytes) * 1e9);
  if (system.metricsUrl) {
    const after = await scrape(system.metricsUrl);
    const delta = (name: string, without?: string) => metricSum(after, name, without) - metricSum(before, name, without);
    const flushes = delta('kafka_log_logflushstats_logflushrateandtimems_count');
    record(figures, `${label}: fsyncs/s`, flushes / seconds);
    if (flushes > 0) record(figures, `${label}: KiB per fsync`, delta('kafka_server_brokertopicmetrics_bytesin_total', 'topic') / flushes / 1024);
    record(figures, `${label}: event-loop delay p99 ms`, metricSum(after, 'nodejs_eventloop_lag_p99_seconds') * 1000);
    record(figures, `${label}: event-loop busy %`, (1 - metricSum(after, 'kafka_network_socketserver_networkprocessoravgidle_percent')) * 100);
  }
  return result;
}

function record(figures: Map<string, number[]>, key: string, value: number): void {
  if (!Number.isFinite(value)) return;
  const list = figures.get(key) ?? [];
  list.push(value);
  figures.set(key, list);
}

function throughput(line: string): { mbps: number; count: number } {
  const m = /(\d+) bytes (\d+) seconds ([\d.]+)/.exec(line);
  if (!m) throw new Error(`unexpected client output: ${line}`);
  return { mbps: Number(m[2]) / Number(m[3]) / 1e6, count: Number(m[1]) };
}

function latency(system: System, topic: string, rate: number): { p50: number; p99: number; achieved: number } {
  const count = rate * LATENCY_SECONDS;
  const home = opts['kafka-home'];
  if (home) {
    const out = execFileSync(join(home, 'bin', 'kafka-producer-perf-test.sh'), ['--topic', topic, '--num-records', String(count), '--record-size', String(SIZE), '--throughput', String(rate), '--producer-props', `bootstrap.servers=${system.bootstrap}`, 'acks=all'], { encoding: 'utf8', env: { ...process.env, KAFKA_JMX_OPTS: ' ', LOG_DIR: join(work, 'perf-logs') }, maxBuffer: 1 << 24 });
    const last = out.trim().split('\n').pop() ?? '';
    const m = /([\d.]+) records\/sec .* (\d+) ms 50th, \d+ ms 95th, (\d+) ms 99th/.exec(last);
    if (!m) throw new Error(`unexpected perf-test output: ${last}`);
    return { achieved: Number(m[1]), p50: Number(m[2]), p99: Number(m[3]) };
  }
  const out = runClient(tool, ['produce', system.bootstrap, topic, String(count), String(SIZE), String(rate)]);
  const m = /latency_ms p50 ([\d.]+) p99 ([\d.]+)/.exec(out);
  const t = throughput(out);
  if (!m) throw new Error(`unexpected client output: ${out}`);
  return { achieved: t.count / (t.count * SIZE / 1e6 / t.mbps), p50: Number(m[1]), p99: Number(m[2]) };
}

function spreadConsume(bootstrap: string, topic: string): { mbps: number; count: number } {
  const t0 = performance.now();
  const out = execFileSync('kcat', ['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p\n', '-X', 'fetch.max.bytes=52428800'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const seconds = (performance.now() - t0) / 1000;
  const count = out.split('\n').filter((l) => l !== '').length;
  return { mbps: (count * SIZE) / seconds / 1e6, count };
}

async function oneRound(system: System, round: number, figures: Map<string, number[]>): Promise<void> {
  const topic = `bench-${round}`;
  const bytes = records * SIZE;
  await createTopic(system.bootstrap, topic, 1);
  const produced = throughput(await phase(system, figures, 'produce', bytes, () => runClient(tool, ['produce', system.bootstrap, topic, String(records), String(SIZE)])));
  record(figures, 'produce MB/s', produced.mbps);
  const consumed = throughput(await phase(system, figures, 'consume', bytes, () => runClient(tool, ['consume', system.bootstrap, topic, String(records)])));
  if (consumed.count !== records) throw new Error(`${system.name} consumed ${consumed.count} of ${records}`);
  record(figures, 'consume MB/s', consumed.mbps);
  for (const rate of RATES) {
    const latencyTopic = `latency-${rate}-${round}`;
    await createTopic(system.bootstrap, latencyTopic, 1);
    const l = await phase(system, figures, `${rate} rec/s`, rate * LATENCY_SECONDS * SIZE, () => latency(system, latencyTopic, rate));
    record(figures, `p50 ms at ${rate} rec/s`, l.p50);
    record(figures, `p99 ms at ${rate} rec/s`, l.p99);
    record(figures, `achieved rec/s at ${rate}`, l.achieved);
  }
  const spread = `spread-${round}`;
  await createTopic(system.bootstrap, spread, spreadPartitions);
  const sp = throughput(await phase(system, figures, `produce ${spreadPartitions} partitions`, spreadRecords * SIZE, () => runClient(tool, ['produce', system.bootstrap, spread, String(spreadRecords), String(SIZE)])));
  record(figures, `produce MB/s, ${spreadPartitions} partitions`, sp.mbps);
  const sc = await phase(system, figures, `consume ${spreadPartitions} partitions`, spreadRecords * SIZE, () => spreadConsume(system.bootstrap, spread));
  if (sc.count !== spreadRecords) throw new Error(`${system.name} consumed ${sc.count} of ${spreadRecords} over ${spreadPartitions} partitions`);
  record(figures, `consume MB/s, ${spreadPartitions} partitions`, sc.mbps);
  record(figures, 'peak RSS MiB', system.pids.reduce((s, p) => s + peakRssMiB(p), 0));
}

const systems = await startSystems();
const figures = new Map(systems.map((s) => [s.name, new Map<string, number[]>()]));
const ceilings = new Map<string, number[]>();
try {
  for (let round = 0; round < rounds; round++) {
    record(ceilings, 'disk MB/s (dd conv=fdatasync)', diskCeiling(work));
    record(ceilings, 'loopback MB/s', await loopbackCeiling());
    for (const system of systems) {
      await oneRound(system, round, figures.get(system.name) as Map<string, number[]>);
      console.log(`round ${round + 1}/${rounds} ${system.name}: produce ${median(figures.get(system.name)?.get('produce MB/s') ?? []).toFixed(0)} MB/s so far`);
    }
  }
} finally {
  for (const s of systems) await s.stop();
  rmSync(work, { recursive: true, force: true });
}

const rows: Row[] = [];
const keys = new Set(systems.flatMap((s) => [...(figures.get(s.name)?.keys() ?? [])]));
for (const key of keys) rows.push({ figure: key, values: systems.map((s) => figures.get(s.name)?.get(key) ?? []) });
console.log(`\n${records} × ${SIZE} B records, ${rounds} rounds interleaved (${systems.map((s) => s.name).join(', ')} in each), medians; Tributary settings: ${opts.set.length ? opts.set.join(' ') : 'defaults'}`);
for (const [k, v] of ceilings) console.log(`${k}: ${v.map((x) => x.toFixed(0)).join(', ')}`);
printTable(systems.map((s) => s.name), rows);
