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
  /** The partition's leader as this broker knows it (KIP-951 tells the client), -1 when none. */
  readonly leaderId: number;
  readonly leaderEpoch: number;
}

export function leaderPartition(ctx: RequestContext, topic: string, index: number): Partition | NotHere {
  const partition = ctx.broker.replicas.get(topic, index);
  if (partition?.isLeader) return partition;
  const known = ctx.broker.topics.get(topic);
  if (!partition && (!known || index < 0 || index >= known.partitions)) {
    return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `This server does not host ${topic}-${index}.`, leaderId: -1, leaderEpoch: -1 };
  }
  const state = known ? ctx.broker.cluster.partition(known.topicId, index)?.state : undefined;
  const leader = state && state.leader >= 0 && ctx.broker.cluster.isAlive(state.leader) && state.leader !== ctx.broker.nodeId ? state.leader : -1;
  return {
    errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER,
    message: `This broker is not the leader of ${topic}-${index}${leader >= 0 ? `; broker ${leader} is` : ''}.`,
    leaderId: leader,
    leaderEpoch: leader >= 0 && state ? state.leaderEpoch : -1,
  };
}

/** KIP-951: the endpoints of the leaders named in NOT_LEADER_OR_FOLLOWER answers, so the client need not ask Metadata. */
export function leaderEndpoints(ctx: RequestContext, leaderIds: Iterable<number>): { nodeId: number; host: string; port: number; rack: string | null }[] {
  const out = [];
  for (const id of new Set(leaderIds)) {
    const endpoint = id >= 0 ? ctx.broker.cluster.broker(id)?.endpoints.find((e) => e.name === ctx.listenerName) : undefined;
    if (endpoint) out.push({ nodeId: id, host: endpoint.host, port: endpoint.port, rack: ctx.broker.cluster.broker(id)?.rack ?? null });
  }
  return out;
}

export function isNotHere(found: Partition | NotHere): found is NotHere {
  return 'errorCode' in found;
}
