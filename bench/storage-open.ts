/**
 * Opening a data directory with many partitions: creates N partitions holding one batch each,
 * closes them cleanly, then times reopening them all and the memory it costs; then once more
 * after an unclean stop (no clean-shutdown marker), when recovery scans from the recovery points.
 * Prints figures; asserts nothing.
 *
 *   npm run build && node dist/bench/storage-open.js [PARTITIONS, default 10000]
 */
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogManager } from '../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG } from '../src/storage/log.js';
import { buildBatch } from '../src/protocol/records/batch-records.js';

const n = Number(process.argv[2] ?? 10_000);
const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'tributary-open-'));
const config = { ...DEFAULT_LOG_CONFIG, segmentIndexBytes: 64 * 1024 };
const batch = await buildBatch([{ key: null, value: Buffer.alloc(100, 1), timestamp: Date.now() }]);

let manager = await LogManager.open(dir, { maxOpenFiles: 500 });
let t = process.hrtime.bigint();
for (let p = 0; p < n; p++) await (await manager.openLog('many', p, config)).append(Buffer.from(batch), 0, null);
console.log(`created ${n} partitions with one batch each in ${(Number(process.hrtime.bigint() - t) / 1e9).toFixed(2)} s`);
await manager.close();

async function reopen(label: string): Promise<void> {
  const rssBefore = process.memoryUsage().rss;
  t = process.hrtime.bigint();
  manager = await LogManager.open(dir, { maxOpenFiles: 500 });
  let end = 0;
  let next = 0;
  // Opened 32 at a time, as the broker's replica manager does at start.
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < n) {
        const log = await manager.openLog('many', next++, config);
        end += log.logEndOffset;
      }
    }),
  );
  const secs = Number(process.hrtime.bigint() - t) / 1e9;
  const rss = (process.memoryUsage().rss - rssBefore) / 1e6;
  console.log(`${label.padEnd(34)} ${secs.toFixed(2)} s (${((secs / n) * 1e6).toFixed(0)} µs per partition), +${rss.toFixed(0)} MB RSS, ${end} records found`);
}

await reopen('reopen after a clean shutdown:');
await manager.close();
unlinkSync(join(dir, '.kafka_cleanshutdown'));
await reopen('reopen after an unclean stop:');
await manager.close();
rmSync(dir, { recursive: true, force: true });
