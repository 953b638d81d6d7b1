/**
 * Opening a disk log's directory: created durably when new, segments loaded (and recovered after
 * an unclean stop, see recovery.ts), an empty first segment made when there is none, and the
 * leader epoch file read and trimmed to the log it belongs to.
 */
import { dirname } from 'node:path';
import type { OpenOptions } from './log-config.js';
import { Segment } from './segment.js';
import { recoverSegments, loadSegments } from './recovery.js';
import { LeaderEpochFile } from './leader-epoch-file.js';
import { SidecarFiles } from './sidecar-files.js';
import { readdirOrNull } from './file-system.js';
import { LEADER_EPOCH_FILE } from './checkpoints.js';

export interface OpenedLog {
  segments: Segment[];
  startOffset: number;
  epochs: LeaderEpochFile;
  sidecars: SidecarFiles;
}

export async function openLogDir(o: OpenOptions): Promise<OpenedLog> {
  const fs = o.handles.fs;
  let listing = o.listing === undefined ? await readdirOrNull(fs, o.dir) : o.listing;
  if (listing === null) {
    // The partition directory's own name must be durable before anything in it is acknowledged.
    await fs.mkdir(o.dir);
    await fs.syncDir(dirname(o.dir));
    listing = [];
  }
  const { segments, otherFiles } = await loadSegments(o.dir, listing, o.handles, o.config.indexIntervalBytes, o.now);
  if (!o.cleanShutdown) await recoverSegments(segments, o.recoveryPoint, !o.config.compact);
  if (segments.length === 0) {
    const first = new Segment(o.dir, o.logStartOffset, 0, o.handles, o.config.indexIntervalBytes, o.now());
    first.txnIndex.assumeAbsent();
    await first.preallocateIndexes(o.config.segmentIndexBytes);
    await first.withFile((fh) => fh.sync());
    await fs.syncDir(o.dir);
    segments.push(first);
  }
  const last = segments[segments.length - 1];
  const known = o.recoveryPoint >= last.baseOffset && o.cleanShutdown && last.size > 0 && o.recoveryPoint > 0;
  // After a clean shutdown the recovery point is the log end: the active segment's indexes can
  // wait until the first append or read needs them (Kafka's LazyIndex), which makes opening many
  // partitions cheap. An empty active segment has empty indexes whatever its index files hold
  // (preallocated ones are zeros): they start empty in memory and nothing is read.
  if (known) last.nextOffset = o.recoveryPoint;
  else if (last.size === 0) last.startEmptyIndexes();
  else await last.indexes();
  // A truncation below the checkpointed start (truncateTo) may not have reached the checkpoint.
  const startOffset = Math.min(Math.max(o.logStartOffset, segments[0].baseOffset), last.nextOffset);
  // The listing tells whether the epoch file exists: an absent one costs no failed read.
  const epochs = await LeaderEpochFile.load(fs, o.dir, startOffset, last.nextOffset, otherFiles.includes(LEADER_EPOCH_FILE));
  return { segments, startOffset, epochs, sidecars: new SidecarFiles(fs, o.dir, new Set(otherFiles)) };
}
