/**
 * An append the broker makes on its own behalf with acks=all (coordinator records, transaction
 * markers): on the partition's leader, refused when the ISR is below min.insync.replicas, and
 * done once the high watermark covers it, as Kafka's coordinators append with requiredAcks -1.
 * Failures are KafkaErrors carrying the code a producer would have been answered.
 */
import { ErrorCode, KafkaError } from '../protocol/error-codes.js';
import { waitForHighWatermark } from './delayed-produce.js';
import type { Partition } from './partition.js';
import { partitionKey, type Purgatory } from './purgatory.js';

export interface CommittedAppendOptions {
  readonly purgatory: Purgatory;
  /** How long the in-sync replicas may take to copy it (REQUEST_TIMED_OUT after). */
  readonly timeoutMs: number;
  /** The topic's min.insync.replicas (capped at the replication factor here). */
  readonly minInsyncReplicas: number;
}

/** Runs `append` (which resolves to the offset of the last record it wrote) and waits for its commit. */
export async function appendCommitted(partition: Partition, o: CommittedAppendOptions, append: () => Promise<number>): Promise<void> {
  const tp = `${partition.topic}-${partition.index}`;
  if (!partition.isLeader) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${tp} is led by broker ${partition.leaderId}`);
  const minIsr = Math.min(o.minInsyncReplicas, partition.replicaIds.length);
  if (partition.inSyncReplicas.length < minIsr) throw new KafkaError(ErrorCode.NOT_ENOUGH_REPLICAS, `${tp} has ${partition.inSyncReplicas.length} in-sync replicas, below min.insync.replicas ${minIsr}`);
  const leaderEpoch = partition.leaderEpoch;
  const lastOffset = await append();
  const outcome = await waitForHighWatermark(o.purgatory, {
    key: partitionKey(partition.topic, partition.index),
    highWatermark: () => partition.highWatermark,
    targetOffset: lastOffset + 1,
    isLeader: () => partition.isLeader && partition.leaderEpoch === leaderEpoch,
    timeoutMs: o.timeoutMs,
  });
  if (outcome === 'timeout') throw new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `the in-sync replicas of ${tp} did not copy the append within ${o.timeoutMs} ms`);
  if (outcome !== 'reached') throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${tp} moved before the append was replicated`);
  if (partition.inSyncReplicas.length < minIsr) throw new KafkaError(ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, `the ISR of ${tp} shrank below min.insync.replicas ${minIsr} before the append was replicated`);
}
