/**
 * All partition logs of one data directory: opens them (recovering after an unclean stop), keeps
 * the directory-level checkpoints, applies retention, runs the log cleaner (log-cleaner.ts), sets
 * deleted partitions aside, and marks a clean shutdown on close.
 *
 * Every partition directory belongs to one topic id (its partition.metadata). A partition being
 * created never takes over what a directory of its name held before: an older directory is renamed
 * aside and the checkpoints' offsets for that name are forgotten, so a topic recreated under an old
 * name starts empty at offset 0. Deleting renames a directory to Kafka's `-delete` name and leaves
 * its removal to the background deleter (pending-deletions.ts); directories still marked so at
 * start are removed then, and never opened as partitions.
 */
import { join } from 'node:path';
import { DiskLog, type LogConfig } from './log.js';
import { HandleCache } from './handle-cache.js';
import { GroupCommit } from './group-commit.js';
import { nodeFileSystem, readdirOrNull, replaceFileDurably, type DirEntry, type FileSystem } from './file-system.js';
import { DELETE_DIR_SUFFIX, deleteDirName, logFile, parsePartitionDirName, partitionDirName, segmentBaseOffsets, strayDirName } from './file-names.js';
import { CLEAN_SHUTDOWN_FILE, CLEANER_FILE, LOG_START_FILE, RECOVERY_POINT_FILE, readOffsetCheckpoint, writeOffsetCheckpoint } from './checkpoints.js';
import { DEFAULT_CLEANER_SETTINGS, LogCleaner, type LogCleanerEvents, type LogCleanerSettings } from './log-cleaner.js';
import { readPartitionTopicId, writePartitionTopicId, PARTITION_METADATA_FILE } from './partition-metadata.js';
import { PendingDeletions, systemDeletionScheduler, type DeletionScheduler } from './pending-deletions.js';
import { forEachBounded } from './bounded-concurrency.js';

/** Which topic a log is opened for, and whether the partition is new. */
export interface LogOwner {
  topicId: string;
  /** A partition being created (CreateTopics, CreatePartitions): anything its directory holds is older. */
  create: boolean;
}

export interface LogManagerOptions {
  maxOpenFiles?: number;
  now?: () => number;
  /** The file system (a test's fault-injecting one; the real one by default). */
  fs?: FileSystem;
  /** Told once per log that an I/O error takes offline. */
  onOffline?: (topic: string, partition: number, err: unknown) => void;
  /** How long a deleted partition's directory stays before removal (Kafka's file.delete.delay.ms, 60 s). */
  fileDeleteDelayMs?: number;
  scheduler?: DeletionScheduler;
  /** A background removal failed; the directory stays for the next start. */
  onDeleteError?: (path: string, err: unknown) => void;
  /** A directory was renamed aside (`to` ends in -delete or -stray) because no current topic owns it. */
  onSetAside?: (from: string, to: string, reason: string) => void;
  /** The log cleaner's settings (log.cleaner.*); it runs only once startCleaner() is called. */
  cleaner?: Partial<LogCleanerSettings>;
  /** What the log cleaner reports (its failures, its passes). */
  cleanerEvents?: LogCleanerEvents;
}

interface Entry {
  topic: string;
  partition: number;
  /** null for a log opened without an owner (storage tests and benchmarks). */
  topicId: string | null;
  log: DiskLog;
}

/** A partition name's offsets in the data directory's checkpoint files. */
interface Checkpointed {
  recoveryPoint: number;
  logStartOffset: number;
  /** Where the last cleaning pass stopped; absent for a log the cleaner has not checkpointed. */
  cleanerCheckpoint: number | undefined;
}

/** Partitions closed and renamed at a time when a topic is deleted. */
const DELETE_CONCURRENCY = 4;

async function exists(fs: FileSystem, path: string): Promise<boolean> {
  return fs.stat(path).then(
    () => true,
    () => false,
  );
}

export class LogManager {
  private readonly logs = new Map<string, Entry>();
  private readonly opening = new Map<string, Promise<DiskLog>>();
  private readonly handles: HandleCache;
  /** fsync of the data directory, shared by concurrent creations and renames. */
  private readonly dirSync: GroupCommit;
  /** Names made, renamed or removed in the data directory so far: what a directory fsync covers. */
  private dirChanges = 0;
  readonly deletions: PendingDeletions;
  private checkpointQueue: Promise<void> = Promise.resolve();
  /** The broker's one log cleaner over this directory's compacted logs. */
  readonly cleaner: LogCleaner;

