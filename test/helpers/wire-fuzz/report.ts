/** Writing down what a fuzz campaign found: rounds as replayable JSON, and a one-line summary. */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { CampaignResult, RoundRecord } from './campaign.js';
import { REPO_ROOT } from './seeds.js';

/** The format of test/fixtures/fuzz-regressions/*.json: bytes exactly as sent on one connection. */
export interface RegressionCase {
  found: string;
  seed?: number;
  round?: number;
  /** What the broker must do with these bytes, when the case says. */
  expect?: 'answered' | 'closed';
  /** Hex of each chunk written to the socket (size prefixes included). */
  wire: string[];
}

/** Writes rounds to a JSON file (one regression case each) and returns its path. */
export function dumpRounds(what: string, seed: number, rounds: readonly RoundRecord[]): string {
  const dir = join(tmpdir(), 'wire-fuzz');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${what}-seed-${seed}-${process.pid}.json`);
  const cases: RegressionCase[] = rounds.map((r) => ({ found: `${what}: ${r.wire.map((w) => w.applied.join('+')).join(', ')}`, seed, round: r.round, wire: r.wire.map((w) => w.bytes.toString('hex')) }));
  writeFileSync(path, JSON.stringify(cases, null, 1) + '\n');
  return path;
}

export function summary(seed: number, r: CampaignResult): string {
  return (
    `seed ${seed}: ${r.framesSent} frames in ${r.rounds} rounds (${r.answered} answered through, ${r.closedByBroker} closed by the broker, ` +
    `${r.stalled} stalled, ${r.suspiciousStalls.length} stalled with no lying prefix or waiting API); ${r.livenessChecks} liveness checks, ${r.livenessFailures.length} failed`
  );
}

/** Every case in test/fixtures/fuzz-regressions/, named by file and index. */
export function regressionCases(): { name: string; case: RegressionCase }[] {
  const dir = join(REPO_ROOT, 'test/fixtures/fuzz-regressions');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((f) => (JSON.parse(readFileSync(join(dir, f), 'utf8')) as RegressionCase[]).map((c, i) => ({ name: `${f}#${i}`, case: c })));
}
