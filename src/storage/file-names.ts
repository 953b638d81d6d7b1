/**
 * Kafka's on-disk names: one directory per partition, `<topic>-<partition>`, holding segments
 * named by their base offset in 20 digits:
 *
 *   00000000000000000000.log        record batches exactly as produced, base offsets assigned
 *   00000000000000000000.index      sparse offset index (see offset-index.ts)
 *   00000000000000000000.timeindex  sparse time index (see time-index.ts)
 *   00000000000000000000.txnindex   transactions aborted by markers in the segment (see txn-index.ts);
 *                                   absent while the segment has none
 *   leader-epoch-checkpoint         leader epoch -> first offset (see checkpoints.ts)
 *   partition.metadata              the topic id the directory belongs to (see partition-metadata.ts)
 *   00000000000000000000.snapshot   producer state as of that log end offset (partition/producer-snapshot.ts);
 *                                   the log removes those past its end when it is truncated
 *
 * A partition directory set aside is renamed, as Kafka does, to
 * `<topic>-<partition>.<32 hex digits>-delete` (removed in the background, see pending-deletions.ts)
 * or `…-stray` (kept for an operator: data no known topic owns). The topic is shortened when needed
 * so the name stays within 255 characters. Neither kind is ever opened as a partition.
 *
 * Compaction's passing names (see segment-swap.ts): a cleaned segment is written as
 * `<base>.log.cleaned`, renamed to `<base>.log.swap` once complete and fsynced, then renamed over
 * `<base>.log`. A `.cleaned` file found at open is unfinished and removed; a `.swap` file is
 * complete, and recovery finishes its swap.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';

export const DELETE_DIR_SUFFIX = '-delete';
export const STRAY_DIR_SUFFIX = '-stray';
const MAX_FILE_NAME = 255;

export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

function setAsideDirName(topic: string, partition: number, suffix: string): string {
  const tail = `-${partition}.${randomUUID().replaceAll('-', '')}${suffix}`;
  return `${topic.slice(0, MAX_FILE_NAME - tail.length)}${tail}`;
}

/** Kafka's name for a partition directory waiting to be deleted. */
export function deleteDirName(topic: string, partition: number): string {
  return setAsideDirName(topic, partition, DELETE_DIR_SUFFIX);
}

/** Kafka's name for a partition directory no topic owns, kept rather than deleted. */
export function strayDirName(topic: string, partition: number): string {
  return setAsideDirName(topic, partition, STRAY_DIR_SUFFIX);
}

/** The topic and partition of a live partition directory's name (`<topic>-<digits>`), or null. */
export function parsePartitionDirName(name: string): { topic: string; partition: number } | null {
  const m = /^(.+)-(\d+)$/.exec(name);
  if (!m) return null;
  const partition = Number(m[2]);
  return Number.isSafeInteger(partition) && partition <= 0x7fffffff ? { topic: m[1], partition } : null;
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

/**
 * The offset a producer snapshot sidecar (`<20 digits>.snapshot`) stands for, or null for any other
 * name. Such a file describes the log as it ended at that offset, so a truncation below it drops it.
 */
export function snapshotSidecarOffset(name: string): number | null {
  return /^\d{20}\.snapshot$/.test(name) ? Number(name.slice(0, 20)) : null;
}

/** The sidecars among `names` describing a log that reached past `end`. */
export function sidecarsPast(names: Iterable<string>, end: number): string[] {
  return [...names].filter((n) => (snapshotSidecarOffset(n) ?? -1) > end);
}
