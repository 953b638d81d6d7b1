/**
 * Wire-fuzz soak: sends many mutated request frames (the wire fuzzer of the test suite, at scale)
 * to a broker child process and prints what happened: frames sent, crashes (the broker is
 * restarted after each, and the rounds in flight are written to a file), failed liveness checks,
 * error log lines by message, and the broker's peak RSS. Asserts nothing.
 *
 *   npm run build && node dist/bench/wire-fuzz-soak.js [--frames 1000000] [--seed N] [--connections 16] [--liveness-every 5000]
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BrokerChild } from '../test/helpers/wire-fuzz/child-broker.js';
import { runCampaign, type CampaignResult } from '../test/helpers/wire-fuzz/campaign.js';
import { allSeeds } from '../test/helpers/wire-fuzz/seeds.js';
import { dumpRounds } from '../test/helpers/wire-fuzz/report.js';

const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: String(Date.now() % 2 ** 31) },
    connections: { type: 'string', default: '16' },
    'liveness-every': { type: 'string', default: '5000' },
    'stall-ms': { type: 'string', default: '1000' },
  },
});
const target = Number(values.frames);
const seed = Number(values.seed);
const BROKER_CONFIG = { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '3', 'socket.request.max.bytes': '10485760' };

const seeds = allSeeds(seed);
const started = Date.now();
const totals = { frames: 0, rounds: 0, answered: 0, closed: 0, stalled: 0, suspiciousStalls: 0, liveness: 0, livenessFailed: 0, crashes: 0 };
const livenessFailures: string[] = [];
const errors = new Map<string, number>();
const crashFiles: string[] = [];
const stallSamples: CampaignResult['suspiciousStalls'] = [];
let peakRss = 0;
let dataDirBytes = 0;

/** Disk blocks the broker's data directory uses (index files are sparse: their apparent size means little). */
function diskUsage(dir: string): { bytes: number; partitions: number } {
  const du = spawnSync('du', ['-sk', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  let partitions = 0;
  try {
    partitions = readdirSync(dir).filter((n) => /-\d+$/.test(n)).length;
  } catch {
    // The directory is changing under us; the count is only informative.
  }
  return { bytes: Number((du.stdout ?? '0').split('\t')[0]) * 1024, partitions };
}

function add(r: CampaignResult): void {
  totals.frames += r.framesSent;
  totals.rounds += r.rounds;
  totals.answered += r.answered;
  totals.closed += r.closedByBroker;
  totals.stalled += r.stalled;
  totals.suspiciousStalls += r.suspiciousStalls.length;
  totals.liveness += r.livenessChecks;
  totals.livenessFailed += r.livenessFailures.length;
  livenessFailures.push(...r.livenessFailures.slice(0, 10));
  stallSamples.push(...r.suspiciousStalls.slice(0, Math.max(0, 50 - stallSamples.length)));
}

console.log(`wire-fuzz soak: seed ${seed}, ${target} frames, ${values.connections} connections, ${seeds.length} seed frames`);
// One broker for the whole run (so its RSS shows any leak), fuzzed in segments that print
// progress; a crash ends a segment and starts a new broker.
let round = 0;
let broker = await BrokerChild.start(BROKER_CONFIG);
while (totals.frames < target) {
  const result = await runCampaign({
    seed,
    frames: Math.min(50_000, target - totals.frames),
    connections: Number(values.connections),
    livenessEvery: Number(values['liveness-every']),
    stallMs: Number(values['stall-ms']),
    bootstrap: broker.bootstrap,
    seeds,
    brokerAlive: () => broker.exit === null,
    firstRound: round,
  });
  round += result.rounds;
  add(result);
  if (broker.crashed) {
    totals.crashes++;
    const file = dumpRounds('crash', seed, result.inFlightAtCrash);
    crashFiles.push(file);
    console.log(`CRASH after ${totals.frames} frames (${JSON.stringify(broker.exit)}); rounds in flight: ${file}\n${broker.tail.slice(-15).join('\n')}`);
    collectErrors(broker);
    broker = await BrokerChild.start(BROKER_CONFIG);
    continue;
  }
  const stats = await broker.stats();
  peakRss = Math.max(peakRss, stats.maxRssBytes);
  const disk = diskUsage(broker.dataDir);
  dataDirBytes = disk.bytes;
  const seconds = (Date.now() - started) / 1000;
  console.log(
    `${totals.frames} frames, ${totals.crashes} crashes, ${totals.livenessFailed}/${totals.liveness} liveness checks failed, ` +
      `broker RSS ${(stats.rssBytes / 2 ** 20).toFixed(0)} MiB (peak ${(stats.maxRssBytes / 2 ** 20).toFixed(0)}), ${stats.load.connections} connections open, ` +
      `${disk.partitions} partitions on disk (${(dataDirBytes / 2 ** 20).toFixed(0)} MiB), ${(totals.frames / seconds).toFixed(0)} frames/s`,
  );
}
collectErrors(broker);
const exit = await broker.stop();
if (exit.code !== 0) {
  totals.crashes++;
  console.log(`CRASH at stop (${JSON.stringify(exit)}):\n${broker.tail.slice(-15).join('\n')}`);
}

function collectErrors(b: BrokerChild): void {
  for (const [line, n] of b.errors) errors.set(line, (errors.get(line) ?? 0) + n);
}

const seconds = (Date.now() - started) / 1000;
console.log('\n--- wire-fuzz soak results ---');
console.log(`seed:                    ${seed}`);
console.log(`frames sent:             ${totals.frames} in ${totals.rounds} rounds (${(totals.frames / seconds).toFixed(0)} frames/s, ${seconds.toFixed(0)} s)`);
console.log(`rounds:                  ${totals.answered} answered through, ${totals.closed} closed by the broker, ${totals.stalled} stalled (${totals.suspiciousStalls} with no lying prefix or waiting API)`);
if (stallSamples.length > 0) console.log(`stall samples:           ${dumpRounds('stall', seed, stallSamples)} (rounds that stalled with no lying prefix or waiting API)`);
console.log(`crashes:                 ${totals.crashes}${crashFiles.length ? ` (${crashFiles.join(', ')})` : ''}`);
console.log(`failed liveness checks:  ${totals.livenessFailed} of ${totals.liveness}`);
for (const f of livenessFailures) console.log(`  ${f}`);
console.log(`peak RSS of the broker:  ${(peakRss / 2 ** 20).toFixed(0)} MiB (largest over the broker processes: one, plus one after each crash)`);
console.log(`broker data dir:         ${(dataDirBytes / 2 ** 20).toFixed(0)} MiB on disk at the last check`);
console.log(`error log lines:         ${[...errors.values()].reduce((a, b) => a + b, 0)}`);
for (const [line, n] of [...errors].sort((a, b) => b[1] - a[1])) console.log(`  ${n} × ${line}`);
process.exit(0);
