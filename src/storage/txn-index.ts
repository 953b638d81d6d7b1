/**
 * Kafka's aborted-transaction index, `<20-digit base offset>.txnindex` beside each segment: one
 * entry per transaction aborted by a marker in that segment, in marker order, no header.
 *
 *   version int16 (0) | producer id int64 | first offset int64 | last offset int64 (the ABORT marker)
 *   | last stable offset int64 (the partition's LSO once this transaction ended)
 *
 * A read_committed fetch collects the entries overlapping what it returns (Fetch
 * aborted_transactions), so the consumer can drop the aborted records. The file is small and
 * rare (most segments have none: then there is no file), so it is read whole once and kept.
 * Every append is fsynced before it resolves: the partition acknowledges an ABORT marker only
 * once its entry is durable, so a producer snapshot written after the marker never describes a
 * log whose index lacks it.
 */
import { basename, dirname, join } from 'node:path';
import { readFileOrNull, replaceFileDurably, type FileSystem } from './file-system.js';
import { segmentBaseName } from './file-names.js';

export const ABORTED_TXN_SIZE = 2 + 8 + 8 + 8 + 8;
const VERSION = 0;

export interface AbortedTxn {
  producerId: bigint;
  firstOffset: number;
  lastOffset: number;
  lastStableOffset: number;
}

export function txnIndexFile(dir: string, baseOffset: number): string {
  return join(dir, `${segmentBaseName(baseOffset)}.txnindex`);
}

export function encodeAbortedTxn(t: AbortedTxn): Buffer {
  const b = Buffer.alloc(ABORTED_TXN_SIZE);
  let at = b.writeInt16BE(VERSION, 0);
  at = b.writeBigInt64BE(t.producerId, at);
  at = b.writeBigInt64BE(BigInt(t.firstOffset), at);
  at = b.writeBigInt64BE(BigInt(t.lastOffset), at);
  b.writeBigInt64BE(BigInt(t.lastStableOffset), at);
  return b;
}

/**
 * The whole entries of an index file. A torn tail (a crash mid-append) is left out; an entry of
 * another version, or one no marker could have written (its marker at or before its first offset:
 * the zeros a crash can leave in a file whose size grew before its bytes landed), ends the list.
 */
export function decodeAbortedTxns(b: Buffer): AbortedTxn[] {
  const out: AbortedTxn[] = [];
  for (let at = 0; at + ABORTED_TXN_SIZE <= b.length; at += ABORTED_TXN_SIZE) {
    if (b.readInt16BE(at) !== VERSION) break;
    const t = {
      producerId: b.readBigInt64BE(at + 2),
      firstOffset: Number(b.readBigInt64BE(at + 10)),
      lastOffset: Number(b.readBigInt64BE(at + 18)),
      lastStableOffset: Number(b.readBigInt64BE(at + 26)),
    };
    if (t.lastOffset <= t.firstOffset || t.firstOffset < 0) break;
    out.push(t);
  }
  return out;
}

/** What one segment's index adds to a fetch's aborted transactions; `complete` once no later segment can add more. */
export interface AbortedTxnSearch {
  found: AbortedTxn[];
  complete: boolean;
}

/** Kafka's TransactionIndex.collectAbortedTxns: the entries overlapping [fetchOffset, upperBoundOffset). */
export function collectFrom(entries: readonly AbortedTxn[], fetchOffset: number, upperBoundOffset: number): AbortedTxnSearch {
  const found: AbortedTxn[] = [];
  for (const t of entries) {
    if (t.lastOffset >= fetchOffset && t.firstOffset < upperBoundOffset) found.push(t);
    // The LSO when this one ended was past the bound: every transaction overlapping the range had begun by then and is indexed here or earlier.
    if (t.lastStableOffset >= upperBoundOffset) return { found, complete: true };
  }
  return { found, complete: false };
}

/**
 * Whether `entries` (in marker order) hold `t`'s marker already. Recovery replays every marker
 * since the last producer snapshot, so those before the last entry are often there.
 */
