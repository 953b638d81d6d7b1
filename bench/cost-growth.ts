/**
 * How Tributary's costs grow with the work, as curves rather than one point (issue: performance):
 *   partitions 1 → 10,000: a broker restarted on a data directory holding them, time until it
 *     answers Metadata and its resident set then; produce and consume throughput over them;
 *   idle connections 1 → 10,000 (each sent one ApiVersions): the broker's resident set growth;
 *   concurrent producers 1 → 64 on one partition with fsync before acknowledging (group commit):
 *     the aggregate throughput.
 * Each broker is a child process (`tributary start`, defaults). Prints figures; asserts nothing.
 * Needs gcc, librdkafka-dev and kcat.
 *
 *   npm run build && node dist/bench/cost-growth.js [partitions|connections|producers|restart]…
 *
 * `restart` is the partitions curve's last point alone (10,000 partitions, nothing produced): the
 * data directory is made once, then the broker is restarted on it three times. With
 * TRIBUTARY_CPU_PROF=<dir> the restarted brokers write V8 CPU profiles there (node --cpu-prof).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { startBrokerChild } from './broker-child.js';
import { buildRdkafkaBench, runClient } from './side-by-side/clients.js';
import { cpuSeconds, residentMiB } from './side-by-side/proc.js';
import { holdIdleConnections } from './cost-growth/idle-connections.js';

const SIZE = 1024;
const which = process.argv.slice(2);
const runs = (name: string) => which.length === 0 || which.includes(name);
const work = mkdtempSync(join(tmpdir(), 'tributary-growth-'));
const tool = buildRdkafkaBench(work);
/** The default broker-wide limit (5,000) is below the curve's last point. */
const MANY_PARTITIONS = ['tributary.broker.max.partitions=20000'];
let nextPort = 19900 + Math.floor(Math.random() * 50) * 2;

function stop(child: ChildProcess): Promise<void> {
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  return gone;
}

async function createTopics(bootstrap: string, topics: { topic: string; numPartitions: number }[]): Promise<void> {
  const admin = new kafkajs.Kafka({ brokers: [bootstrap], logLevel: kafkajs.logLevel.NOTHING, requestTimeout: 120_000 }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: topics.map((t) => ({ ...t, replicationFactor: 1 })), timeout: 120_000 });
  } finally {
    await admin.disconnect();
  }
}

function mbps(line: string): number {
  const m = /(\d+) bytes (\d+) seconds ([\d.]+)/.exec(line);
  return m ? Number(m[2]) / Number(m[3]) / 1e6 : NaN;
}