  private constructor(
    readonly dataDir: string,
    private readonly cleanShutdown: boolean,
    private readonly recoveryPoints: Map<string, number>,
    private readonly logStarts: Map<string, number>,
    private readonly cleanerCheckpoints: Map<string, number>,
    private readonly fs: FileSystem,
    private readonly options: LogManagerOptions,
  ) {
    this.handles = new HandleCache(fs, options.maxOpenFiles ?? 1000);
    this.dirSync = new GroupCommit(async (issued) => {
      issued(this.dirChanges);
      await fs.syncDir(dataDir);
    });
    this.deletions = new PendingDeletions(fs, options.fileDeleteDelayMs ?? 60_000, options.scheduler ?? systemDeletionScheduler, options.onDeleteError ?? (() => undefined));
    this.cleaner = new LogCleaner(() => this.logs.values(), { ...DEFAULT_CLEANER_SETTINGS, ...options.cleaner }, { ...options.cleanerEvents, afterPass: () => this.checkpoint() });
  }

  static async open(dataDir: string, options: LogManagerOptions = {}): Promise<LogManager> {
    const fs = options.fs ?? nodeFileSystem;
    await fs.mkdir(dataDir);
    const dirs = (await fs.readdir(dataDir)).filter((d) => d.isDirectory).map((d) => d.name);
    const marker = join(dataDir, CLEAN_SHUTDOWN_FILE);
    const clean = await exists(fs, marker);
    if (clean) {
      // The marker goes before anything is written: a crash from here on is an unclean stop.
      await fs.unlink(marker);
      await fs.syncDir(dataDir);
    }
    // A directory that never held logs has nothing to recover.
    const fresh = !clean && !(await exists(fs, join(dataDir, RECOVERY_POINT_FILE))) && !dirs.some((n) => parsePartitionDirName(n) !== null);
    // Entries for directories that are gone are dropped: such a partition starts empty at 0, as
    // Kafka creates a missing log, rather than at offsets describing data that no longer exists.
    const present = new Set(dirs);
    const onDisk = (m: Map<string, number>) => new Map([...m].filter(([name]) => present.has(name)));
    const manager = new LogManager(
      dataDir,
      clean || fresh,
      onDisk(await readOffsetCheckpoint(fs, dataDir, RECOVERY_POINT_FILE)),
      onDisk(await readOffsetCheckpoint(fs, dataDir, LOG_START_FILE)),
      onDisk(await readOffsetCheckpoint(fs, dataDir, CLEANER_FILE)),
      fs,
      options,
    );
    // Deletions pending at the last stop: nothing can still read these, so they go at once.
    for (const name of dirs) if (name.endsWith(DELETE_DIR_SUFFIX)) manager.deletions.add(join(dataDir, name), true);
    return manager;
  }

  get wasCleanShutdown(): boolean {
    return this.cleanShutdown;
  }

  /**
   * Opens (creating when needed) the log of one partition for `owner`; the same log while it stays
   * open. Without an owner the directory is taken as it is (storage tests, benchmarks).
   */
  openLog(topic: string, partition: number, config: LogConfig, owner?: LogOwner): Promise<DiskLog> {
    const name = partitionDirName(topic, partition);
    const open = this.logs.get(name);
    if (open) {
      if (open.topicId === (owner?.topicId ?? null)) return Promise.resolve(open.log);
      return Promise.reject(new Error(`${name} is open for topic id ${open.topicId}, not ${owner?.topicId}`));
    }
    const inFlight = this.opening.get(name);
    if (inFlight) return inFlight;
    const opening = this.openDir(topic, partition, name, config, owner).finally(() => this.opening.delete(name));
    this.opening.set(name, opening);
    return opening;
  }

