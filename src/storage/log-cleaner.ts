/**
 * The broker's log cleaner (Kafka's CleanerThread): repeatedly picks the compacted log most worth
 * cleaning (the highest dirty ratio among those past min.cleanable.dirty.ratio or due by
 * max.compaction.lag.ms), runs one pass on it, and when none is worth it waits
 * log.cleaner.backoff.ms. One pass runs at a time per broker, whatever log.cleaner.threads says
 * (above 0): passes are mostly I/O and run beside appends, and one offset map at a time keeps the
 * cleaner's memory at log.cleaner.dedupe.buffer.size. log.cleaner.threads=0 or
 * log.cleaner.enable=false turns it off.
 *
 * Its one background promise (the running loop) reports every failure through `onError`; stop()
 * aborts a pass in progress at its next step (the cleaned file is discarded, the old segments stay)
 * and waits for it.
 */
import { worthCleaning } from './cleaning-policy.js';
import { DEFAULT_CLEANER_OPTIONS, type CleanerOptions, type CompactionResult } from './compactor.js';
import type { DiskLog } from './log.js';

export interface LogCleanerSettings extends CleanerOptions {
  enabled: boolean;
  backoffMs: number;
}

export const DEFAULT_CLEANER_SETTINGS: LogCleanerSettings = { ...DEFAULT_CLEANER_OPTIONS, enabled: true, backoffMs: 15_000 };

export interface CleanableLog {
  topic: string;
  partition: number;
  log: DiskLog;
}

export interface LogCleanerEvents {
  /** A pass finished (also when it found nothing to remove). */
  onCleaned?: (entry: CleanableLog, result: CompactionResult) => void;
  /** A pass or a choice of log failed; the log is skipped from then on when it went offline or uncleanable. */
  onError?: (entry: CleanableLog | null, err: unknown) => void;
  /** After each pass: the owner saves the cleaner checkpoints. */
  afterPass?: () => Promise<void>;
}

export class LogCleaner {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly abort = new AbortController();

  constructor(
    private readonly logs: () => Iterable<CleanableLog>,
    private readonly settings: LogCleanerSettings,
    private readonly events: LogCleanerEvents = {},
  ) {}

  /** Starts the background loop (a no-op when the cleaner is disabled). */
  start(): void {
    if (this.settings.enabled && !this.timer && !this.running) this.run();
  }

  private run(): void {
    if (this.stopped) return;
    this.running = this.cleanWhileWorthIt()
      .catch((err: unknown) => this.events.onError?.(null, err))
      .finally(() => {
        this.running = null;
        if (this.stopped) return;
        // The backoff timer alone does not keep the process alive.
        this.timer = setTimeout(() => {
          this.timer = null;
          this.run();
        }, this.settings.backoffMs);
        this.timer.unref();
      });
  }

  private async cleanWhileWorthIt(): Promise<void> {
    while (!this.stopped && (await this.cleanFilthiest()) === 'cleaned');
  }

  /**
   * One step of the loop: a pass over the log most worth cleaning. 'idle' when none is;
   * 'stalled' when the pass made no progress (it was stopped, or the log failed).
   */
  async cleanFilthiest(): Promise<'cleaned' | 'idle' | 'stalled'> {
    let best: { entry: CleanableLog; ratio: number } | null = null;
    for (const entry of this.logs()) {
      if (this.stopped) return 'idle';
      const range = await entry.log.cleaningCandidate().catch((err: unknown) => {
        this.events.onError?.(entry, err);
        return null;
      });
      if (!range || !worthCleaning(range, entry.log.config.minCleanableDirtyRatio)) continue;
      if (!best || range.cleanableRatio > best.ratio) best = { entry, ratio: range.cleanableRatio };
    }
    if (!best || this.stopped) return 'idle';
    const { entry } = best;
    let result: CompactionResult | null = null;
    try {
      result = await entry.log.compact({ ...this.settings, signal: this.abort.signal });
      if (result) this.events.onCleaned?.(entry, result);
    } catch (err) {
      this.events.onError?.(entry, err);
    }
    await this.events.afterPass?.().catch((err: unknown) => this.events.onError?.(null, err));
    return result ? 'cleaned' : 'stalled';
  }

  /** Stops the loop; a pass in progress is aborted at its next step and waited for. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.abort.abort();
    await this.running;
  }
}
