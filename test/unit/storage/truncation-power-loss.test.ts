/**
 * Power loss during a follower's truncation (truncateTo, or truncateFullyAndStartAt), and during
 * the appends of the new leader's records that follow it, on the simulated file system
 * (test/helpers/sim-fs.ts). Half the seeds use a compacted log, whose recovery allows gaps between
 * segments, so a segment the cut removed must never come back behind it. After recovery:
 * - the log is the copied log's batches up to some point, byte for byte, then possibly some of the
 *   new leader's batches in order; contiguous, ending at the log end offset;
 * - every batch below the truncation target is there, and every acknowledged follower append; once truncateTo resolved, nothing past it
 *   is, and new batches only follow a finished cut;
 * - the leader epochs are exactly those of the batches there (trimmed to the log start), in
 *   memory and in the checkpoint file;
 * - no producer snapshot describes more of the copied log than is left.
 * A failing seed is printed; rerun it with TRUNCATION_SEED=<seed>. TRUNCATION_SEEDS=<n> runs more.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimFileSystem, SimulatedCrash } from '../../helpers/sim-fs.js';
import { Prng } from '../../helpers/prng.js';
import { LogManager } from '../../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG, type DiskLog, type LogConfig } from '../../../src/storage/log.js';
import { LeaderEpochCache } from '../../../src/storage/leader-epoch-cache.js';
import { readLeaderEpochs } from '../../../src/storage/checkpoints.js';
import { buildBatch, batchesIn } from '../../../src/protocol/records/batch-records.js';
import { RecordBatchView } from '../../../src/protocol/records/record-batch.js';
import { snapshotFileName, snapshotOffset } from '../../../src/partition/producer-snapshot.js';

const DATA = '/data';
const SEEDS = Number(process.env.TRUNCATION_SEEDS ?? 300);
const ONLY = process.env.TRUNCATION_SEED === undefined ? null : Number(process.env.TRUNCATION_SEED);
/** The crash lands within this many file-system calls of the truncation's start. */
const CRASH_WINDOW = 90;
const NEW_LEADER_EPOCH = 99;

interface Copied {
  baseOffset: number;
  lastOffset: number;
  epoch: number;
  bytes: Buffer;
}

type Outcome = 'during truncation' | 'after truncation' | 'no crash';

function configFor(compact: boolean): LogConfig {
  return { ...DEFAULT_LOG_CONFIG, segmentBytes: 500, indexIntervalBytes: 200, segmentIndexBytes: 4096, retentionMs: -1, retentionBytes: -1, compact };
}

async function leaderBatch(rng: Prng, baseOffset: number, count: number, epoch: number): Promise<Copied> {
  const records = Array.from({ length: count }, (_, i) => ({ key: Buffer.from(`k${rng.int(1000)}`), value: Buffer.from(`e${epoch} o${baseOffset + i} `.padEnd(20 + rng.int(40), '.')), timestamp: 1_700_000_000_000 + baseOffset + i }));
  const bytes = await buildBatch(records, { baseOffset: BigInt(baseOffset), partitionLeaderEpoch: epoch });
  return { baseOffset, lastOffset: baseOffset + count - 1, epoch, bytes };
}

async function readAll(log: DiskLog): Promise<RecordBatchView[]> {
  const out: RecordBatchView[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const views = [...batchesIn(await log.read(offset, 1 << 20, log.logEndOffset, true))];
    if (views.length === 0) break;
    for (const v of views) out.push(new RecordBatchView(Buffer.from(v.bytes())));
    offset = Number(views[views.length - 1].lastOffset) + 1;
  }
  return out;
}

interface Run {
  original: Copied[];
  appended: Copied[];
  /** How many of `appended` were acknowledged (appendAsFollower resolved) before the power went. */
  ackedAppends: number;
  /** truncateTo's target, or null for truncateFullyAndStartAt. */
  target: number | null;
  restartAt: number;
  outcome: Outcome;
}

async function workload(fs: SimFileSystem, rng: Prng, compact: boolean): Promise<Run> {
  const manager = await LogManager.open(DATA, { fs, now: () => 1_700_000_000_000 + fs.calls });
  const log = await manager.openLog('t', 0, configFor(compact));
  const original: Copied[] = [];
  let next = 0;
  const batches = 8 + rng.int(10);
  for (let i = 0; i < batches; i++) {
    const b = await leaderBatch(rng, next, 1 + rng.int(4), 1 + Math.floor(i / 3));
    await log.appendAsFollower(Buffer.from(b.bytes));
    original.push(b);
    next = b.lastOffset + 1;
    if (rng.int(3) === 0) await log.writeSidecar(snapshotFileName(next), Buffer.from(`producers at ${next}`));
  }
  await manager.checkpoint();
  const full = rng.int(6) === 0;
  const target = full ? null : rng.int(next);
  const restartAt = next + 5 + rng.int(20);
  const run: Run = { original, appended: [], ackedAppends: 0, target, restartAt, outcome: 'during truncation' };
  fs.crashAt(1 + rng.int(CRASH_WINDOW));
  try {
    if (target === null) await log.truncateFullyAndStartAt(restartAt);
    else await log.truncateTo(target);
    run.outcome = 'after truncation';
    let at = log.logEndOffset;
    for (let i = 0; i < 3; i++) {
      const b = await leaderBatch(rng, at, 1 + rng.int(3), NEW_LEADER_EPOCH);
      run.appended.push(b);
      await log.appendAsFollower(Buffer.from(b.bytes));
      run.ackedAppends++;
      at = b.lastOffset + 1;
      if (i === 1) await manager.checkpoint();
    }
    await manager.close();
    run.outcome = 'no crash';
  } catch (err) {
    if (!fs.crashed) throw err;
  }
  return run;
}

