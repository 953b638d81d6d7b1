/**
 * Replicated produce throughput beside the single-broker figure, in one run, with one producer:
 * librdkafka (bench/e2e/rdkafka-bench.c, built here; needs gcc and Debian's librdkafka-dev), acks=all,
 * 1 KiB records spread over the topic's partitions.
 *
 *   (a) one broker, a child process (`tributary start`, no etcd), topic with replication factor 1;
 *   (b) three brokers, child processes on a real etcd (test/helpers/process-cluster.ts, default
 *       settings), topic with replication factor 3 and min.insync.replicas=2.
 *
 * Child processes for both: three brokers in one Node process would share one event loop and the
 * figure would say nothing about a cluster. Each mode gets a warm-up, a saturating run (MB/s,
 * records/s) and a run at a fixed rate (delivery latency p50/p99: rd_kafka_produce() to the
 * delivery report). The CPU seconds each broker process used in the saturating run are printed:
 * on a 2-core machine three brokers and the client share two cores, so the cluster figure is
 * bounded by CPU, not by the network or the disk. Prints figures; asserts nothing.
 *
 * Before each mode it measures the page-cache ceiling of that mode (page-cache-ceiling.ts): the
 * same bytes written as new file data once (one stream per partition) and three times (three
 * streams per partition, all at once), no broker involved. The three-copy figure bounds the
 * cluster's, whatever the brokers' code does. The one-copy figure is noisy: pages freed moments
 * before (the previous mode's files) are still in the guest and cost no host fault.
 *
 * With --topic-config KEY=VALUE[,KEY=VALUE] both topics get those configs too (e.g.
 * flush.messages=9223372036854775807, Kafka's default, to see what the fsync of every append costs).
 *
 * With --kafka-home DIR (a distribution `../shared/reference-kafka/build.sh` made) the same two modes
 * follow with Apache Kafka, stock configs, on ZooKeeper: (c) one broker, RF=1, and (d) three brokers,
 * RF=3, min.insync.replicas=2. Kafka's own cluster / single ratio on the same machine, in the same run,
 * says what a replicated log of this design can reach here. Kafka does not fsync; its topics get the
 * --topic-config settings too.
 *
 *   npm run build && node dist/bench/cluster-throughput.js [COUNT] [RATE] [PARTITIONS] [--topic-config K=V,...] [--kafka-home DIR]
 *   (default 200000 2000 3; TRIBUTARY_CPU_PROF=<dir> writes the three brokers' CPU profiles there)
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs';
import { ProcessCluster } from '../test/helpers/process-cluster.js';
import { pageCacheCeiling } from './page-cache-ceiling.js';
import { startKafkaBrokers } from './side-by-side/kafka-home.js';

const { Kafka, logLevel } = kafkajs;
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: options, positionals: positional } = parseArgs({
  allowPositionals: true,
  options: { 'topic-config': { type: 'string' }, 'kafka-home': { type: 'string' } },
});
const topicConfigText = options['topic-config'];
const topicConfigs: Record<string, string> = topicConfigText === undefined ? {} : Object.fromEntries(topicConfigText.split(',').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
const count = Number(positional[0] ?? 200_000);
const rate = Number(positional[1] ?? 2_000);
const partitions = Number(positional[2] ?? 3);
const SIZE = 1024;
const WARMUP = 20_000;
const work = mkdtempSync(join(tmpdir(), 'tributary-cluster-bench-'));
const tool = join(work, 'rdkafka-bench');
execFileSync('gcc', ['-O2', '-o', tool, join(root, 'bench', 'e2e', 'rdkafka-bench.c'), '-lrdkafka']);

interface Figures {
  mbps: number;
  recordsPerSec: number;
  p50: number;
  p99: number;
  brokerCpuSec: number[];
  wallSec: number;
}

/** Runs the C client without blocking this event loop (the brokers' output pipes must keep draining). */
function runTool(args: string[]): Promise<string> {
  return new Promise((res, rej) => {
    const child = spawn(tool, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => (code === 0 ? res(out) : rej(new Error(`rdkafka-bench ${args.join(' ')} exited with ${code}: ${out}`))));
  });
}

