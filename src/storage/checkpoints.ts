/**
 * Kafka's checkpoint files, plain text, replaced atomically (write, fsync, rename, fsync dir):
 *
 *   <log dir>/recovery-point-offset-checkpoint   0 \n <count> \n <topic> <partition> <offset> \n …
 *   <log dir>/log-start-offset-checkpoint        same layout, the log start offsets
 *   <partition dir>/leader-epoch-checkpoint      0 \n <count> \n <epoch> <start offset> \n …
 *   <log dir>/.kafka_cleanshutdown               present after a clean shutdown, removed at start
 */
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';

export const RECOVERY_POINT_FILE = 'recovery-point-offset-checkpoint';
export const LOG_START_FILE = 'log-start-offset-checkpoint';
export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';
const EPOCH_FILE = 'leader-epoch-checkpoint';

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

async function readLines(path: string): Promise<string[] | null> {
  try {
    return (await readFile(path, 'utf8')).split('\n').filter((l) => l.trim() !== '');
  } catch {
    return null;
  }
}

function entriesOf(lines: string[] | null): string[][] {
  if (!lines || lines[0] !== '0') return [];
  const count = Number(lines[1]);
  return lines.slice(2, 2 + count).map((l) => l.trim().split(/\s+/));
}

/** Reads an offsets checkpoint: "topic-partition" directory name -> offset. */
export async function readOffsetCheckpoint(dir: string, file: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const parts of entriesOf(await readLines(join(dir, file)))) {
    if (parts.length === 3 && /^\d+$/.test(parts[1]) && /^-?\d+$/.test(parts[2])) out.set(`${parts[0]}-${parts[1]}`, Number(parts[2]));
  }
  return out;
}

export async function writeOffsetCheckpoint(dir: string, file: string, offsets: { topic: string; partition: number; offset: number }[]): Promise<void> {
  const lines = ['0', String(offsets.length), ...offsets.map((o) => `${o.topic} ${o.partition} ${o.offset}`)];
  await writeAtomically(join(dir, file), lines.join('\n') + '\n');
}

export async function readLeaderEpochs(partitionDir: string): Promise<EpochEntry[]> {
  return entriesOf(await readLines(join(partitionDir, EPOCH_FILE)))
    .filter((p) => p.length === 2)
    .map(([epoch, startOffset]) => ({ epoch: Number(epoch), startOffset: Number(startOffset) }));
}

export async function writeLeaderEpochs(partitionDir: string, epochs: EpochEntry[]): Promise<void> {
  const lines = ['0', String(epochs.length), ...epochs.map((e) => `${e.epoch} ${e.startOffset}`)];
  await writeAtomically(join(partitionDir, EPOCH_FILE), lines.join('\n') + '\n');
}
