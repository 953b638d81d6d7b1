/**
 * Replacing segments by their cleaned version, crash-safe in Kafka's way (LocalLog.replaceSegments
 * and LogLoader's swap recovery):
 *
 *   1. `<base>.log.cleaned` is written and fsynced (cleaned-segment-writer.ts);
 *   2. it is renamed to `<base>.log.swap` and the directory fsynced: from here the swap is decided;
 *   3. the replaced segments' files are removed (the first one's indexes, the others' logs and
 *      indexes), `<base>.log.swap` is renamed over `<base>.log`, and the directory fsynced.
 *
 * A crash before 2 leaves a `.cleaned` file, removed at open: the old segments stay. A crash after
 * 2 leaves a `.swap` file, complete because it was fsynced before it got that name: recovery
 * removes every segment file whose base offset lies in the swap file's offset range (the replaced
 * segments, which may be half removed) and renames the swap file to `.log`. The names of step 3
 * are made durable by one directory fsync: like the simulated file system of the tests, this
 * relies on a crash keeping a prefix of one directory's name changes, in order (ext4 and XFS
 * journal them in order); a rename that survived implies the removals before it did.
 *
 * Indexes of the new segment are written after the rename (and rebuilt at open when missing), so an
 * index never describes a log file other than its own.
 */
import { join } from 'node:path';
import { BATCH_HEADER_SIZE, BATCH_LOG_OVERHEAD, CURRENT_MAGIC, RecordBatchView } from '../protocol/records/record-batch.js';
import { indexFile, logFile, segmentFiles, swapFile, timeIndexFile } from './file-names.js';
import type { FileSystem } from './file-system.js';

/** Steps 2 and 3 for cleaned data replacing the segments at `oldBaseOffsets` (ascending; the first is the new base). */
export async function swapInCleaned(fs: FileSystem, dir: string, cleanedPath: string, oldBaseOffsets: number[]): Promise<void> {
  const base = oldBaseOffsets[0];
  await fs.rename(cleanedPath, swapFile(dir, base));
  await fs.syncDir(dir);
  await fs.unlink(indexFile(dir, base));
  await fs.unlink(timeIndexFile(dir, base));
  for (const other of oldBaseOffsets.slice(1)) for (const f of segmentFiles(dir, other)) await fs.unlink(f);
  await fs.rename(swapFile(dir, base), logFile(dir, base));
  await fs.syncDir(dir);
}

const SEGMENT_FILE = /^(\d{20})\.(log|index|timeindex)$/;
const SWAP_FILE = /^(\d{20})\.log\.swap$/;

/** Finishes every swap a crash interrupted in `dir` (given its file names); returns how many. */
export async function completeInterruptedSwaps(fs: FileSystem, dir: string, names: string[]): Promise<number> {
  const swaps = names.map((n) => SWAP_FILE.exec(n)).filter((m) => m !== null);
  for (const m of swaps) {
    const base = Number(m[1]);
    const path = join(dir, m[0]);
    const end = Math.max(await nextOffsetOf(fs, path, base), base + 1);
    for (const n of names) {
      const s = SEGMENT_FILE.exec(n);
      if (s && Number(s[1]) >= base && Number(s[1]) < end) await fs.unlink(join(dir, n));
    }
    await fs.rename(path, logFile(dir, base));
  }
  if (swaps.length > 0) await fs.syncDir(dir);
  return swaps.length;
}

/** The offset after the last batch of a (complete, fsynced) swap file, by its batch headers. */
async function nextOffsetOf(fs: FileSystem, path: string, base: number): Promise<number> {
  const f = await fs.open(path, 'read');
  try {
    const size = await f.size();
    const header = Buffer.alloc(BATCH_HEADER_SIZE);
    let next = base;
    for (let position = 0; position + BATCH_HEADER_SIZE <= size; ) {
      const { bytesRead } = await f.read(header, 0, BATCH_HEADER_SIZE, position);
      const view = new RecordBatchView(header);
      const length = view.batchLength + BATCH_LOG_OVERHEAD;
      if (bytesRead < BATCH_HEADER_SIZE || view.magic !== CURRENT_MAGIC || length < BATCH_HEADER_SIZE) break;
      next = Number(view.lastOffset) + 1;
      position += length;
    }
    return next;
  } finally {
    await f.close();
  }
}