/** Process ids whose command line mentions `needle` (the broker children, found by their data directory). */
function pidsMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (cmd.includes(needle) && cmd.includes('tributary.js')) pids.push(Number(name));
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}

/** User + system CPU seconds of a process (from /proc/PID/stat; clock ticks are 100 per second on Linux). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The Tributary broker child whose command line names its data directory. */
const brokerPid = (dataDir: string): number => pidsMentioning(dataDir)[0];

async function measure(bootstrap: string, topic: string, pids: number[]): Promise<Figures> {
  await runTool(['produce', bootstrap, topic, String(WARMUP), String(SIZE)]);
  const cpuBefore = pids.map(cpuSeconds);
  const line = await runTool(['produce', bootstrap, topic, String(count), String(SIZE)]);
  const cpuAfter = pids.map(cpuSeconds);
  const m = /produced (\d+) bytes (\d+) seconds ([\d.]+) failed (\d+)/.exec(line);
  if (!m || m[4] !== '0') throw new Error(`unexpected producer output: ${line}`);
  const secs = Number(m[3]);
  const latency = await runTool(['produce', bootstrap, `${topic}`, String(rate * 5), String(SIZE), String(rate)]);
  const l = /latency_ms p50 ([\d.]+) p99 ([\d.]+)/.exec(latency);
  if (!l) throw new Error(`unexpected latency output: ${latency}`);
  return {
    mbps: Number(m[2]) / secs / 1e6,
    recordsPerSec: Number(m[1]) / secs,
    p50: Number(l[1]),
    p99: Number(l[2]),
    brokerCpuSec: cpuAfter.map((c, i) => c - cpuBefore[i]),
    wallSec: secs,
  };
}

async function createTopic(brokers: string[], topic: string, replicationFactor: number, configs: Record<string, string>): Promise<void> {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions, replicationFactor, configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }] });
    // Every replica in sync before measuring (a follower still starting would make acks=all wait for min.insync only).
    for (let i = 0; i < 600; i++) {
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      if (meta.topics[0].partitions.every((p) => p.leader >= 0 && p.isr.length === replicationFactor)) {
        // Where the leaders are says which broker carries the produce traffic.
        console.log(`${topic}: leaders ${[...meta.topics[0].partitions].sort((a, b) => a.partitionId - b.partitionId).map((p) => `${p.partitionId}→${p.leader}`).join(' ')}`);
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${topic}: replicas not in sync after 60 s`);
  } finally {
    await admin.disconnect();
  }
}

function startSingle(port: number, dataDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(root, 'bin', 'tributary.js'), 'start', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`, '--log-format', 'json', '--admin-listener', 'off'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((res, rej) => {
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('broker ready')) res(child);
    });
    child.on('exit', (code) => rej(new Error(`broker exited with ${code}`)));
  });
}

const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const show = (name: string, f: Figures) =>
  console.log(`${name.padEnd(40)} ${f.mbps.toFixed(1).padStart(6)} MB/s ${f.recordsPerSec.toFixed(0).padStart(7)} records/s   latency at ${rate}/s p50 ${f.p50.toFixed(2)} ms p99 ${f.p99.toFixed(2)} ms   broker CPU ${f.brokerCpuSec.map((c) => c.toFixed(1)).join('+')} s in ${f.wallSec.toFixed(1)} s`);

console.log(`${count} records of ${SIZE} B, acks=all, ${partitions} partitions${topicConfigText === undefined ? '' : `, topic configs ${JSON.stringify(topicConfigs)}`}, librdkafka ${execFileSync('sh', ['-c', "dpkg-query -W -f='${Version}' librdkafka1 2>/dev/null || echo ?"], { encoding: 'utf8' })}; load average before: ${load()}`);

const bytesPerPartition = Math.ceil((count * SIZE) / partitions);
// One copy of the records, one stream per partition, as the single broker writes them.
const oneCopyCeiling = await pageCacheCeiling(work, partitions, bytesPerPartition);
console.log(`page-cache ceiling, 1 copy (${partitions} streams): ${oneCopyCeiling.toFixed(0)} MB/s of records`);

