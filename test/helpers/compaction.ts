/** Helpers for compaction tests: keyed appends, reading a log back as records, and pausing file calls. */
import { buildBatch, batchesIn, readBatchRecords } from '../../src/protocol/records/batch-records.js';
import type { DiskLog } from '../../src/storage/log.js';
import type { FsCall, SimFileSystem } from './sim-fs.js';

export type Entry = [key: string, value: string | null];
export type StoredRecord = [offset: number, key: string, value: string | null];

/** Appends one batch of keyed records, all at `timestamp`. */
export async function put(log: DiskLog, entries: Entry[], timestamp: number): Promise<{ baseOffset: number; lastOffset: number }> {
  return log.append(await buildBatch(entries.map(([k, v]) => ({ key: Buffer.from(k), value: v === null ? null : Buffer.from(v), timestamp }))), 0, null);
}

/** Every record of the log, in offset order, reading whole batches as a consumer does. */
export async function everything(log: DiskLog): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  let next = log.logStartOffset;
  while (next < log.logEndOffset) {
    const bytes = await log.read(next, 1 << 20, log.logEndOffset, true);
    if (bytes.length === 0) break;
    for (const view of batchesIn(bytes)) {
      if (!view.isCrcValid()) throw new Error(`batch at ${view.baseOffset} fails its CRC`);
      for (const r of await readBatchRecords(view)) if (r.offset >= BigInt(next)) out.push([Number(r.offset), r.key?.toString() ?? '', r.value?.toString() ?? null]);
      next = Number(view.lastOffset) + 1;
    }
  }
  return out;
}

/** The latest value of each key (a tombstone leaves the key out), as a consumer rebuilding a table sees it. */
export function table(records: StoredRecord[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const [, k, v] of records) {
    if (v === null) out.delete(k);
    else out.set(k, v);
  }
  return out;
}

export interface Hold {
  /** Settles when the held call is reached (it is then paused). */
  reached: Promise<void>;
  release(): void;
}

/** Pauses the `nth` (1-based) call that `matches`, until released. */
export function holdCall(fs: SimFileSystem, matches: (call: FsCall, path: string) => boolean, nth = 1): Hold {
  let seen = 0;
  let reached = (): void => undefined;
  let release = (): void => undefined;
  const reachedP = new Promise<void>((r) => (reached = r));
  const released = new Promise<void>((r) => (release = r));
  fs.holdWhen = (call, path) => {
    if (!matches(call, path) || ++seen !== nth) return null;
    reached();
    return released;
  };
  return { reached: reachedP, release };
}

/** Lets `n` event-loop turns pass (a bound in steps of work, not in time). */
export async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
}