export function isIndexed(entries: readonly AbortedTxn[], t: AbortedTxn): boolean {
  const last = entries[entries.length - 1];
  return last !== undefined && last.lastOffset >= t.lastOffset && entries.some((e) => e.lastOffset === t.lastOffset && e.producerId === t.producerId);
}

/** One segment's aborted-transaction index file. Calls are serialized by the log's write queue. */
export class TransactionIndex {
  private loaded: AbortedTxn[] | null = null;
  private loading: Promise<AbortedTxn[]> | null = null;

  constructor(
    private readonly fs: FileSystem,
    readonly path: string,
  ) {}

  /**
   * The segment has no index file (the directory listing at open said so, or it is new): no read
   * is needed to know it is empty. Consumers read read_committed by default (librdkafka, kafkajs),
   * so every fetch asks each segment from its offset on.
   */
  assumeAbsent(): void {
    this.loaded ??= [];
  }

  /** True when the entries are known and there are none (asking costs nothing). */
  get knownEmpty(): boolean {
    return this.loaded !== null && this.loaded.length === 0;
  }

  /** The entries, read from the file at the first call. */
  entries(): Promise<AbortedTxn[]> {
    if (this.loaded) return Promise.resolve(this.loaded);
    this.loading ??= readFileOrNull(this.fs, this.path).then((b) => {
      this.loaded ??= b === null ? [] : decodeAbortedTxns(b);
      return this.loaded;
    });
    return this.loading;
  }

  /**
   * Appends an entry (its last offset must be above every entry's) and fsyncs it; an entry already
   * there for the same marker changes nothing: recovery replays every marker since the last
   * producer snapshot, and those before the last entry are in the index already.
   */
  async append(t: AbortedTxn): Promise<void> {
    const entries = await this.entries();
    const last = entries[entries.length - 1];
    if (isIndexed(entries, t)) return;
    if (last && last.lastOffset > t.lastOffset) throw new RangeError(`aborted transaction ending at ${t.lastOffset} is below the last one of ${this.path} (${last.lastOffset})`);
    const fh = await this.fs.open(this.path, 'update');
    try {
      // A torn tail left by a crash lies past the entries read: cut first, so nothing of it follows
      // the new entry (cutting after the write could grow the file before its bytes are down).
      const end = entries.length * ABORTED_TXN_SIZE;
      if ((await fh.size()) > end) await fh.truncate(end);
      await fh.write(encodeAbortedTxn(t), 0, ABORTED_TXN_SIZE, end);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    if (entries.length === 0) await this.fs.syncDir(dirname(this.path));
    entries.push({ producerId: t.producerId, firstOffset: t.firstOffset, lastOffset: t.lastOffset, lastStableOffset: t.lastStableOffset });
  }

  /** Drops the entries whose marker is at or after `offset` (the log is cut there). */
  async truncateTo(offset: number): Promise<void> {
    const entries = await this.entries();
    const keep = entries.findIndex((t) => t.lastOffset >= offset);
    if (keep < 0) return;
    entries.splice(keep);
    if (entries.length === 0) {
      await this.fs.unlink(this.path);
      return;
    }
    const fh = await this.fs.open(this.path, 'update');
    try {
      await fh.truncate(entries.length * ABORTED_TXN_SIZE);
      await fh.datasync();
    } finally {
      await fh.close();
    }
  }

  /** Replaces the file with `entries` (a cleaned segment's), durably; none removes it. */
  async replaceWith(entries: readonly AbortedTxn[]): Promise<void> {
    this.loaded = entries.map((t) => ({ ...t }));
    if (entries.length === 0) {
      await this.fs.unlink(this.path);
      return;
    }
    await replaceFileDurably(this.fs, dirname(this.path), basename(this.path), Buffer.concat(entries.map(encodeAbortedTxn)));
  }

  /** Removes the file with its segment. */
  async delete(): Promise<void> {
    this.loaded = [];
    await this.fs.unlink(this.path);
  }
}
