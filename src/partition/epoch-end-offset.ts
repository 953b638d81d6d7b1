/**
 * A leader's answer to OffsetForLeaderEpoch (Kafka's Partition.lastOffsetForLeaderEpoch over
 * LeaderEpochFileCache.endOffsetFor, KIP-101/KIP-279): where the requested epoch ended in this log.
 */
import { endOffsetFor, type EpochEndOffset } from '../storage/leader-epoch-cache.js';
import type { Partition } from './partition.js';

/**
 * Kafka notes a leader's epoch at its log end when it becomes leader, before any batch carries it,
 * so the current epoch is always the latest one known. A log whose latest epoch is older has had
 * no append since the partition's epoch rose: the current epoch is counted as beginning at the end.
 */
export function epochEndOffset(p: Partition, requestedEpoch: number): EpochEndOffset {
  const epochs = p.log.leaderEpochs;
  const latest = epochs[epochs.length - 1]?.epoch ?? -1;
  const known = p.isLeader && p.leaderEpoch > latest ? [...epochs, { epoch: p.leaderEpoch, startOffset: p.logEndOffset }] : epochs;
  return endOffsetFor(known, requestedEpoch, p.logEndOffset);
}
