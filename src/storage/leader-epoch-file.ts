/**
 * A disk log's leader epoch cache (leader-epoch-cache.ts) and its leader-epoch-checkpoint file
 * (format in checkpoints.ts): every change to the cache is written to the file, atomically.
 */
import type { FileSystem } from './file-system.js';
import { readLeaderEpochs, writeLeaderEpochs } from './checkpoints.js';
import { LeaderEpochCache, type EpochEndOffset, type EpochEntry } from './leader-epoch-cache.js';

export class LeaderEpochFile {
  private constructor(
    private readonly fs: FileSystem,
    private readonly dir: string,
    private readonly cache: LeaderEpochCache,
  ) {}

  /**
   * The epochs of a log opened with offsets `start`..`end`: the file may hold epochs a crash cut
   * from the log, or older than its start; they are trimmed and the file rewritten, as Kafka's
   * log load does (an entry left past the end would later claim offsets appended at another epoch).
   * An empty log keeps none (a crash after a restart's segments went, before its file was cleared).
   * `present`: false when the directory's listing showed no file, which is then not read.
   */
  static async load(fs: FileSystem, dir: string, start: number, end: number, present = true): Promise<LeaderEpochFile> {
    const file = new LeaderEpochFile(fs, dir, new LeaderEpochCache(present ? await readLeaderEpochs(fs, dir) : []));
    const trimmedEnd = start >= end ? file.cache.clear() : file.cache.truncateFromEnd(end);
    if (file.cache.truncateFromStart(start) || trimmedEnd) await file.save();
    return file;
  }

  get entries(): readonly EpochEntry[] {
    return this.cache.entries;
  }

  endOffsetFor(epoch: number, logEndOffset: number): EpochEndOffset {
    return this.cache.endOffsetFor(epoch, logEndOffset);
  }

  /** Notes a batch's epoch; returns the file write to run in the log's write order, or null when nothing changed. */
  noteBatch(epoch: number, startOffset: number): (() => Promise<void>) | null {
    if (!this.cache.noteBatch(epoch, startOffset)) return null;
    const snapshot = [...this.cache.entries];
    return () => writeLeaderEpochs(this.fs, this.dir, snapshot);
  }

  async truncateFromEnd(endOffset: number): Promise<void> {
    if (this.cache.truncateFromEnd(endOffset)) await this.save();
  }

  async truncateFromStart(startOffset: number): Promise<void> {
    if (this.cache.truncateFromStart(startOffset)) await this.save();
  }

  async clear(): Promise<void> {
    if (this.cache.clear()) await this.save();
  }

  private save(): Promise<void> {
    return writeLeaderEpochs(this.fs, this.dir, [...this.cache.entries]);
  }
}
