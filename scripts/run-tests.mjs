#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) with node's built-in test runner.
// Node 20's `node --test` does not expand globs, so the file list is built here.
// Extra arguments are substrings that select test files (e.g. `node scripts/run-tests.mjs storage`).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = findTests('dist/test')
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const reporter = process.env.CI ? ['--test-reporter=spec'] : [];
// Test files run as many at once as there are cores (TEST_CONCURRENCY=n to choose): node's own default,
// one less than the cores, runs them one by one on a 2-core machine, and the suite's time is mostly
// waiting (brokers starting, fsyncs, clients' timers), not CPU. No test asserts a duration.
const concurrency = [`--test-concurrency=${process.env.TEST_CONCURRENCY ?? availableParallelism()}`];
const result = spawnSync(process.execPath, ['--test', ...concurrency, ...reporter, ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
