import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { buildBatch, batchesIn, readBatchRecords } from '../../../src/protocol/records/batch-records.js';
import { clock, openLog, tempDir } from '../../helpers/storage.js';
import type { DiskLog } from '../../../src/storage/log.js';

async function put(log: DiskLog, entries: [string, string | null][], timestamp: number): Promise<void> {
  await log.append(await buildBatch(entries.map(([k, v]) => ({ key: Buffer.from(k), value: v === null ? null : Buffer.from(v), timestamp }))), 0, null);
}

async function everything(log: DiskLog): Promise<[number, string, string | null][]> {
  const out: [number, string, string | null][] = [];
  let next = log.logStartOffset;
  while (next < log.logEndOffset) {
    const bytes = await log.read(next, 1 << 20, log.logEndOffset, true);
    if (bytes.length === 0) break;
    for (const view of batchesIn(bytes)) {
      for (const r of await readBatchRecords(view)) if (r.offset >= BigInt(next)) out.push([Number(r.offset), r.key?.toString() ?? '', r.value?.toString() ?? null]);
      next = Number(view.lastOffset) + 1;
    }
  }
  return out;
}

test('compaction keeps the last value per key with its offset, drops old tombstones, survives a reopen', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const c = clock(1_000_000);
    const config = { segmentBytes: 400, compact: true, deleteRetentionMs: 10_000 };
    let log = await openLog(dir, config, { now: c.now });
    for (let round = 0; round < 5; round++) await put(log, [['a', `a${round}`], ['b', `b${round}`], ['c', `c${round}`]], c.time);
    await put(log, [['b', null]], c.time); // tombstone for b
    await put(log, [['d', 'd0']], c.time);
    for (let i = 0; i < 3; i++) await put(log, [['pad', `p${i}`]], c.time);
    assert.ok(log.segmentCount >= 3);
    const before = await everything(log);
    const result = await log.compact();
    assert.ok(result && result.segments > 0 && result.bytesAfter < result.bytesBefore, JSON.stringify(result));
    const after = await everything(log);
    const activeBase = Number((await readdir(join(dir, 'topic-0'))).filter((f) => f.endsWith('.log')).sort().at(-1)?.slice(0, 20));
    // Below the active segment: one record per key, the latest, at its original offset.
    const cleaned = after.filter(([o]) => o < activeBase);
    const lastOf = new Map<string, [number, string | null]>();
    for (const [o, k, v] of before.filter(([o]) => o < activeBase)) lastOf.set(k, [o, v]);
    const expected: [number, string, string | null][] = [...lastOf].map(([k, [o, v]]) => [o, k, v]);
    assert.deepEqual(cleaned, expected.sort((x, y) => x[0] - y[0]));
    assert.ok(cleaned.some(([, k, v]) => k === 'b' && v === null), 'a young tombstone stays');
    assert.deepEqual(after.filter(([o]) => o >= activeBase), before.filter(([o]) => o >= activeBase), 'the active segment is untouched');
    assert.equal(log.logEndOffset, 20, 'the end does not move');
    // Later: the tombstone is old enough to go, after more data rolled another segment.
    c.time += 20_000;
    for (let i = 0; i < 6; i++) await put(log, [['pad', `q${i}`]], c.time);
    await log.compact();
    assert.ok(!(await everything(log)).some(([, k]) => k === 'b'), 'the old tombstone and everything of b are gone');
    const final = await everything(log);
    await log.close();
    log = await openLog(dir, config, { clean: false, recoveryPoint: 0, now: c.now });
    assert.deepEqual(await everything(log), final, 'a reopen after an unclean stop serves the same records');
    assert.equal(log.logEndOffset, 26, 'recovery accepts the gaps compaction leaves');
    await log.close();
  } finally {
    await cleanup();
  }
});
