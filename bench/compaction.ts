/**
 * Compaction beside appends: a log of keyed records (many versions of each key) is compacted while
 * 8 appenders keep writing with the default fsync policy. Prints the pass's figures (bytes before
 * and after, segments, offset map size), how many appends were acknowledged during the pass, and
 * the append latency percentiles during the pass next to those of appends alone. Asserts nothing.
 *
 *   npm run build && node dist/bench/compaction.js [MiB of log, default 64] [distinct keys, default 10000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskLog, DEFAULT_LOG_CONFIG } from '../src/storage/log.js';
import { HandleCache } from '../src/storage/handle-cache.js';
import { nodeFileSystem } from '../src/storage/file-system.js';
import { buildBatch } from '../src/protocol/records/batch-records.js';

const mib = Number(process.argv[2] ?? 64);
const keys = Number(process.argv[3] ?? 10_000);
const root = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'tributary-bench-compaction-'));

const batchOf = (n: number) =>
  buildBatch(Array.from({ length: 16 }, (_, i) => ({ key: Buffer.from(`key-${(n * 16 + i) % keys}`), value: Buffer.alloc(1024, 97 + (n % 26)), timestamp: Date.now() })));

function percentile(sorted: number[], p: number): string {
  return sorted.length === 0 ? '-' : `${sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))].toFixed(2)} ms`;
}

const log = await DiskLog.open({
  dir: join(root, 'table-0'),
  config: { ...DEFAULT_LOG_CONFIG, compact: true, segmentBytes: 8 * 1024 * 1024 },
  handles: new HandleCache(nodeFileSystem, 100),
  now: Date.now,
  recoveryPoint: 0,
  logStartOffset: 0,
  cleanShutdown: true,
});
const template = await batchOf(0);
const fill = Math.floor((mib * 1024 * 1024) / template.length);
let n = 0;
await Promise.all(
  Array.from({ length: 8 }, async () => {
    while (n < fill) await log.append(await batchOf(n++), 0, null);
  }),
);

/** Appends with 8 appenders until `until` settles (or `count` appends); returns their latencies. */
async function appendWhile(until: Promise<unknown> | null, count: number): Promise<number[]> {
  const latencies: number[] = [];
  let done = until === null;
  void until?.then(() => (done = true));
  let issued = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (until ? !done : issued < count) {
        issued++;
        const batch = await batchOf(n++);
        const t = process.hrtime.bigint();
        await log.append(batch, 0, null);
        latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
    }),
  );
  return latencies.sort((a, b) => a - b);
}

const alone = await appendWhile(null, 2000);
const sizeBefore = log.sizeInBytes;
const start = process.hrtime.bigint();
const pass = log.compact();
const during = await appendWhile(pass, 0);
const result = await pass;
const secs = Number(process.hrtime.bigint() - start) / 1e9;
console.log(`log: ${(sizeBefore / 1048576).toFixed(1)} MiB, ${keys} keys, ${log.segmentCount} segments after the pass`);
console.log(`pass: ${secs.toFixed(2)} s, ${result?.segments} segments into ${result?.cleanedSegments}, ${((result?.bytesBefore ?? 0) / 1048576).toFixed(1)} MiB -> ${((result?.bytesAfter ?? 0) / 1048576).toFixed(1)} MiB, ${result?.recordsRemoved} records removed, offset map ${((result?.offsetMapBytes ?? 0) / 1024).toFixed(0)} KiB`);
console.log(`appends acknowledged during the pass: ${during.length}`);
console.log(`append latency alone:       p50 ${percentile(alone, 50)}  p99 ${percentile(alone, 99)}  max ${percentile(alone, 100)}`);
console.log(`append latency during pass: p50 ${percentile(during, 50)}  p99 ${percentile(during, 99)}  max ${percentile(during, 100)}`);
await log.close();
rmSync(root, { recursive: true, force: true });
