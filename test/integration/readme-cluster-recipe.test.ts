// The README's three-broker recipe, run as written: its broker loop (ports, admin addresses, data
// directories and etcd address moved to free ones; nothing else changed) started by bash, then its
// kcat lines. Three brokers must come up and the topic must show three in-sync replicas. It once
// started one broker of the three: the other two wanted the same default admin address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEtcd } from '../helpers/etcd.js';
import { tempDir } from '../helpers/storage.js';
import { canListen, ephemeralRange } from '../helpers/free-port.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The first ```sh block after the "### A replicated cluster" heading. */
function recipe(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### A replicated cluster'));
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  assert.ok(block, 'the README has a cluster recipe');
  return block[1].split('\n');
}

/**
 * A four-digit prefix P whose ports P1, P2 and P3 are free (the recipe appends the node id), below
 * the kernel's ephemeral range so that no outgoing connection takes one before a broker binds it.
 */
async function freePrefix(taken: Set<number>): Promise<number> {
  const belowEphemeral = Math.floor(ephemeralRange()[0] / 10) - 1;
  // A kernel whose ephemeral range starts that low leaves no room below it: any prefix, then.
  const highest = belowEphemeral > 1500 ? Math.min(6553, belowEphemeral) : 6553;
  for (;;) {
    const prefix = 1000 + Math.floor(Math.random() * (highest - 1000));
    if (taken.has(prefix)) continue;
    const ports = [1, 2, 3].map((n) => prefix * 10 + n);
    if ((await Promise.all(ports.map(canListen))).every(Boolean)) {
      taken.add(prefix);
      return prefix;
    }
  }
}

function threeBrokersSeen(address: string): boolean {
  try {
    return / 3 brokers:/.test(execFileSync('kcat', ['-L', '-b', address, '-m', '2'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  } catch {
    return false;
  }
}

test("the README's three-broker recipe starts three brokers and creates a topic with three in-sync replicas", { timeout: 120_000 }, async () => {
  const lines = recipe();
  const loopStart = lines.findIndex((l) => l.startsWith('for n in 1 2 3'));
  const loopEnd = lines.indexOf('done', loopStart);
  assert.ok(loopStart >= 0 && loopEnd > loopStart, 'the recipe starts brokers in a loop');
  assert.ok(lines.some((l) => l.startsWith('etcd ')), 'the recipe starts etcd');
  const kcatLines = lines.slice(loopEnd + 1).filter((l) => l.includes('kcat'));

  const etcd = await startEtcd();
  const { dir, cleanup } = await tempDir('tributary-recipe-');
  const taken = new Set<number>();
  const kafka = await freePrefix(taken);
  const admin = await freePrefix(taken);
  const moved = (text: string) =>
    text
      .replaceAll('127.0.0.1:909', `127.0.0.1:${kafka}`)
      .replaceAll('127.0.0.1:964', `127.0.0.1:${admin}`)
      .replaceAll('etcd://127.0.0.1:2379', `etcd://${new URL(etcd.endpoint).host}`)
      .replaceAll('/tmp/tributary-', `${dir}/tributary-`);
  const loop = moved(lines.slice(loopStart, loopEnd + 1).join('\n'));
  // One process group, so that the brokers the loop puts in the background end with the test.
  const brokers = spawn('bash', ['-c', `${loop}\nwait`], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  brokers.stdout.on('data', (d: Buffer) => (output += d.toString()));
  brokers.stderr.on('data', (d: Buffer) => (output += d.toString()));
  try {
    for (const n of [1, 2, 3]) {
      for (let i = 0; !threeBrokersSeen(`127.0.0.1:${kafka}${n}`); i++) {
        assert.ok(i < 150 && brokers.exitCode === null, `broker ${n} of the recipe did not come up with the others:\n${output.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const printed = kcatLines.map((line) => execFileSync('bash', ['-c', moved(line)], { cwd: ROOT, encoding: 'utf8' })).join('');
    assert.match(printed, / 3 brokers:/);
    const partition = / partition 0, leader (\d), replicas: ([\d,]+), isrs: ([\d,]+)/.exec(printed);
    assert.ok(partition, `kcat listed the topic's partition:\n${printed}`);
    assert.deepEqual(partition[2].split(',').sort(), ['1', '2', '3'], 'three replicas');
    assert.deepEqual(partition[3].split(',').sort(), ['1', '2', '3'], 'all in sync');
    assert.doesNotMatch(output, /cannot listen/);
  } finally {
    // The whole group at once (the shutdown is not what this tests: three brokers stopping
    // together would each wait to hand leaderships to the others); 'close' once every broker's
    // end of the pipes is gone too.
    if (brokers.pid !== undefined) {
      const closed = new Promise((r) => brokers.once('close', r));
      try {
        process.kill(-brokers.pid, 'SIGKILL');
      } catch {
        // the group is gone already
      }
      await closed;
    }
    await etcd.stop();
    await cleanup();
  }
});
