/**
 * One partition log on the simulated file system, for read-path tests that count the file reads a
 * call makes (the simulated file system sees every call by kind).
 */
import { SimFileSystem } from './sim-fs.js';
import { LogManager } from '../../src/storage/log-manager.js';
import type { LogConfig } from '../../src/storage/log.js';
import { clock } from './storage.js';

export async function simLog(seed: number, config: LogConfig) {
  const fs = new SimFileSystem({ seed });
  await fs.mkdir('/data');
  await fs.syncDir('/');
  const c = clock();
  const manager = await LogManager.open('/data', { fs, now: c.now, cleaner: { enabled: false } });
  return { fs, c, manager, log: await manager.openLog('t', 0, config) };
}

/** The file reads `fn` makes while it runs. */
export async function readsDuring<T>(fs: SimFileSystem, fn: () => Promise<T>): Promise<{ result: T; reads: number }> {
  let reads = 0;
  fs.holdWhen = (call) => {
    if (call === 'read') reads++;
    return null;
  };
  try {
    return { result: await fn(), reads };
  } finally {
    fs.holdWhen = null;
  }
}
