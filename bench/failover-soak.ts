/**
 * Failover time under load with DEFAULT settings: three brokers (child processes, `tributary start
 * --metadata etcd://…`, nothing shortened: broker.session.timeout.ms 4000, heartbeat 1000, the
 * replica fetcher's defaults) on a real etcd; one idempotent kafkajs producer per partition writes
 * one record at a time with acks=all to an RF=3 topic with min.insync.replicas=2, and beside it an
 * idempotent librdkafka producer (bench/e2e/rdkafka-bench.c `pace`, librdkafka's defaults) writes
 * to the same partitions at a steady rate, while the bench kills -9 the leader of one partition,
 * round after round, and starts it again. Two clients, because the time a client takes to find the
 * new leader is its own retry policy's: kafkajs backs off exponentially, librdkafka retries fast.
 *
 * Failover time = from the SIGKILL to the first acknowledgement, for that partition, of a send
 * that began after the kill (so an answer already in flight from the dead leader cannot count).
 * Rounds alternate between killing a partition leader that is also the controller and one that is
 * not; figures are split by which it was. The phases come from a watch on etcd: detection (the dead
 * broker's registration is gone: a peer found its port refusing connections, or its lease lapsed), election (the partition has a new leader in etcd) and the client
 * (kafkajs finds the new leader and is acknowledged).
 *
 * The producer uses kafkajs's defaults (retries unbounded for an idempotent producer, first
 * backoff 300 ms doubling to 30 s, randomised by 20%) unless --client-retry INITIAL,MAX is given.
 * Afterwards every record either client had acknowledged must be in its partition exactly once and
 * in order (read back with kcat), and the three copies of each partition's log identical byte for byte.
 * Needs gcc and Debian's librdkafka-dev.
 *
 * Each round starts from a steady state: after the killed broker is back and in sync, the bench
 * waits --settle-ms (default 15000) before the next kill. librdkafka keeps a per-broker reconnect
 * backoff that grows while a broker is down (reconnect.backoff.max.ms, 10 s, plus up to 50%
 * jitter) and, with sparse connections, is not reset until it needs that broker again; without the
 * pause, a leadership moving onto the broker restarted a few seconds earlier waits out the backoff
 * of the previous round's failure (seen: 4–9 s). --settle-ms 0 shows that back-to-back figure.
 *
 * --explain prints the surviving brokers' log lines of a round whose librdkafka acknowledgement
 * came more than 800 ms after the election.
 * --set KEY=VALUE[,KEY=VALUE] gives every broker those configs (for experiments; the header says so).
 *
 *   npm run build && node dist/bench/failover-soak.js [ROUNDS] [--partitions P] [--rate R] [--settle-ms MS] [--client-retry INITIAL,MAX] [--set K=V,...]
 *   (default 50 rounds, 3 partitions, librdkafka at 300 records/s over them)
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { ProcessCluster } from '../test/helpers/process-cluster.js';
import { EtcdMetadataStore } from '../src/metadata/etcd/etcd-store.js';

const { Kafka, logLevel } = kafkajs;
const argv = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const rounds = Number(argv.find((a, i) => /^\d+$/.test(a) && !argv[i - 1]?.startsWith('--')) ?? 50);
const partitions = Number(option('--partitions') ?? 3);
const clientRetry = option('--client-retry')?.split(',').map(Number);
const rdRate = Number(option('--rate') ?? 300);
const settleMs = Number(option('--settle-ms') ?? 15_000);
const brokerConfig: Record<string, string> = Object.fromEntries((option('--set')?.split(',') ?? []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const work = mkdtempSync(join(tmpdir(), 'tributary-soak-'));
const tool = join(work, 'rdkafka-bench');
execFileSync('gcc', ['-O2', '-o', tool, join(root, 'bench', 'e2e', 'rdkafka-bench.c'), '-lrdkafka']);
const TOPIC = 'soak';
const ROUND_BOUND_MS = 90_000;

interface Round {
  round: number;
  partition: number;
  victim: number;
  wasController: boolean;
  failoverMs: number | null;
  rdFailoverMs: number | null;
  detectedMs: number | null;
  electedMs: number | null;
}

const percentile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | null> | T | null, boundMs = ROUND_BOUND_MS): Promise<T> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const got = await Promise.resolve(probe()).catch(() => null);
    if (got !== null) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function logBytes(dir: string): Promise<Buffer> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.log')).sort();
  return Buffer.concat(await Promise.all(names.map((n) => readFile(join(dir, n)))));
}

console.log(`failover soak: ${rounds} rounds, ${partitions} partitions, ${Object.keys(brokerConfig).length ? `broker settings ${JSON.stringify(brokerConfig)} (NOT the defaults)` : 'default broker settings'}, settle ${settleMs} ms between rounds, kafkajs retry ${clientRetry ? `initial ${clientRetry[0]} ms max ${clientRetry[1]} ms` : 'defaults'}; load average before: ${load()}`);
const cluster = await ProcessCluster.start({ brokers: 3, config: brokerConfig });
const store = await EtcdMetadataStore.open({ endpoints: [cluster.etcd.endpoint] });
const kafka = new Kafka({ brokers: cluster.bootstrap, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const results: Round[] = [];
let producing = true;
let failure: unknown = null;

// What etcd says, with the time each change was seen.
let controller = -1;
const brokerGoneAt = new Map<number, number>();
const leaderChangedAt = new Map<number, { leader: number; at: number }>();
const leaders = new Map<number, { leader: number; isr: readonly number[] }>();

const acked: string[][] = Array.from({ length: partitions }, () => []);
const ackTimes: { sentAt: number; ackedAt: number }[][] = Array.from({ length: partitions }, () => []);
const sendErrors: string[] = [];
// The librdkafka producer's acknowledgements, by partition, as it reported them.
const rdAcked: string[][] = Array.from({ length: partitions }, () => []);
const rdAckTimes: { sentAt: number; ackedAt: number }[][] = Array.from({ length: partitions }, () => []);
const rdErrors: string[] = [];
try {
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: TOPIC, numPartitions: partitions, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
  const topicId = (await until('the topic in etcd', async () => (await store.topic(TOPIC)) ?? null)).topicId;
  const watches = [
    await store.watch('controller', { changes: (b) => b.changes.forEach((c) => c.kind === 'controller' && (controller = c.controller?.nodeId ?? -1)) }),
    await store.watch('brokers', { changes: (b) => b.changes.forEach((c) => c.kind === 'broker' && !c.broker && brokerGoneAt.set(c.nodeId, Date.now())) }),
    await store.watch({ partitionsOf: topicId }, {
      changes: (b) => {
        for (const c of b.changes) {
          if (c.kind !== 'partition' || !c.state) continue;
          const before = leaders.get(c.partition);
          leaders.set(c.partition, { leader: c.state.state.leader, isr: c.state.state.isr });
          if (before && before.leader !== c.state.state.leader) leaderChangedAt.set(c.partition, { leader: c.state.state.leader, at: Date.now() });
        }
      },
    }),
  ];

  const producers = await Promise.all(Array.from({ length: partitions }, async () => {
    const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, ...(clientRetry ? { retry: { initialRetryTime: clientRetry[0], maxRetryTime: clientRetry[1] } } : {}) });
    await p.connect();
    return p;
  }));
  const producing$ = producers.map(async (producer, partition) => {
    for (let i = 0; producing; i++) {
      const value = `p${partition}-r${i}`;
      const sentAt = Date.now();
      try {
        await producer.send({ topic: TOPIC, acks: -1, messages: [{ partition, value }] });
        acked[partition].push(value);
        ackTimes[partition].push({ sentAt, ackedAt: Date.now() });
      } catch (err) {
        // kafkajs gave up (it should not with unbounded retries); send the same value again and say so.
        sendErrors.push(`${value}: ${String(err)}`);
        i--;
      }
    }
  });

  // librdkafka logs each refused connection to the killed broker on stderr: expected here, so not shown.
  // RDKAFKA_LOG=FILE keeps them there instead, with RDKAFKA_DEBUG=… for librdkafka's debug contexts.
  const rdLog = process.env.RDKAFKA_LOG ? openSync(process.env.RDKAFKA_LOG, 'w') : 'ignore';
  const rd = spawn(tool, ['pace', cluster.bootstrap.join(','), TOPIC, String(partitions), String(rdRate)], { stdio: ['ignore', 'pipe', rdLog] });
  const rdDone = new Promise<void>((r) => rd.once('exit', () => r()));
  if (!rd.stdout) throw new Error('no output pipe from rdkafka-bench');
  let rdPending = '';
  rd.stdout.on('data', (chunk: Buffer) => {
    const lines = (rdPending + chunk.toString('utf8')).split('\n');
    rdPending = lines.pop() ?? '';
    for (const line of lines) {
      const [what, p, value, sent, ackedAt] = line.split(' ');
      if (what === 'ack') {
        if (process.env.RDKAFKA_LOG && rdAckTimes[Number(p)].length > 0 && Number(ackedAt) - rdAckTimes[Number(p)][rdAckTimes[Number(p)].length - 1].ackedAt > 500) console.log(`  librdkafka: partition ${p} acknowledged again at ${ackedAt} after a pause`);
        rdAcked[Number(p)].push(value);
        rdAckTimes[Number(p)].push({ sentAt: Number(sent), ackedAt: Number(ackedAt) });
      } else if (what === 'err') rdErrors.push(line);
    }
  });

  for (let round = 1; round <= rounds; round++) {
    await until('every replica in sync', () => (leaders.size === partitions && [...leaders.values()].every((s) => s.leader > 0 && s.isr.length === 3) && controller > 0 ? true : null));
    const counts = acked.map((a) => a.length);
    const rdCounts = rdAcked.map((a) => a.length);
    await until('each partition acknowledging', () => (acked.every((a, p) => a.length > counts[p] + 3) && rdAcked.every((a, p) => a.length > rdCounts[p] + 3) ? true : null));
    // Odd rounds kill the controller when it leads some partition, even rounds a broker that is not the controller.
    const wantController = round % 2 === 1;
    const choice = [...leaders].find(([, s]) => (s.leader === controller) === wantController) ?? [...leaders][0];
    const [partition, { leader: victim }] = choice;
    const wasController = victim === controller;
    leaderChangedAt.delete(partition);
    brokerGoneAt.delete(victim);
    const killedAt = Date.now();
    if (process.env.RDKAFKA_LOG) console.log(`  killing broker ${victim} at ${killedAt}`);
    await cluster.kill(victim);
    let failoverMs: number | null = null;
    try {
      const ack = await until(`an acknowledgement on partition ${partition} after killing broker ${victim}`, () => ackTimes[partition].find((t) => t.sentAt > killedAt) ?? null);
      failoverMs = ack.ackedAt - killedAt;
    } catch (err) {
      console.log(`round ${round}: ${(err as Error).message}`);
    }
    let rdFailoverMs: number | null = null;
    try {
      const ack = await until(`a librdkafka acknowledgement on partition ${partition} after killing broker ${victim}`, () => rdAckTimes[partition].find((t) => t.sentAt > killedAt) ?? null);
      rdFailoverMs = ack.ackedAt - killedAt;
    } catch (err) {
      console.log(`round ${round}: ${(err as Error).message}`);
    }
    await until(`broker ${victim}'s registration to lapse`, () => (brokerGoneAt.has(victim) ? true : null));
    const gone = brokerGoneAt.get(victim);
    const elected = leaderChangedAt.get(partition);
    const r: Round = { round, partition, victim, wasController, failoverMs, rdFailoverMs, detectedMs: gone === undefined ? null : gone - killedAt, electedMs: elected === undefined ? null : elected.at - killedAt };
    results.push(r);
    console.log(`round ${round}: killed broker ${victim} (${wasController ? 'controller' : 'not controller'}), leader of partition ${partition}: registration gone ${r.detectedMs?.toFixed(0)} ms, new leader ${elected?.leader} in etcd ${r.electedMs?.toFixed(0)} ms, first ack kafkajs ${failoverMs?.toFixed(0) ?? 'NONE'} ms, librdkafka ${rdFailoverMs?.toFixed(0) ?? 'NONE'} ms`);
    // A client acknowledged well after the election: what the surviving brokers said meanwhile.
    if (process.argv.includes('--explain') && r.electedMs !== null && r.rdFailoverMs !== null && r.rdFailoverMs - r.electedMs > 800) {
      for (const id of cluster.nodeIds.filter((n) => n !== victim)) console.log(`  broker ${id}:\n${cluster.logTail(id, 30).split('\n').filter((l) => l.includes(`"time":`) && Number(/"time":(\d+)/.exec(l)?.[1]) >= killedAt).map((l) => `    ${l}`).join('\n')}`);
    }
    await cluster.startBroker(victim);
    if (round < rounds) {
      await until('every replica in sync after the restart', () => ([...leaders.values()].every((s) => s.leader > 0 && s.isr.length === 3) ? true : null));
      await sleep(settleMs);
    }
  }
  producing = false;
  rd.kill('SIGTERM');
  await rdDone;
  await Promise.all(producing$);
  await Promise.all(producers.map((p) => p.disconnect()));
  await until('every replica in sync at the end', () => ([...leaders.values()].every((s) => s.isr.length === 3) ? true : null));
  for (const w of watches) await w.close();

  // Every acknowledged record exactly once, in acknowledgement order, at contiguous offsets.
  let audited = 0;
  for (let p = 0; p < partitions; p++) {
    const out = execFileSync('kcat', ['-C', '-b', cluster.bootstrap.join(','), '-t', TOPIC, '-p', String(p), '-o', 'beginning', '-e', '-q', '-f', '%o %s\\n'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const rows = out.split('\n').filter((l) => l).map((l) => l.split(' '));
    const values = rows.map((r) => r[1]);
    const gaps = rows.findIndex((r, i) => Number(r[0]) !== Number(rows[0][0]) + i);
    if (gaps >= 0) throw new Error(`partition ${p}: offset gap at row ${gaps}`);
    for (const [client, ackedHere, prefix] of [['kafkajs', acked[p], 'p'], ['librdkafka', rdAcked[p], 'k']] as const) {
      const mine = values.filter((v) => v.startsWith(prefix));
      const counts = new Map<string, number>();
      for (const v of mine) counts.set(v, (counts.get(v) ?? 0) + 1);
      const lost = ackedHere.filter((v) => !counts.has(v));
      const duplicated = [...counts].filter(([, n]) => n > 1).map(([v]) => v);
      const ackedSet = new Set(ackedHere);
      const order = mine.filter((v) => ackedSet.has(v));
      const outOfOrder = order.findIndex((v, i) => v !== ackedHere[i]);
      if (lost.length || duplicated.length || outOfOrder >= 0) {
        throw new Error(`partition ${p}, ${client}: ${lost.length} acknowledged records lost (${lost.slice(0, 5).join(' ')}), ${duplicated.length} duplicated (${duplicated.slice(0, 5).join(' ')}), first out of order at ${outOfOrder}`);
      }
    }
    audited += rdAcked[p].length;
    audited += acked[p].length;
  }
  console.log(`audit: ${audited} acknowledged records (both clients), each present exactly once and in its producer's order; ${sendErrors.length} sends kafkajs gave up on (sent again)${sendErrors.length ? `: ${sendErrors.slice(0, 3).join('; ')}` : ''}; ${rdErrors.length} librdkafka delivery failures${rdErrors.length ? `: ${rdErrors.slice(0, 3).join('; ')}` : ''}`);
} catch (err) {
  failure = err;
} finally {
  producing = false;
  await admin.disconnect().catch(() => undefined);
  for (const id of cluster.nodeIds) await cluster.stopBroker(id);
  await store.close();
}
if (!failure) {
  const differing: string[] = [];
  for (let p = 0; p < partitions; p++) {
    const copies = await Promise.all(cluster.nodeIds.map((id) => logBytes(join(cluster.dataDir(id), `${TOPIC}-${p}`))));
    for (const [i, c] of copies.entries()) if (!c.equals(copies[0])) differing.push(`partition ${p}: broker ${cluster.nodeIds[i]} has ${c.length} bytes, broker ${cluster.nodeIds[0]} ${copies[0].length}`);
  }
  console.log(differing.length ? `replicas differ: ${differing.join('; ')}` : 'replicas: the three copies of every partition are identical byte for byte');
}
await cluster.close();
rmSync(work, { recursive: true, force: true });

const figures = (xs: (number | null)[]) => {
  const s = xs.filter((x): x is number => x !== null).sort((a, b) => a - b);
  const missing = xs.length - s.length;
  return s.length ? `p50 ${percentile(s, 0.5).toFixed(0)} p99 ${percentile(s, 0.99).toFixed(0)} max ${s[s.length - 1].toFixed(0)} ms${missing ? ` (${missing} rounds without an ack in ${ROUND_BOUND_MS} ms)` : ''}` : 'no figures';
};
for (const [name, kind] of [['controller killed', true], ['controller not killed', false]] as const) {
  const rs = results.filter((r) => r.wasController === kind);
  if (rs.length === 0) continue;
  console.log(`${name} (${rs.length} rounds):`);
  console.log(`  failover, kafkajs:      ${figures(rs.map((r) => r.failoverMs))}`);
  console.log(`  failover, librdkafka:   ${figures(rs.map((r) => r.rdFailoverMs))}`);
  console.log(`  registration gone:      ${figures(rs.map((r) => r.detectedMs))}`);
  console.log(`  new leader in etcd:     ${figures(rs.map((r) => r.electedMs))}`);
}
console.log(`load average after: ${load()}`);
if (failure) {
  console.error(failure);
  process.exitCode = 1;
}