  private async openDir(topic: string, partition: number, name: string, config: LogConfig, owner: LogOwner | undefined): Promise<DiskLog> {
    const dir = join(this.dataDir, name);
    // The checkpoints name the log that was here at the last stop: their offsets are used once, and
    // never for a new partition (they would start a recreated topic at the old log start offset).
    const checkpointed = { recoveryPoint: this.recoveryPoints.get(name) ?? 0, logStartOffset: this.logStarts.get(name) ?? 0, cleanerCheckpoint: this.cleanerCheckpoints.get(name) };
    this.forgetCheckpoints(name);
    const { recoveryPoint, logStartOffset, cleanerCheckpoint, listing } = owner ? await this.claimDir(topic, partition, name, dir, owner, checkpointed) : { ...checkpointed, listing: undefined };
    let opened: DiskLog | null = null;
    const log = await DiskLog.open({
      dir,
      config,
      handles: this.handles,
      now: this.options.now ?? Date.now,
      recoveryPoint,
      logStartOffset,
      cleanShutdown: this.cleanShutdown,
      cleanerCheckpoint,
      listing,
      onDestroy: () => {
        if (opened && this.logs.get(name)?.log === opened) this.logs.delete(name);
      },
      onOffline: (err) => this.options.onOffline?.(topic, partition, err),
    });
    opened = log;
    this.logs.set(name, { topic, partition, topicId: owner?.topicId ?? null, log });
    return log;
  }

  /**
   * Makes `dir` the directory of `owner`'s partition: one written for another topic id, or any
   * existing one when the partition is new, is set aside first. Returns the offsets to open with,
   * and the directory's listing as left (null when there is none), which the log's open then uses:
   * one directory read per partition, and no read of a partition.metadata that is not there.
   */
  private async claimDir(
    topic: string,
    partition: number,
    name: string,
    dir: string,
    owner: LogOwner,
    checkpointed: Checkpointed,
  ): Promise<Checkpointed & { listing: DirEntry[] | null }> {
    let listing = await readdirOrNull(this.fs, dir);
    const existed = listing !== null;
    const recorded = listing?.some((e) => e.name === PARTITION_METADATA_FILE) ? await readPartitionTopicId(this.fs, dir) : null;
    const older = owner.create ? existed : recorded !== null && recorded !== owner.topicId;
    if (older) await this.setAside(name, topic, partition, owner.create ? 'delete' : 'stray', owner.create ? 'left by an older topic of this name' : `written for topic id ${recorded}, not ${owner.topicId}`);
    if (older || recorded !== owner.topicId) {
      if (older || !existed) {
        await this.fs.mkdir(dir);
        // Made durable with the other creations of the batch (syncCreated), not one fsync each.
        this.dirChanges++;
        listing = [];
      }
      await writePartitionTopicId(this.fs, dir, owner.topicId);
      if (!listing?.some((e) => e.name === PARTITION_METADATA_FILE)) listing = [...(listing ?? []), { name: PARTITION_METADATA_FILE, isDirectory: false }];
    }
    return owner.create || older ? { recoveryPoint: 0, logStartOffset: 0, cleanerCheckpoint: undefined, listing } : { ...checkpointed, listing };
  }

  /**
   * Makes the directories of partitions created so far durable: one fsync of the data directory
   * for many creations. Call it before records can reach them (before a new partition is shown),
   * so a crash never loses a directory holding acknowledged records.
   */
  syncCreated(): Promise<void> {
    return this.dirSync.sync(this.dirChanges);
  }

  get(topic: string, partition: number): DiskLog | undefined {
    return this.logs.get(partitionDirName(topic, partition))?.log;
  }

  /**
   * Closes the logs of `partitions` without flushing them (their data is going) and renames their
   * directories to Kafka's `-delete` names for the background deleter; the checkpoints are
   * rewritten without them. Every partition is tried; the first failure is rethrown at the end.
   */
  async deleteLogs(topic: string, partitions: readonly number[]): Promise<void> {
    const errors: unknown[] = [];
    await forEachBounded(partitions, DELETE_CONCURRENCY, async (p) => {
      const name = partitionDirName(topic, p);
      await this.opening.get(name)?.catch(() => undefined);
      const e = this.logs.get(name);
      this.logs.delete(name);
      this.forgetCheckpoints(name);
      try {
        await e?.log.discard();
      } catch (err) {
        errors.push(err);
      }
      try {
        await this.setAside(name, topic, p, 'delete', 'deleted');
      } catch (err) {
        errors.push(err);
      }
    });
    await this.dirSync.sync(this.dirChanges);
    await this.checkpoint();
    if (errors.length > 0) throw errors[0];
  }

