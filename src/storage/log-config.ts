/** A partition log's settings (mapped from Kafka's topic configs in broker/storage.ts) and how a log is opened. */
import type { HandleCache } from './handle-cache.js';
import type { DirEntry } from './file-system.js';

export interface LogConfig {
  segmentBytes: number;
  segmentMs: number;
  segmentIndexBytes: number;
  indexIntervalBytes: number;
  retentionMs: number;
  retentionBytes: number;
  /** 1: acknowledge only fsynced writes (group commit). More: fsync every N messages in the background. */
  flushMessages: number;
  flushMs: number;
  /** cleanup.policy includes compact. */
  compact: boolean;
  deleteRetentionMs: number;
  minCleanableDirtyRatio: number;
  minCompactionLagMs: number;
  maxCompactionLagMs: number;
  /** producer.id.expiration.ms: compaction keeps a producer's last batch until then (record-filter.ts). */
  producerIdExpirationMs: number;
}

export const DEFAULT_LOG_CONFIG: LogConfig = {
  segmentBytes: 1 << 30,
  segmentMs: 7 * 24 * 3600 * 1000,
  segmentIndexBytes: 10 * 1024 * 1024,
  indexIntervalBytes: 4096,
  retentionMs: 7 * 24 * 3600 * 1000,
  retentionBytes: -1,
  flushMessages: 1,
  flushMs: Number.MAX_SAFE_INTEGER,
  compact: false,
  deleteRetentionMs: 24 * 3600 * 1000,
  minCleanableDirtyRatio: 0.5,
  minCompactionLagMs: 0,
  maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
  producerIdExpirationMs: 24 * 3600 * 1000,
};

export interface OpenOptions {
  dir: string;
  config: LogConfig;
  handles: HandleCache;
  now: () => number;
  /** Offsets below this were on disk at the last checkpoint; recovery scans from here. */
  recoveryPoint: number;
  logStartOffset: number;
  /** The previous shutdown was clean: no scan needed. */
  cleanShutdown: boolean;
  /** Where the last compaction pass stopped (cleaner-offset-checkpoint); the log start when absent. */
  cleanerCheckpoint?: number;
  /**
   * The partition directory's listing when the caller has just read it (null: the directory does
   * not exist), so opening costs no second read of it; read here when not given.
   */
  listing?: DirEntry[] | null;
  /** Called when the log is destroyed (its owner forgets it). */
  onDestroy?: () => void;
  /** Called once when an I/O error takes the log offline (the owner logs it). */
  onOffline?: (err: unknown) => void;
}