async function check(seed: number, compact: boolean, disk: SimFileSystem, run: Run): Promise<void> {
  const where = `seed ${seed} (${compact ? 'compacted' : 'delete'} log, ${run.target === null ? `restart at ${run.restartAt}` : `truncate to ${run.target}`}, crash ${run.outcome}); rerun with TRUNCATION_SEED=${seed}`;
  const manager = await LogManager.open(DATA, { fs: disk, now: () => 1_700_000_000_000 });
  const log = await manager.openLog('t', 0, configFor(compact));
  const stored = await readAll(log);
  const end = stored.length === 0 ? log.logStartOffset : Number(stored[stored.length - 1].lastOffset) + 1;
  assert.equal(end, log.logEndOffset, `${where}: the log ends at ${log.logEndOffset} but its batches end at ${end}`);
  for (let i = 1; i < stored.length; i++) assert.equal(Number(stored[i].baseOffset), Number(stored[i - 1].lastOffset) + 1, `${where}: gap or overlap at ${stored[i].baseOffset}`);
  let kept = 0;
  while (kept < stored.length && kept < run.original.length && stored[kept].bytes().equals(run.original[kept].bytes)) kept++;
  const rest = stored.slice(kept);
  rest.forEach((b, i) => assert.ok(run.appended[i] && b.bytes().equals(run.appended[i].bytes), `${where}: batch at ${b.baseOffset} is neither the copied log's nor the new leader's`));
  assert.ok(rest.length >= run.ackedAppends, `${where}: ${run.ackedAppends} follower appends were acknowledged, ${rest.length} survived`);
  const below = run.target === null ? 0 : run.original.filter((b) => b.lastOffset < (run.target as number)).length;
  assert.ok(kept >= below, `${where}: only ${kept} copied batches survive, ${below} lie below the target`);
  if (run.outcome !== 'during truncation') {
    assert.equal(kept, below, `${where}: ${kept - below} batches past the finished cut came back`);
  }
  if (rest.length > 0) {
    assert.equal(kept, below, `${where}: new batches follow ${kept} copied ones, the cut keeps ${below}`);
    if (run.target === null) assert.equal(Number(rest[0].baseOffset), run.restartAt, `${where}: the restarted log's first batch`);
  }
  const expected = new LeaderEpochCache();
  for (const b of stored) expected.noteBatch(b.partitionLeaderEpoch, Number(b.baseOffset));
  expected.truncateFromStart(log.logStartOffset);
  const epochs = (list: readonly { epoch: number; startOffset: number }[]) => list.map((e) => `${e.epoch}@${e.startOffset}`).join(' ');
  assert.equal(epochs(log.leaderEpochs), epochs(expected.entries), `${where}: leader epochs against the batches stored`);
  assert.equal(epochs(await readLeaderEpochs(disk, `${DATA}/t-0`)), epochs(expected.entries), `${where}: the leader-epoch-checkpoint file`);
  const copiedEnd = kept === 0 ? log.logStartOffset : run.original[kept - 1].lastOffset + 1;
  for (const name of await log.listSidecars()) {
    const offset = snapshotOffset(name);
    if (offset !== null) assert.ok(offset <= copiedEnd, `${where}: snapshot ${name} describes copied records past ${copiedEnd}, which are gone`);
  }
  await manager.close();
}

async function runSeed(seed: number): Promise<Outcome> {
  const rng = new Prng(seed);
  const compact = seed % 2 === 0;
  const fs = new SimFileSystem({ seed });
  await fs.mkdir(DATA);
  await fs.syncDir('/');
  let run: Run;
  try {
    run = await workload(fs, rng, compact);
  } catch (err) {
    throw new Error(`seed ${seed}: ${err instanceof SimulatedCrash ? 'the power went before the truncation began' : String(err)}`, { cause: err });
  }
  const disk = fs.afterCrash(seed ^ 0x5eed);
  try {
    await check(seed, compact, disk, run);
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err;
    throw new Error(`seed ${seed}, rerun with TRUNCATION_SEED=${seed}: recovery failed: ${err instanceof Error ? err.stack : String(err)}`, { cause: err });
  }
  return run.outcome;
}

test(`power loss during truncation at ${ONLY === null ? SEEDS : 1} seeded points: the log reopens as a prefix of itself, with its epochs and snapshots agreeing`, async () => {
  const seeds = ONLY === null ? Array.from({ length: SEEDS }, (_, i) => i + 1) : [ONLY];
  const outcomes = new Map<Outcome, number>();
  for (const seed of seeds) {
    const outcome = await runSeed(seed);
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  }
  if (ONLY !== null) return;
  // The crash points must fall inside the truncation and inside the appends after it, or the test proves little.
  assert.ok((outcomes.get('during truncation') ?? 0) > seeds.length / 5, `outcomes: ${JSON.stringify([...outcomes])}`);
  assert.ok((outcomes.get('after truncation') ?? 0) > seeds.length / 10, `outcomes: ${JSON.stringify([...outcomes])}`);
});
