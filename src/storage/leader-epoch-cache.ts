/**
 * A partition's leader epochs and the offset each began at (Kafka's LeaderEpochFileCache), kept
 * in memory by both logs; the disk log persists it as leader-epoch-checkpoint (checkpoints.ts).
 * Entries are ordered by epoch and by start offset alike. Every method that changes the cache
 * says whether it did, so the disk log rewrites its file only then.
 */
import type { EpochEntry } from './checkpoints.js';

export type { EpochEntry } from './checkpoints.js';

/** Kafka's UNDEFINED_EPOCH and UNDEFINED_EPOCH_OFFSET: the answer when nothing is known. */
export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

export interface EpochEndOffset {
  readonly epoch: number;
  readonly endOffset: number;
}

export const UNDEFINED_EPOCH_END: EpochEndOffset = { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };

/**
 * Kafka's endOffsetFor (KIP-101, KIP-279) over `entries`: for the latest epoch the log end offset;
 * otherwise the largest epoch at or below the requested one, ending where the next epoch above
 * it starts. A requested epoch below every known one gets itself and the first known start
 * offset (the data before it is gone: a follower then replicates from there). Undefined for
 * epoch -1, an empty cache, or an epoch above every known one.
 */
export function endOffsetFor(entries: readonly EpochEntry[], requested: number, logEndOffset: number): EpochEndOffset {
  if (requested === UNDEFINED_EPOCH) return UNDEFINED_EPOCH_END;
  const latest = entries[entries.length - 1];
  if (latest && latest.epoch === requested) return { epoch: requested, endOffset: logEndOffset };
  const higher = entries.findIndex((e) => e.epoch > requested);
  if (higher < 0) return UNDEFINED_EPOCH_END;
  const floor = higher === 0 ? null : entries[higher - 1];
  return { epoch: floor ? floor.epoch : requested, endOffset: entries[higher].startOffset };
}

export class LeaderEpochCache {
  private list: EpochEntry[];

  constructor(entries: readonly EpochEntry[] = []) {
    this.list = entries.map((e) => ({ ...e }));
  }

  get entries(): readonly EpochEntry[] {
    return this.list;
  }

  get latestEpoch(): number {
    return this.list[this.list.length - 1]?.epoch ?? UNDEFINED_EPOCH;
  }

  /**
   * Records that `epoch` begins at `startOffset`, as Kafka does for each appended batch whose
   * epoch is above the latest known one (batches without an epoch, -1, are skipped).
   */
  noteBatch(epoch: number, startOffset: number): boolean {
    if (epoch < 0 || epoch <= this.latestEpoch) return false;
    return this.assign(epoch, startOffset);
  }

  /**
   * Kafka's assign: entries that the new one contradicts (an epoch at or above it, or a start
   * offset at or after it) are dropped first, so the cache stays monotonic.
   */
  assign(epoch: number, startOffset: number): boolean {
    const latest = this.list[this.list.length - 1];
    if (latest && latest.epoch === epoch && latest.startOffset <= startOffset) return false;
    this.list = this.list.filter((e) => e.epoch < epoch && e.startOffset < startOffset);
    this.list.push({ epoch, startOffset });
    return true;
  }

  /** Drops the epochs that start at or after `endOffset` (the log was truncated there). */
  truncateFromEnd(endOffset: number): boolean {
    const kept = this.list.filter((e) => e.startOffset < endOffset);
    if (kept.length === this.list.length) return false;
    this.list = kept;
    return true;
  }

  /**
   * The log now starts at `startOffset`: the epochs that began at or before it go, except the last
   * of them, which is moved to begin there (Kafka's truncateFromStart; an entry at the offset stays).
   */
  truncateFromStart(startOffset: number): boolean {
    let covering = -1;
    for (let i = 0; i < this.list.length && this.list[i].startOffset <= startOffset; i++) covering = i;
    if (covering < 0 || (covering === 0 && this.list[0].startOffset === startOffset)) return false;
    this.list = [{ epoch: this.list[covering].epoch, startOffset }, ...this.list.slice(covering + 1)];
    return true;
  }

  clear(): boolean {
    if (this.list.length === 0) return false;
    this.list = [];
    return true;
  }

  endOffsetFor(requested: number, logEndOffset: number): EpochEndOffset {
    return endOffsetFor(this.list, requested, logEndOffset);
  }
}
