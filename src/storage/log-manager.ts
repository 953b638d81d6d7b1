/**
 * All partition logs of one data directory: opens them (recovering after an unclean stop), keeps
 * the directory-level checkpoints, applies retention, runs the log cleaner (log-cleaner.ts), and
 * marks a clean shutdown on close.
 */
import { join } from 'node:path';
import { DiskLog, type LogConfig } from './log.js';
import { HandleCache } from './handle-cache.js';
import { nodeFileSystem, replaceFileDurably, type FileSystem } from './file-system.js';
import { partitionDirName } from './file-names.js';
import { CLEAN_SHUTDOWN_FILE, CLEANER_FILE, LOG_START_FILE, RECOVERY_POINT_FILE, readOffsetCheckpoint, writeOffsetCheckpoint } from './checkpoints.js';
import { DEFAULT_CLEANER_SETTINGS, LogCleaner, type LogCleanerEvents, type LogCleanerSettings } from './log-cleaner.js';

async function hasPartitionDirs(fs: FileSystem, dataDir: string): Promise<boolean> {
  const names = await fs.readdir(dataDir);
  return names.some((d) => d.isDirectory && /-\d+$/.test(d.name));
}

async function exists(fs: FileSystem, path: string): Promise<boolean> {
  return fs.stat(path).then(
    () => true,
    () => false,
  );
}

export interface LogManagerOptions {
  maxOpenFiles?: number;
  now?: () => number;
  /** The file system (a test's fault-injecting one; the real one by default). */
  fs?: FileSystem;
  /** Told once per log that an I/O error takes offline. */
  onOffline?: (topic: string, partition: number, err: unknown) => void;
  /** The log cleaner's settings (log.cleaner.*); it runs only once startCleaner() is called. */
  cleaner?: Partial<LogCleanerSettings>;
  /** What the log cleaner reports (its failures, its passes). */
  cleanerEvents?: LogCleanerEvents;
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
  /** The broker's one log cleaner over this directory's compacted logs. */
  readonly cleaner: LogCleaner;

  private constructor(
    readonly dataDir: string,
    private readonly cleanShutdown: boolean,
    private readonly recoveryPoints: Map<string, number>,
    private readonly logStarts: Map<string, number>,
    private readonly cleanerCheckpoints: Map<string, number>,
    maxOpenFiles: number,
    private readonly now: () => number,
    private readonly fs: FileSystem,
    private readonly onOffline: (topic: string, partition: number, err: unknown) => void,
    cleaner: LogCleanerSettings,
    cleanerEvents: LogCleanerEvents,
  ) {
    this.handles = new HandleCache(fs, maxOpenFiles);
    this.cleaner = new LogCleaner(() => this.logs.values(), cleaner, { ...cleanerEvents, afterPass: () => this.checkpoint() });
  }

  static async open(dataDir: string, options: LogManagerOptions = {}): Promise<LogManager> {
    const fs = options.fs ?? nodeFileSystem;
    await fs.mkdir(dataDir);
    const marker = join(dataDir, CLEAN_SHUTDOWN_FILE);
    const clean = await exists(fs, marker);
    if (clean) {
      // The marker goes before anything is written: a crash from here on is an unclean stop.
      await fs.unlink(marker);
      await fs.syncDir(dataDir);
    }
    // A directory that never held logs has nothing to recover.
    const fresh = !clean && !(await exists(fs, join(dataDir, RECOVERY_POINT_FILE))) && !(await hasPartitionDirs(fs, dataDir));
    return new LogManager(
      dataDir,
      clean || fresh,
      await readOffsetCheckpoint(fs, dataDir, RECOVERY_POINT_FILE),
      await readOffsetCheckpoint(fs, dataDir, LOG_START_FILE),
      await readOffsetCheckpoint(fs, dataDir, CLEANER_FILE),
      options.maxOpenFiles ?? 1000,
      options.now ?? Date.now,
      fs,
      options.onOffline ?? (() => undefined),
      { ...DEFAULT_CLEANER_SETTINGS, ...options.cleaner },
      options.cleanerEvents ?? {},
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
      cleanerCheckpoint: this.cleanerCheckpoints.get(name),
      onDestroy: () => this.logs.delete(name),
      onOffline: (err) => this.onOffline(topic, partition, err),
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
    else await this.fs.removeTree(join(this.dataDir, name));
    await this.checkpoint();
  }

  /** Writes the recovery points and log start offsets of every open log (one at a time). */
  checkpoint(): Promise<void> {
    const run = this.checkpointQueue.then(async () => {
      const all = [...this.logs.values()];
      await writeOffsetCheckpoint(this.fs, this.dataDir, RECOVERY_POINT_FILE, all.map((e) => ({ topic: e.topic, partition: e.partition, offset: e.log.recoveryPoint })));
      await writeOffsetCheckpoint(this.fs, this.dataDir, LOG_START_FILE, all.map((e) => ({ topic: e.topic, partition: e.partition, offset: e.log.logStartOffset })));
      const compacted = all.filter((e) => e.log.config.compact);
      await writeOffsetCheckpoint(this.fs, this.dataDir, CLEANER_FILE, compacted.map((e) => ({ topic: e.topic, partition: e.partition, offset: e.log.cleanerCheckpoint })));
    });
    this.checkpointQueue = run.catch(() => undefined);
    return run;
  }

  /** Applies retention to every log; returns the number of segments deleted. */
  async applyRetention(): Promise<number> {
    let deleted = 0;
    // An offline log waits for the restart that recovers it.
    for (const e of this.logs.values()) if (!e.log.offline) deleted += await e.log.applyRetention();
    if (deleted > 0) await this.checkpoint();
    return deleted;
  }

  /** Starts the log cleaner's background loop (log.cleaner.enable). */
  startCleaner(): void {
    this.cleaner.start();
  }

  /** Stops the cleaner (a pass in progress is aborted and waited for), flushes and closes every log, writes checkpoints and the clean-shutdown marker. */
  async close(): Promise<void> {
    await this.cleaner.stop();
    for (const e of this.logs.values()) await e.log.close();
    const offline = [...this.logs.values()].some((e) => e.log.offline !== null);
    await this.checkpoint();
    await this.handles.closeAll();
    this.logs.clear();
    // A log that went offline left writes unaccounted for: the next start must recover.
    if (offline) return;
    // Durable like any checkpoint: a marker lost to a power cut only costs a recovery scan, but
    // one that outlived unsynced data would skip the scan that must cut it.
    await replaceFileDurably(this.fs, this.dataDir, CLEAN_SHUTDOWN_FILE, Buffer.alloc(0));
  }
}
