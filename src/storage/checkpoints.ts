/**
 * Kafka's checkpoint files, plain text, replaced atomically (write, fsync, rename, fsync dir):
 *
 *   <log dir>/recovery-point-offset-checkpoint   0 \n <count> \n <topic> <partition> <offset> \n …
 *   <log dir>/log-start-offset-checkpoint        same layout, the log start offsets
 *   <log dir>/cleaner-offset-checkpoint          same layout, where each compacted log's dirty part begins
 *   <partition dir>/leader-epoch-checkpoint      0 \n <count> \n <epoch> <start offset> \n …
 *   <log dir>/.kafka_cleanshutdown               present after a clean shutdown, removed at start
 */
import { join } from 'node:path';
import { readFileOrNull, replaceFileDurably, type FileSystem } from './file-system.js';

export const RECOVERY_POINT_FILE = 'recovery-point-offset-checkpoint';
export const LOG_START_FILE = 'log-start-offset-checkpoint';
export const CLEANER_FILE = 'cleaner-offset-checkpoint';
export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';
export const LEADER_EPOCH_FILE = 'leader-epoch-checkpoint';

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

async function readLines(fs: FileSystem, path: string): Promise<string[] | null> {
  const bytes = await readFileOrNull(fs, path);
  return bytes === null ? null : bytes.toString('utf8').split('\n').filter((l) => l.trim() !== '');
}

function entriesOf(lines: string[] | null): string[][] {
  if (!lines || lines[0] !== '0') return [];
  const count = Number(lines[1]);
  return lines.slice(2, 2 + count).map((l) => l.trim().split(/\s+/));
}

/** Reads an offsets checkpoint: "topic-partition" directory name -> offset. */
export async function readOffsetCheckpoint(fs: FileSystem, dir: string, file: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const parts of entriesOf(await readLines(fs, join(dir, file)))) {
    if (parts.length === 3 && /^\d+$/.test(parts[1]) && /^-?\d+$/.test(parts[2])) out.set(`${parts[0]}-${parts[1]}`, Number(parts[2]));
  }
  return out;
}

export async function writeOffsetCheckpoint(fs: FileSystem, dir: string, file: string, offsets: { topic: string; partition: number; offset: number }[]): Promise<void> {
  const lines = ['0', String(offsets.length), ...offsets.map((o) => `${o.topic} ${o.partition} ${o.offset}`)];
  await replaceFileDurably(fs, dir, file, Buffer.from(lines.join('\n') + '\n'));
}

export async function readLeaderEpochs(fs: FileSystem, partitionDir: string): Promise<EpochEntry[]> {
  return entriesOf(await readLines(fs, join(partitionDir, LEADER_EPOCH_FILE)))
    .filter((p) => p.length === 2)
    .map(([epoch, startOffset]) => ({ epoch: Number(epoch), startOffset: Number(startOffset) }));
}

export async function writeLeaderEpochs(fs: FileSystem, partitionDir: string, epochs: EpochEntry[]): Promise<void> {
  const lines = ['0', String(epochs.length), ...epochs.map((e) => `${e.epoch} ${e.startOffset}`)];
  await replaceFileDurably(fs, partitionDir, LEADER_EPOCH_FILE, Buffer.from(lines.join('\n') + '\n'));
}

