/**
 * How long `tributary start` takes to be ready (issue: operability, "ready in under 300 ms"): from
 * spawning the command to its port answering Metadata, with an empty data directory each round and
 * the command's defaults (the admin server on, pretty logs). The clock starts before the spawn, so
 * Node's own start is inside the figure; `node -e 0` is printed beside it as that floor. The first
 * round of a Node version with a compile cache (22.1+) fills the cache and is printed apart.
 * Run it under another Node with `PATH="$(scripts/node-line.sh 24):$PATH"`. Prints figures; asserts nothing.
 *
 *   npm run build && node dist/bench/start-up.js [ROUNDS=7] [extra start arguments…]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const rounds = Number(process.argv[2] ?? 7);
const extra = process.argv.slice(3);
const port = 19600 + Math.floor(Math.random() * 200);

/** Metadata v1 asking for no topics (a null topic array would ask for all): answered once the broker serves. */
const METADATA_REQUEST = (() => {
  const clientId = Buffer.from('start-up-bench');
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length + 4);
  let at = body.writeInt16BE(3, 0);
  at = body.writeInt16BE(1, at);
  at = body.writeInt32BE(1, at);
  at = body.writeInt16BE(clientId.length, at);
  at += clientId.copy(body, at);
  body.writeInt32BE(0, at);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
})();

function answersMetadata(): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write(METADATA_REQUEST));
    socket.on('data', () => {
      socket.destroy();
      done(true);
    });
    socket.on('close', () => done(false));
  });
}

async function oneStart(): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-start-up-'));
  const started = performance.now();
  const child = spawn(process.execPath, [join(root, 'bin', 'tributary.js'), 'start', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`, ...extra], { stdio: 'ignore' });
  const exited = new Promise((res) => child.once('exit', res));
  try {
    // Polled every 2 ms: the figure's resolution.
    while (!(await answersMetadata())) {
      if (child.exitCode !== null) throw new Error(`tributary start exited with ${child.exitCode}`);
      await sleep(2);
    }
    return performance.now() - started;
  } finally {
    child.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const floorRuns = Array.from({ length: 5 }, () => {
  const t = performance.now();
  spawnSync(process.execPath, ['-e', '0']);
  return performance.now() - t;
});
const first = await oneStart();
const times: number[] = [];
for (let i = 0; i < rounds; i++) times.push(await oneStart());
console.log(`node ${process.version}; tributary start ${extra.join(' ')}`.trim());
console.log(`  first start (fills the compile cache where Node has one): ${first.toFixed(0)} ms`);
console.log(`  ready in: median ${median(times).toFixed(0)} ms, min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)} (${rounds} starts)`);
console.log(`  node -e 0: median ${median(floorRuns).toFixed(0)} ms (the floor)`);
