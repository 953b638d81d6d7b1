/**
 * Kafka's on-disk names: one directory per partition, `<topic>-<partition>`, holding segments
 * named by their base offset in 20 digits:
 *
 *   00000000000000000000.log        record batches exactly as produced, base offsets assigned
 *   00000000000000000000.index      sparse offset index (see offset-index.ts)
 *   00000000000000000000.timeindex  sparse time index (see time-index.ts)
 *   leader-epoch-checkpoint         leader epoch -> first offset (see checkpoints.ts)
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

/** Base offsets of the segments in a directory listing, ascending. */
export function segmentBaseOffsets(names: string[]): number[] {
  return names
    .filter((n) => /^\d{20}\.log$/.test(n))
    .map((n) => Number(n.slice(0, 20)))
    .sort((a, b) => a - b);
}