  /**
   * After every partition of the topic table is open: renames aside the partition directories no
   * open log owns (Kafka's stray logs), so no later topic of their name takes their data. One that
   * holds no records, or was written for a known topic (a partition whose creation did not finish),
   * is deleted; any other keeps its data under a `-stray` name for an operator. Returns the new names.
   */
  async setAsideUnowned(knownTopicIds: ReadonlySet<string>): Promise<string[]> {
    const moved: string[] = [];
    for (const d of await this.fs.readdir(this.dataDir)) {
      const parsed = d.isDirectory ? parsePartitionDirName(d.name) : null;
      if (!parsed || this.logs.has(d.name) || this.opening.has(d.name)) continue;
      const dir = join(this.dataDir, d.name);
      const names = (await this.fs.readdir(dir)).map((e) => e.name);
      const segments = segmentBaseOffsets(names);
      if (segments.length === 0 && !names.includes(PARTITION_METADATA_FILE)) continue; // not a partition directory
      const recorded = await readPartitionTopicId(this.fs, dir);
      const sizes = await Promise.all(segments.map(async (base) => (await this.fs.stat(logFile(dir, base))).size));
      const empty = sizes.every((size) => size === 0);
      const ours = recorded !== null && knownTopicIds.has(recorded);
      const to = await this.setAside(d.name, parsed.topic, parsed.partition, empty || ours ? 'delete' : 'stray', ours ? 'a partition whose creation did not finish' : 'no topic of the topic table owns it');
      if (to) moved.push(to);
    }
    if (moved.length > 0) await this.dirSync.sync(this.dirChanges);
    return moved;
  }

  /** Renames a partition directory aside; returns the new name, or null when there was none. */
  private async setAside(name: string, topic: string, partition: number, kind: 'delete' | 'stray', reason: string): Promise<string | null> {
    const from = join(this.dataDir, name);
    const to = kind === 'delete' ? deleteDirName(topic, partition) : strayDirName(topic, partition);
    try {
      await this.fs.rename(from, join(this.dataDir, to));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    this.dirChanges++;
    await this.handles.closeUnder(from);
    if (kind === 'delete') this.deletions.add(join(this.dataDir, to));
    if (reason !== 'deleted') this.options.onSetAside?.(name, to, reason);
    return to;
  }

  /** The checkpointed offsets of a partition name, used once: by the log opened first, or by none once deleted. */
  private forgetCheckpoints(name: string): void {
    this.recoveryPoints.delete(name);
    this.logStarts.delete(name);
    this.cleanerCheckpoints.delete(name);
  }

  /**
   * Writes the recovery points, log start offsets and cleaner checkpoints of every open log (one
   * at a time), and keeps those read at start for partitions not opened yet: a checkpoint taken
   * while a start is still opening partitions must not forget them (their log start offsets are
   * what keeps deleted records deleted).
   */
  checkpoint(): Promise<void> {
    const run = this.checkpointQueue.then(async () => {
      const all = [...this.logs.values()];
      const open = (f: (e: (typeof all)[number]) => number) => all.map((e) => ({ topic: e.topic, partition: e.partition, offset: f(e) }));
      await writeOffsetCheckpoint(this.fs, this.dataDir, RECOVERY_POINT_FILE, [...open((e) => e.log.recoveryPoint), ...notOpened(this.recoveryPoints)]);
      await writeOffsetCheckpoint(this.fs, this.dataDir, LOG_START_FILE, [...open((e) => e.log.logStartOffset), ...notOpened(this.logStarts)]);
      const compacted = all.filter((e) => e.log.config.compact);
      await writeOffsetCheckpoint(this.fs, this.dataDir, CLEANER_FILE, [...compacted.map((e) => ({ topic: e.topic, partition: e.partition, offset: e.log.cleanerCheckpoint })), ...notOpened(this.cleanerCheckpoints)]);
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

  /**
   * Stops the cleaner (a pass in progress is aborted and waited for) and the deleter, flushes and
   * closes every log, writes checkpoints and the clean-shutdown marker.
   */
  async close(): Promise<void> {
    await this.cleaner.stop();
    await this.deletions.stop();
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

/**
 * Checkpointed offsets still waiting for their partition to open (opening or deleting a partition
 * takes its entries out), as checkpoint-file entries.
 */
function notOpened(byName: Map<string, number>): { topic: string; partition: number; offset: number }[] {
  const out: { topic: string; partition: number; offset: number }[] = [];
  for (const [name, offset] of byName) {
    const id = parsePartitionDirName(name);
    if (id) out.push({ ...id, offset });
  }
  return out;
}
