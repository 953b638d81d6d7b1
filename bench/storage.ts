/**
 * Storage engine throughput: appends of 16 KiB batches (16 records of 1 KiB) with the default
 * fsync group-commit policy at 1, 8 and 64 concurrent appenders, with the page-cache policy, and
 * a sequential read of everything; next to the raw disk figure from dd with fdatasync, measured
 * in the same run on the same file system. Prints figures; asserts nothing.
 *
 *   npm run build && node dist/bench/storage.js [MiB per run, default 256]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskLog, DEFAULT_LOG_CONFIG, type LogConfig } from '../src/storage/log.js';
import { HandleCache } from '../src/storage/handle-cache.js';
import { nodeFileSystem } from '../src/storage/file-system.js';
import { buildBatch } from '../src/protocol/records/batch-records.js';

const mib = Number(process.argv[2] ?? 256);
const root = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'tributary-bench-'));
const template = await buildBatch(Array.from({ length: 16 }, (_, i) => ({ key: null, value: Buffer.alloc(1024, 97 + i), timestamp: Date.now() })));
const batches = Math.floor((mib * 1024 * 1024) / template.length);

async function open(name: string, config: Partial<LogConfig>): Promise<DiskLog> {
  return DiskLog.open({ dir: join(root, name), config: { ...DEFAULT_LOG_CONFIG, ...config }, handles: new HandleCache(nodeFileSystem, 100), now: Date.now, recoveryPoint: 0, logStartOffset: 0, cleanShutdown: true });
}

async function appendRun(label: string, concurrency: number, config: Partial<LogConfig>): Promise<DiskLog> {
  const log = await open(label.replace(/\W+/g, '-'), config);
  let issued = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued < batches) {
        issued++;
        await log.append(Buffer.from(template), 0, null);
      }
    }),
  );
  if (config.flushMessages && config.flushMessages > 1) await log.flush();
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  const bytes = batches * template.length;
  console.log(`${label.padEnd(40)} ${(bytes / secs / 1e6).toFixed(1).padStart(8)} MB/s  ${(batches / secs).toFixed(0).padStart(7)} appends/s  ${log.syncCount} fsyncs`);
  return log;
}

const dd = spawnSync('dd', ['if=/dev/zero', `of=${join(root, 'dd.bin')}`, 'bs=1M', `count=${mib}`, 'conv=fdatasync'], { encoding: 'utf8' });
const ddLine = dd.stderr.trim().split('\n').pop() ?? '';
const ddMBps = /([\d.]+) ([MG])B\/s/.exec(ddLine);
console.log(`disk: dd bs=1M count=${mib} conv=fdatasync: ${ddLine}`);
console.log(`appending ${batches} batches of ${template.length} bytes (${mib} MiB) per run:`);
for (const c of [1, 8, 64]) (await appendRun(`fsync group commit, ${c} appender(s)`, c, { flushMessages: 1 })).close();
const pageCache = await appendRun('page cache (flush.messages=10000), 8 appenders', 8, { flushMessages: 10_000 });
const start = process.hrtime.bigint();
let offset = 0;
let bytes = 0;
while (offset < pageCache.logEndOffset) {
  const chunk = await pageCache.read(offset, 1 << 20, pageCache.logEndOffset, true);
  bytes += chunk.length;
  offset += (chunk.length / template.length) * 16;
}
const secs = Number(process.hrtime.bigint() - start) / 1e9;
console.log(`${'sequential read, 1 MiB reads'.padEnd(40)} ${(bytes / secs / 1e6).toFixed(1).padStart(8)} MB/s`);
if (ddMBps) console.log(`(dd figure for the ratio: ${ddMBps[1]} ${ddMBps[2]}B/s)`);
await pageCache.close();
rmSync(root, { recursive: true, force: true });
