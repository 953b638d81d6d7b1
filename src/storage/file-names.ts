/**
 * Kafka's on-disk names: one directory per partition, `<topic>-<partition>`, holding segments
 * named by their base offset in 20 digits:
 *
 *   00000000000000000000.log        record batches exactly as produced, base offsets assigned
 *   00000000000000000000.index      sparse offset index (see offset-index.ts)
 *   00000000000000000000.timeindex  sparse time index (see time-index.ts)
 *   leader-epoch-checkpoint         leader epoch -> first offset (see checkpoints.ts)
 *
 * Compaction's passing names (see segment-swap.ts): a cleaned segment is written as
 * `<base>.log.cleaned`, renamed to `<base>.log.swap` once complete and fsynced, then renamed over
 * `<base>.log`. A `.cleaned` file found at open is unfinished and removed; a `.swap` file is
 * complete, and recovery finishes its swap.
 */
import { join } from 'node:path';

export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

export function segmentBaseName(baseOffset: number): string {
  return String(baseOffset).padStart(20, '0');
}

export function logFile(dir: string, baseOffset: number): string {
  return join(dir, `${segmentBaseName(baseOffset)}.log`);
}

export function indexFile(dir: string, baseOffset: number): string {
  return join(dir, `${segmentBaseName(baseOffset)}.index`);
}

export function timeIndexFile(dir: string, baseOffset: number): string {
  return join(dir, `${segmentBaseName(baseOffset)}.timeindex`);
}

export function cleanedFile(dir: string, baseOffset: number): string {
  return `${logFile(dir, baseOffset)}.cleaned`;
}

export function swapFile(dir: string, baseOffset: number): string {
  return `${logFile(dir, baseOffset)}.swap`;
}

/** The three files of a segment: its log and its two indexes. */
export function segmentFiles(dir: string, baseOffset: number): string[] {
  return [logFile(dir, baseOffset), indexFile(dir, baseOffset), timeIndexFile(dir, baseOffset)];
}

/** Base offsets of the segments in a directory listing, ascending. */
export function segmentBaseOffsets(names: string[]): number[] {
  return names
    .filter((n) => /^\d{20}\.log$/.test(n))
    .map((n) => Number(n.slice(0, 20)))
    .sort((a, b) => a - b);
}
