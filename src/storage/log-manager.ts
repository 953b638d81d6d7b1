/**
 * All partition logs of one data directory: opens them (recovering after an unclean stop), keeps
 * the directory-level checkpoints, applies retention, and marks a clean shutdown on close.
 */
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DiskLog, type LogConfig } from './log.js';
import { HandleCache } from './handle-cache.js';
import { partitionDirName } from './file-names.js';
import { CLEAN_SHUTDOWN_FILE, LOG_START_FILE, RECOVERY_POINT_FILE, readOffsetCheckpoint, writeOffsetCheckpoint } from './checkpoints.js';

async function hasPartitionDirs(dataDir: string): Promise<boolean> {
  const names = await readdir(dataDir, { withFileTypes: true });
  return names.some((d) => d.isDirectory() && /-\d+$/.test(d.name));
}

interface Entry {
  topic: string;
  partition: number;
  log: DiskLog;
}

export class LogManager {
  private readonly logs = new Map<string, Entry>();
  private readonly handles: HandleCache;
  private checkpointQueue: Promise<void> = Promise.resolve();

  private constructor(
    readonly dataDir: string,
    private readonly cleanShutdown: boolean,
    private readonly recoveryPoints: Map<string, number>,
    private readonly logStarts: Map<string, number>,
    maxOpenFiles: number,
    private readonly now: () => number,
  ) {
    this.handles = new HandleCache(maxOpenFiles);
  }

  static async open(dataDir: string, options: { maxOpenFiles?: number; now?: () => number } = {}): Promise<LogManager> {
    await mkdir(dataDir, { recursive: true });
    const marker = join(dataDir, CLEAN_SHUTDOWN_FILE);
    const clean = await stat(marker).then(
      () => true,
      () => false,
    );
    await rm(marker, { force: true });
    // A directory that never held logs has nothing to recover.
    const fresh = !clean && (await stat(join(dataDir, RECOVERY_POINT_FILE)).then(() => false, () => true)) && !(await hasPartitionDirs(dataDir));
    return new LogManager(
      dataDir,
      clean || fresh,
      await readOffsetCheckpoint(dataDir, RECOVERY_POINT_FILE),
      await readOffsetCheckpoint(dataDir, LOG_START_FILE),
      options.maxOpenFiles ?? 1000,
      options.now ?? Date.now,
    );
  }

  get wasCleanShutdown(): boolean {
    return this.cleanShutdown;
  }

  async openLog(topic: string, partition: number, config: LogConfig): Promise<DiskLog> {
    const name = partitionDirName(topic, partition);
    const existing = this.logs.get(name);
    if (existing) return existing.log;
    const log = await DiskLog.open({
      dir: join(this.dataDir, name),
      config,
      handles: this.handles,
      now: this.now,
      recoveryPoint: this.recoveryPoints.get(name) ?? 0,
      logStartOffset: this.logStarts.get(name) ?? 0,
      cleanShutdown: this.cleanShutdown,
      onDestroy: () => this.logs.delete(name),
    });
    this.logs.set(name, { topic, partition, log });
    return log;
  }

  get(topic: string, partition: number): DiskLog | undefined {
    return this.logs.get(partitionDirName(topic, partition))?.log;
  }

  async deleteLog(topic: string, partition: number): Promise<void> {
    const name = partitionDirName(topic, partition);
    const e = this.logs.get(name);
    this.logs.delete(name);
    if (e) await e.log.destroy();
    else await rm(join(this.dataDir, name), { recursive: true, force: true });
    await this.checkpoint();
  }

  /** Writes the recovery points and log start offsets of every open log (one at a time). */
  checkpoint(): Promise<void> {
    const run = this.checkpointQueue.then(async () => {
      const all = [...this.logs.values()];
      await writeOffsetCheckpoint(this.dataDir, RECOVERY_POINT_FILE, all.map((e) => ({ topic: e.topic, partition: e.partition, offset: e.log.recoveryPoint })));
      await writeOffsetCheckpoint(this.dataDir, LOG_START_FILE, all.map((e) => ({ topic: e.topic, partition: e.partition, offset: e.log.logStartOffset })));
    });
    this.checkpointQueue = run.catch(() => undefined);
    return run;
  }

  /** Applies retention to every log; returns the number of segments deleted. */
  async applyRetention(): Promise<number> {
    let deleted = 0;
    for (const e of this.logs.values()) deleted += await e.log.applyRetention();
    if (deleted > 0) await this.checkpoint();
    return deleted;
  }

  /** Compacts the logs of compacted topics; returns the number of segments rewritten. */
  async compactAll(): Promise<number> {
    let cleaned = 0;
    for (const e of this.logs.values()) cleaned += (await e.log.compact())?.segments ?? 0;
    return cleaned;
  }

  /** Flushes and closes every log, writes checkpoints and the clean-shutdown marker. */
  async close(): Promise<void> {
    for (const e of this.logs.values()) await e.log.close();
    await this.checkpoint();
    await this.handles.closeAll();
    await writeFile(join(this.dataDir, CLEAN_SHUTDOWN_FILE), '');
    this.logs.clear();
  }
}
