/**
 * The cleaner's map from key to the latest offset of that key in the dirty part of a log, in a
 * fixed amount of memory (as Kafka's SkimpyOffsetMap): keys are not stored, only a 16-byte MD5
 * digest of each, in an open-addressing table allocated once per cleaning pass.
 *
 *   slot (24 bytes): md5(key) 16 bytes | offset + 1 as float64 (an integer below 2^53; 0: empty slot)
 *
 * Two keys with the same digest would share an entry (the
 * older record of one could be removed for the other); with MD5 that is as unlikely as in Kafka.
 * When `isFull`, the caller stops adding keys and cleans only up to `latestOffset`.
 */
import { createHash } from 'node:crypto';

export const OFFSET_MAP_SLOT_BYTES = 24;
const DIGEST_BYTES = 16;

export class OffsetMap {
  private readonly table: Buffer;
  private entries = 0;
  /** Keys the map takes before it counts as full: slots × the load factor (hash collisions grow past it). */
  readonly capacity: number;
  /** The largest offset the map covers: every keyed record up to here is in it. -1 when empty. */
  latestOffset = -1;

  constructor(
    readonly slots: number,
    loadFactor: number,
  ) {
    if (!Number.isInteger(slots) || slots < 2) throw new RangeError(`an offset map needs at least 2 slots, not ${slots}`);
    this.table = Buffer.alloc(slots * OFFSET_MAP_SLOT_BYTES);
    this.capacity = Math.max(1, Math.min(slots - 1, Math.floor(slots * loadFactor)));
  }

  /**
   * A map within `memoryBytes` (log.cleaner.dedupe.buffer.size), no larger than `maxKeys` needs:
   * a dirty range of n offsets holds at most n keys, so a small log never allocates the whole buffer.
   */
  static within(memoryBytes: number, loadFactor: number, maxKeys: number): OffsetMap {
    const bySize = Math.floor(memoryBytes / OFFSET_MAP_SLOT_BYTES);
    const needed = Math.ceil(Math.max(1, maxKeys) / loadFactor) + 1;
    return new OffsetMap(Math.max(2, Math.min(bySize, needed)), loadFactor);
  }

  get size(): number {
    return this.entries;
  }

  get isFull(): boolean {
    return this.entries >= this.capacity;
  }

  get memoryBytes(): number {
    return this.table.length;
  }

  /** Records `offset` as the latest of `key` (later puts of a key replace earlier ones). */
  put(key: Buffer, offset: number): void {
    const digest = digestOf(key);
    for (let attempt = 0; ; attempt++) {
      const slot = this.slotFor(digest, attempt);
      const at = slot * OFFSET_MAP_SLOT_BYTES;
      if (this.isEmpty(at)) {
        if (this.entries >= this.slots - 1) throw new RangeError('the offset map is full');
        digest.copy(this.table, at);
        this.table.writeDoubleBE(offset + 1, at + DIGEST_BYTES);
        this.entries++;
        break;
      }
      if (this.table.compare(digest, 0, DIGEST_BYTES, at, at + DIGEST_BYTES) === 0) {
        this.table.writeDoubleBE(offset + 1, at + DIGEST_BYTES);
        break;
      }
    }
    if (offset > this.latestOffset) this.latestOffset = offset;
  }

  /** The latest offset recorded for `key`, or -1. */
  get(key: Buffer): number {
    const digest = digestOf(key);
    for (let attempt = 0; attempt < this.slots + DIGEST_BYTES; attempt++) {
      const at = this.slotFor(digest, attempt) * OFFSET_MAP_SLOT_BYTES;
      if (this.isEmpty(at)) return -1;
      if (this.table.compare(digest, 0, DIGEST_BYTES, at, at + DIGEST_BYTES) === 0) return this.table.readDoubleBE(at + DIGEST_BYTES) - 1;
    }
    return -1;
  }

  private isEmpty(at: number): boolean {
    return this.table.readDoubleBE(at + DIGEST_BYTES) === 0;
  }

  /** Moves the covered range on past offsets that hold no keys (control batches, gaps). */
  coverUpTo(offset: number): void {
    if (offset > this.latestOffset) this.latestOffset = offset;
  }

  /**
   * The slot of the n-th probe: the first probes take successive 4-byte windows of the digest (a
   * cheap second, third … hash), later ones step linearly from the last window, so every slot is
   * reached in the end.
   */
  private slotFor(digest: Buffer, attempt: number): number {
    const window = Math.min(attempt, DIGEST_BYTES - 4);
    return (digest.readUInt32BE(window) + Math.max(0, attempt - window)) % this.slots;
  }
}

function digestOf(key: Buffer): Buffer {
  return createHash('md5').update(key).digest();
}