const singleDir = join(work, 'single');
const port = 19000 + Math.floor(Math.random() * 1000);
const single = await startSingle(port, singleDir);
let singleFigures: Figures;
try {
  await createTopic([`127.0.0.1:${port}`], 'bench-single', 1, topicConfigs);
  singleFigures = await measure(`127.0.0.1:${port}`, 'bench-single', [brokerPid(singleDir)]);
} finally {
  single.kill('SIGTERM');
  await new Promise((r) => single.once('exit', r));
}
show('(a) 1 broker, RF=1', singleFigures);
console.log(`load average after (a): ${load()}`);

// Three copies (three brokers, each writing every partition), measured just before the cluster runs.
const threeCopyCeiling = (await pageCacheCeiling(work, 3 * partitions, bytesPerPartition)) / 3;
console.log(`page-cache ceiling, 3 copies (${3 * partitions} streams): ${threeCopyCeiling.toFixed(0)} MB/s of records`);

// TRIBUTARY_CPU_PROF=<dir>: the three brokers write V8 CPU profiles there.
const profileDir = process.env.TRIBUTARY_CPU_PROF;
const cluster = await ProcessCluster.start({ brokers: 3, nodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [] });
let clusterFigures: Figures;
try {
  await createTopic(cluster.bootstrap, 'bench-replicated', 3, { ...topicConfigs, 'min.insync.replicas': '2' });
  clusterFigures = await measure(cluster.bootstrap.join(','), 'bench-replicated', cluster.nodeIds.map((id) => brokerPid(cluster.dataDir(id))));
} finally {
  await cluster.close();
}
show('(b) 3 brokers, RF=3, min.insync=2', clusterFigures);
console.log(`load average after (b): ${load()}`);
console.log(`cluster / single: ${(clusterFigures.mbps / singleFigures.mbps).toFixed(2)}x throughput (target >= 0.5), p99 ${(clusterFigures.p99 / singleFigures.p99).toFixed(2)}x`);
console.log(`page-cache ceilings, 3 copies / 1 copy: ${(threeCopyCeiling / oneCopyCeiling).toFixed(2)}x; each mode against its own: single ${(singleFigures.mbps / oneCopyCeiling).toFixed(2)}, cluster ${(clusterFigures.mbps / threeCopyCeiling).toFixed(2)}`);

const kafkaHome = options['kafka-home'];
if (kafkaHome !== undefined) {
  /** Kafka with `brokers` brokers, one topic of that replication factor, measured like the modes above. */
  const measureKafka = async (brokers: number, topic: string, configs: Record<string, string>): Promise<Figures> => {
    const kafkaPort = 21000 + Math.floor(Math.random() * 1000);
    const kafka = await startKafkaBrokers(kafkaHome, join(work, topic), Array.from({ length: brokers }, (_, i) => kafkaPort + i));
    try {
      await createTopic(kafka.bootstrap.split(','), topic, brokers, configs);
      return await measure(kafka.bootstrap, topic, kafka.pids.slice(0, brokers));
    } finally {
      await kafka.stop();
    }
  };
  const kafkaSingle = await measureKafka(1, 'kafka-single', topicConfigs);
  show('(c) Kafka 1 broker, RF=1', kafkaSingle);
  const kafkaThreeCopyCeiling = (await pageCacheCeiling(work, 3 * partitions, bytesPerPartition)) / 3;
  console.log(`page-cache ceiling, 3 copies (${3 * partitions} streams): ${kafkaThreeCopyCeiling.toFixed(0)} MB/s of records`);
  const kafkaCluster = await measureKafka(3, 'kafka-replicated', { ...topicConfigs, 'min.insync.replicas': '2' });
  show('(d) Kafka 3 brokers, RF=3, min.insync=2', kafkaCluster);
  console.log(`Kafka cluster / single: ${(kafkaCluster.mbps / kafkaSingle.mbps).toFixed(2)}x throughput, p99 ${(kafkaCluster.p99 / kafkaSingle.p99).toFixed(2)}x; cluster against its ceiling ${(kafkaCluster.mbps / kafkaThreeCopyCeiling).toFixed(2)}`);
  console.log(`Tributary / Kafka: single ${(singleFigures.mbps / kafkaSingle.mbps).toFixed(2)}x, cluster ${(clusterFigures.mbps / kafkaCluster.mbps).toFixed(2)}x`);
}
rmSync(work, { recursive: true, force: true });
