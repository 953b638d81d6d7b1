/**
 * The sparse indexes of a segment, kept in memory while the segment is in use and in files so
 * they need not be rebuilt at every start. Both are appended to as batches are appended.
 *
 *   .index       entries of 8 bytes:  relative offset int32 | position int32
 *                (relative offset = batch base offset - segment base offset; position in the .log)
 *   .timeindex   entries of 12 bytes: max timestamp so far int64 | relative offset int32
 *
 * The files are preallocated to segment.index.bytes while the segment is active and trimmed to
 * their entries when it is rolled or closed, as Kafka does. A zero entry past the first is unused
 * space: loading stops there. Entries must increase; an index that does not is rebuilt.
 */

export interface IndexEntry {
  relativeOffset: number;
  position: number;
}

export interface TimeEntry {
  timestamp: number;
  relativeOffset: number;
}

export const OFFSET_ENTRY_SIZE = 8;
export const TIME_ENTRY_SIZE = 12;

export class OffsetIndex {
  readonly entries: IndexEntry[] = [];

  /** Position to start scanning from for `relativeOffset`: the last entry at or below it. */
  lookup(relativeOffset: number): number {
    let lo = 0;
    let hi = this.entries.length - 1;
    let best = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.entries[mid].relativeOffset <= relativeOffset) {
        best = this.entries[mid].position;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best;
  }

  add(relativeOffset: number, position: number): void {
    this.entries.push({ relativeOffset, position });
  }

  /** Drops entries at or past `position` (after a truncation). */
  truncateToPosition(position: number): void {
    while (this.entries.length > 0 && this.entries[this.entries.length - 1].position >= position) this.entries.pop();
  }

  encode(): Buffer {
    const b = Buffer.alloc(this.entries.length * OFFSET_ENTRY_SIZE);
    this.entries.forEach((e, i) => {
      b.writeInt32BE(e.relativeOffset, i * OFFSET_ENTRY_SIZE);
      b.writeInt32BE(e.position, i * OFFSET_ENTRY_SIZE + 4);
    });
    return b;
  }

  /** Reads entries; returns null when they are not strictly increasing or point past `logSize`. */
  static decode(bytes: Buffer, logSize: number): OffsetIndex | null {
    const index = new OffsetIndex();
    for (let at = 0; at + OFFSET_ENTRY_SIZE <= bytes.length; at += OFFSET_ENTRY_SIZE) {
      const relativeOffset = bytes.readInt32BE(at);
      const position = bytes.readInt32BE(at + 4);
      if (at > 0 && relativeOffset === 0 && position === 0) break;
      const last = index.entries[index.entries.length - 1];
      if (position >= logSize || position < 0 || (last && (relativeOffset <= last.relativeOffset || position <= last.position))) return null;
      index.add(relativeOffset, position);
    }
    return index;
  }
}

export class TimeIndex {
  readonly entries: TimeEntry[] = [];

  /** The first entry's offset to scan from for `timestamp`: the last entry with a smaller timestamp. */
  lookup(timestamp: number): number {
    let best = 0;
    for (const e of this.entries) {
      if (e.timestamp < timestamp) best = e.relativeOffset;
      else break;
    }
    return best;
  }

  add(timestamp: number, relativeOffset: number): void {
    const last = this.entries[this.entries.length - 1];
    if (!last || (timestamp > last.timestamp && relativeOffset > last.relativeOffset)) this.entries.push({ timestamp, relativeOffset });
  }

  truncateToOffset(relativeOffset: number): void {
    while (this.entries.length > 0 && this.entries[this.entries.length - 1].relativeOffset >= relativeOffset) this.entries.pop();
  }

  encode(): Buffer {
    const b = Buffer.alloc(this.entries.length * TIME_ENTRY_SIZE);
    this.entries.forEach((e, i) => {
      b.writeBigInt64BE(BigInt(e.timestamp), i * TIME_ENTRY_SIZE);
      b.writeInt32BE(e.relativeOffset, i * TIME_ENTRY_SIZE + 8);
    });
    return b;
  }

  static decode(bytes: Buffer): TimeIndex | null {
    const index = new TimeIndex();
    for (let at = 0; at + TIME_ENTRY_SIZE <= bytes.length; at += TIME_ENTRY_SIZE) {
      const timestamp = Number(bytes.readBigInt64BE(at));
      const relativeOffset = bytes.readInt32BE(at + 8);
      if (at > 0 && timestamp === 0 && relativeOffset === 0) break;
      const last = index.entries[index.entries.length - 1];
      if (last && (timestamp <= last.timestamp || relativeOffset <= last.relativeOffset)) return null;
      index.entries.push({ timestamp, relativeOffset });
    }
    return index;
  }
}
