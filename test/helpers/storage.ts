/** Opening disk logs on temporary directories for storage tests. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskLog, DEFAULT_LOG_CONFIG, type LogConfig } from '../../src/storage/log.js';
import { HandleCache } from '../../src/storage/handle-cache.js';
import { nodeFileSystem } from '../../src/storage/file-system.js';
import { buildBatch } from '../../src/protocol/records/batch-records.js';
import { batchesIn } from '../../src/protocol/records/batch-records.js';

export async function tempDir(prefix = 'tributary-storage-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface TestClock {
  now: () => number;
  time: number;
}

export function clock(start = 1_700_000_000_000): TestClock {
  const c = { time: start, now: () => c.time };
  return c;
}

export function openLog(dir: string, config: Partial<LogConfig> = {}, opts: { clean?: boolean; recoveryPoint?: number; logStart?: number; now?: () => number } = {}): Promise<DiskLog> {
  return DiskLog.open({
    dir: join(dir, 'topic-0'),
    config: { ...DEFAULT_LOG_CONFIG, ...config },
    handles: new HandleCache(nodeFileSystem, 100),
    now: opts.now ?? Date.now,
    recoveryPoint: opts.recoveryPoint ?? 0,
    logStartOffset: opts.logStart ?? 0,
    cleanShutdown: opts.clean ?? true,
  });
}

/** A batch of `count` records whose values name their batch and index, all at `timestamp`. */
export function batch(tag: string, count: number, timestamp: number, valueBytes = 20): Promise<Buffer> {
  return buildBatch(
    Array.from({ length: count }, (_, i) => ({ key: Buffer.from(`${tag}-${i}`), value: Buffer.from(`${tag}:${i}:`.padEnd(valueBytes, '.')), timestamp: timestamp + i })),
  );
}

/** Base offsets and record counts of the batches in a read. */
export function shape(bytes: Buffer): [number, number][] {
  return [...batchesIn(bytes)].map((v) => [Number(v.baseOffset), v.recordCount]);
}
