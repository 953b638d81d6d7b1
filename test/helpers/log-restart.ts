/** Stopping and restarting a LogManager on a real temporary directory, for the log-open tests. */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { LogManager } from '../../src/storage/log-manager.js';
import type { DiskLog } from '../../src/storage/log.js';
import { CLEAN_SHUTDOWN_FILE } from '../../src/storage/checkpoints.js';
import type { FileSystem } from '../../src/storage/file-system.js';
import { batchesIn } from '../../src/protocol/records/batch-records.js';

/**
 * `clean`: closed, marker written. `unclean`: closed and then the marker removed, which the next
 * start reads as a crash after every write was synced (the recovery scan runs, finds it whole).
 */
export type Stop = 'clean' | 'unclean';

export const STOPS: readonly Stop[] = ['clean', 'unclean'];

export async function stop(manager: LogManager, how: Stop): Promise<void> {
  await manager.close();
  if (how === 'unclean') await rm(join(manager.dataDir, CLEAN_SHUTDOWN_FILE));
}

/** Opens the directory again, checking it reads the stop as it was made. */
export async function restart(dataDir: string, how: Stop, fs?: FileSystem): Promise<LogManager> {
  const manager = await LogManager.open(dataDir, { fs });
  assert.equal(manager.wasCleanShutdown, how === 'clean', `the start after ${how === 'clean' ? 'a clean' : 'an unclean'} stop`);
  return manager;
}

/** Base offset and record count of every batch of the log, read as a consumer would, segment after segment. */
export async function allShapes(log: DiskLog): Promise<[number, number][]> {
  const out: [number, number][] = [];
  let next = log.logStartOffset;
  while (next < log.logEndOffset) {
    const bytes = await log.read(next, 1 << 20, log.logEndOffset, true);
    if (bytes.length === 0) throw new Error(`nothing read at ${next} below the log end ${log.logEndOffset}`);
    for (const v of batchesIn(bytes)) {
      if (!v.isCrcValid()) throw new Error(`batch at ${v.baseOffset} fails its CRC`);
      out.push([Number(v.baseOffset), v.recordCount]);
      next = Number(v.lastOffset) + 1;
    }
  }
  return out;
}
