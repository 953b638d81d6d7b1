/**
 * Finds the partition a client request is for, on its leader: the local partition when this
 * broker leads it, else the error Kafka answers. A partition of a known topic held or led
 * elsewhere is NOT_LEADER_OR_FOLLOWER (the client refreshes its metadata and goes to the leader);
 * one the cluster does not have is UNKNOWN_TOPIC_OR_PARTITION.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import type { Partition } from '../partition/partition.js';
import type { RequestContext } from './handler.js';

export interface NotHere {
  readonly errorCode: number;
  readonly message: string;
}

export function leaderPartition(ctx: RequestContext, topic: string, index: number): Partition | NotHere {
  const partition = ctx.broker.replicas.get(topic, index);
  if (partition?.isLeader) return partition;
  const known = ctx.broker.topics.get(topic);
  if (!partition && (!known || index < 0 || index >= known.partitions)) {
    return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `This server does not host ${topic}-${index}.` };
  }
  const leader = partition?.leaderId ?? (known ? (ctx.broker.cluster.partition(known.topicId, index)?.state.leader ?? -1) : -1);
  return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, message: `This broker is not the leader of ${topic}-${index}${leader >= 0 ? `; broker ${leader} is` : ''}.` };
}

export function isNotHere(found: Partition | NotHere): found is NotHere {
  return 'errorCode' in found;
}
