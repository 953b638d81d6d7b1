/**
 * Power loss at every step of a compaction pass that merges and swaps segments: writing the
 * cleaned file, renaming it to `.swap`, removing the replaced segments, renaming over `.log`,
 * the directory fsyncs and the new index files. After recovery the log must serve either the old
 * or the cleaned version of each group: nothing the cleaned log keeps is lost, nothing appears
 * that was not in the log, every key reads as before, and no `.cleaned` or `.swap` file is left.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimFileSystem, type FsCall } from '../../helpers/sim-fs.js';
import { LogManager } from '../../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../../src/storage/log.js';
import { clock } from '../../helpers/storage.js';
import { everything, put, table, type StoredRecord } from '../../helpers/compaction.js';

const CONFIG: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytes: 1000, indexIntervalBytes: 200, segmentIndexBytes: 4096, retentionMs: -1, compact: true, deleteRetentionMs: 0 };
const MUTATIONS: FsCall[] = ['open', 'write', 'writev', 'datasync', 'sync', 'truncate', 'rename', 'unlink', 'syncDir'];

/** A log after one pass, with a new round of writes: the next pass merges the shrunk segments. */
async function prepared(seed: number) {
  const fs = new SimFileSystem({ seed });
  await fs.mkdir('/data');
  await fs.syncDir('/');
  const c = clock();
  const manager = await LogManager.open('/data', { fs, now: c.now, cleaner: { enabled: false } });
  const log = await manager.openLog('t', 0, CONFIG);
  const round = async (r: number) => {
    for (let k = 0; k < 20; k++) {
      await put(log, [[`k${k}`, k === 3 && r === 1 ? null : `v${r}-${k}`.padEnd(30 + ((k * 7) % 23), '.')]], c.time);
      // Keys written once: every segment keeps some records through every pass.
      if (k % 5 === 0) await put(log, [[`once-${r}-${k}`, `kept ${r} ${k}`]], c.time);
    }
  };
  for (let r = 0; r < 3; r++) await round(r);
  await log.compact();
  for (let r = 3; r < 5; r++) await round(r);
  return { fs, log, before: await everything(log), end: log.logEndOffset };
}

test('power loss at each step of a pass that merges and swaps segments: recovery keeps the old or the cleaned version, whole', async () => {
  const seed = 9100;
  const reference = await prepared(seed);
  const result = await reference.log.compact();
  assert.ok(result && result.cleanedSegments > 0 && result.segments > result.cleanedSegments, `seed ${seed}: the pass merges segments (${JSON.stringify(result)})`);
  const cleaned = await everything(reference.log);
  const beforeByOffset = new Map(reference.before.map((r) => [r[0], r]));
  let crashes = 0;
  for (let k = 1; ; k++) {
    const { fs, log, before, end } = await prepared(seed);
    assert.deepEqual(before, reference.before, 'the preparation replays exactly');
    let mutations = 0;
    fs.crashWhen = (call, path) => path.startsWith('/data/t-0') && MUTATIONS.includes(call) && ++mutations === k;
    await log.compact().catch(() => undefined);
    if (!fs.crashed) break;
    crashes++;
    const where = `seed ${seed}, crash at mutation ${k} of the pass`;
    const disk = fs.afterCrash(seed * 1000 + k);
    const manager = await LogManager.open('/data', { fs: disk, cleaner: { enabled: false } });
    const recovered: StoredRecord[] = await everything(await manager.openLog('t', 0, CONFIG)).catch((err: unknown) => assert.fail(`${where}: ${String(err)}`));
    assert.deepEqual(disk.list('/data/t-0').filter((p) => p.endsWith('.cleaned') || p.endsWith('.swap')), [], `${where}: no cleaning leftovers`);
    for (const r of recovered) assert.deepEqual(beforeByOffset.get(r[0]), r, `${where}: record ${r[0]} was in the log before the pass`);
    const recoveredOffsets = new Set(recovered.map((r) => r[0]));
    for (const r of cleaned) assert.ok(recoveredOffsets.has(r[0]), `${where}: record ${r[0]} (${r[1]}) that the cleaned log keeps is lost`);
    assert.deepEqual(table(recovered), table(before), `${where}: every key reads as before`);
    assert.equal((await manager.openLog('t', 0, CONFIG)).logEndOffset, end, `${where}: the log end`);
    await manager.close();
  }
  assert.ok(crashes > 20, `only ${crashes} crash points fell inside the pass`);
});