async function partitionsCurve(): Promise<void> {
  console.log('partitions | restart to ready ms | RSS after restart MiB | produce MB/s (200,000 records) | consume MB/s');
  for (const n of [1, 100, 1000, 10_000]) {
    const dir = join(work, `p${n}`);
    const port = nextPort++;
    const bootstrap = `127.0.0.1:${port}`;
    let broker = await startBrokerChild(dir, port, MANY_PARTITIONS);
    let produced: number;
    let consumed: number;
    try {
      const perTopic = Math.min(n, 1000);
      await createTopics(bootstrap, Array.from({ length: n / perTopic }, (_, i) => ({ topic: `t${i}`, numPartitions: perTopic })));
      produced = mbps(runClient(tool, ['produce', bootstrap, 't0', '200000', String(SIZE)]));
      const t0 = performance.now();
      const out = execFileSync('kcat', ['-C', '-b', bootstrap, '-t', 't0', '-o', 'beginning', '-e', '-q', '-f', '%p\n', '-X', 'fetch.max.bytes=52428800'], { encoding: 'utf8', maxBuffer: 1 << 28 });
      consumed = (out.split('\n').filter((l) => l !== '').length * SIZE) / ((performance.now() - t0) / 1000) / 1e6;
    } finally {
      // A failed step must not leave the broker running after the benchmark.
      await stop(broker);
    }
    const started = performance.now();
    broker = await startBrokerChild(dir, port, MANY_PARTITIONS);
    const readyMs = performance.now() - started;
    const rss = residentMiB(broker.pid ?? 0);
    await stop(broker);
    console.log(`${String(n).padStart(10)} | ${readyMs.toFixed(0).padStart(19)} | ${rss.toFixed(0).padStart(21)} | ${produced.toFixed(0).padStart(30)} | ${consumed.toFixed(0)}`);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function restartPoint(): Promise<void> {
  const n = 10_000;
  const dir = join(work, 'restart');
  const port = nextPort++;
  let broker = await startBrokerChild(dir, port, MANY_PARTITIONS);
  try {
    await createTopics(`127.0.0.1:${port}`, Array.from({ length: n / 1000 }, (_, i) => ({ topic: `t${i}`, numPartitions: 1000 })));
  } finally {
    await stop(broker);
  }
  const prof = process.env.TRIBUTARY_CPU_PROF;
  const nodeArgs = prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [];
  // The broker's CPU time until ready (main thread and libuv pool) is steadier than the wall time
  // on a shared machine; the load average says how shared it was.
  console.log(`partitions | restart to ready ms | broker CPU until ready s | RSS after restart MiB | load average`);
  for (let run = 0; run < 3; run++) {
    const started = performance.now();
    broker = await startBrokerChild(dir, port, MANY_PARTITIONS, 'off', nodeArgs);
    const readyMs = performance.now() - started;
    const cpu = cpuSeconds(broker.pid ?? 0);
    const rss = residentMiB(broker.pid ?? 0);
    await stop(broker);
    console.log(`${String(n).padStart(10)} | ${readyMs.toFixed(0).padStart(19)} | ${cpu.toFixed(2).padStart(24)} | ${rss.toFixed(0).padStart(21)} | ${loadavg()[0].toFixed(2)}`);
  }
}

async function connectionsCurve(): Promise<void> {
  const port = nextPort++;
  const broker = await startBrokerChild(join(work, 'conn'), port);
  const base = residentMiB(broker.pid ?? 0);
  console.log(`idle connections | broker RSS MiB | growth over none MiB | KiB per connection   (none: ${base.toFixed(0)} MiB)`);
  for (const n of [1, 1000, 5000, 10_000]) {
    const held = await holdIdleConnections(port, n);
    const rss = residentMiB(broker.pid ?? 0);
    console.log(`${String(n).padStart(16)} | ${rss.toFixed(0).padStart(14)} | ${(rss - base).toFixed(1).padStart(20)} | ${(((rss - base) * 1024) / n).toFixed(1)}`);
    await held.close();
  }
  await stop(broker);
}

async function producersCurve(): Promise<void> {
  const port = nextPort++;
  const bootstrap = `127.0.0.1:${port}`;
  const broker = await startBrokerChild(join(work, 'producers'), port);
  const total = 256_000;
  console.log(`concurrent producers (one partition, acks=all, fsync before acknowledging) | aggregate MB/s (${total} × 1 KiB)`);
  for (const n of [1, 4, 16, 64]) {
    const topic = `producers-${n}`;
    await createTopics(bootstrap, [{ topic, numPartitions: 1 }]);
    const t0 = performance.now();
    await Promise.all(Array.from({ length: n }, () => new Promise<void>((resolve, reject) => {
      const p = spawn(tool, ['produce', bootstrap, topic, String(total / n), String(SIZE)], { stdio: 'ignore' });
      p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`producer exited with ${code}`))));
    })));
    const seconds = (performance.now() - t0) / 1000;
    console.log(`${String(n).padStart(75)} | ${((total * SIZE) / seconds / 1e6).toFixed(0)}`);
  }
  await stop(broker);
}

try {
  if (runs('partitions')) await partitionsCurve();
  if (runs('connections')) await connectionsCurve();
  if (runs('producers')) await producersCurve();
  if (which.includes('restart')) await restartPoint();
} finally {
  rmSync(work, { recursive: true, force: true });
}
