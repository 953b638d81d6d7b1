// Durability under kill -9: a child process appends with the default flush policy (acknowledge
// after fdatasync) and reports every acknowledged batch; it is killed at random moments 50 times.
// After each kill the log is reopened: every acknowledged batch must be there, intact, with
// contiguous offsets, and nothing torn may be served.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LogManager } from '../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG } from '../../src/storage/log.js';
import { batchesIn, readBatchRecords } from '../../src/protocol/records/batch-records.js';
import { tempDir } from '../helpers/storage.js';

const CHILD = fileURLToPath(new URL('../helpers/storage-crash-child.js', import.meta.url));
const ROUNDS = 50;

interface Ack {
  base: number;
  last: number;
  tag: string;
}

function runAndKill(dataDir: string, round: number, killAfterMs: number): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dataDir, String(round)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const acks: Ack[] = [];
    let out = '';
    let ready = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        const parts = line.split(' ');
        if (parts[0] === 'ready' && !ready) {
          ready = true;
          setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        } else if (parts[0] === 'ack') acks.push({ base: Number(parts[1]), last: Number(parts[2]), tag: parts[3] });
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve(acks) : reject(new Error(`child exited with ${code}`))));
  });
}

/** Every batch of the log from the start, checked for CRC and contiguity; tag of each batch by base offset. */
async function readWholeLog(dataDir: string): Promise<{ end: number; tags: Map<number, { last: number; tag: string }> }> {
  const manager = await LogManager.open(dataDir);
  const log = await manager.openLog('crash', 0, { ...DEFAULT_LOG_CONFIG, segmentBytes: 64 * 1024 });
  const tags = new Map<number, { last: number; tag: string }>();
  let next = 0;
  while (next < log.logEndOffset) {
    const bytes = await log.read(next, 1 << 20, log.logEndOffset, true);
    let progressed = false;
    for (const view of batchesIn(bytes)) {
      assert.equal(Number(view.baseOffset), next, `offsets are contiguous at ${next}`);
      assert.ok(view.isCrcValid(), `batch at ${next} is intact`);
      const records = await readBatchRecords(view);
      const tag = records[0].key?.toString().replace(/-\d+$/, '') ?? '';
      records.forEach((r, i) => assert.equal(r.key?.toString(), `${tag}-${i}`));
      tags.set(next, { last: Number(view.lastOffset), tag });
      next = Number(view.lastOffset) + 1;
      progressed = true;
    }
    assert.ok(progressed, `the log serves nothing at ${next} although it ends at ${log.logEndOffset}`);
  }
  const end = log.logEndOffset;
  await manager.close();
  // Reopening after a clean close must not have changed anything.
  return { end, tags };
}

test(`kill -9 at random moments, ${ROUNDS} times: every acknowledged batch survives intact`, async (t) => {
  const { dir, cleanup } = await tempDir('tributary-crash-');
  try {
    let totalAcks = 0;
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let round = 0; round < ROUNDS; round++) {
      const acks = await runAndKill(dir, round, 20 + Math.floor(random() * 300));
      totalAcks += acks.length;
      const { end, tags } = await readWholeLog(dir);
      for (const a of acks) {
        const found = tags.get(a.base);
        assert.ok(found, `round ${round}: acknowledged batch ${a.tag} at offset ${a.base} is missing (log ends at ${end})`);
        assert.equal(found.tag, a.tag, `round ${round}: offset ${a.base} holds ${found.tag}, not the acknowledged ${a.tag}`);
        assert.equal(found.last, a.last);
      }
    }
    t.diagnostic(`${totalAcks} acknowledged batches over ${ROUNDS} kills`);
    assert.ok(totalAcks > ROUNDS * 5, `only ${totalAcks} acknowledgements in ${ROUNDS} rounds: the child barely ran`);
  } finally {
    await cleanup();
  }
});
