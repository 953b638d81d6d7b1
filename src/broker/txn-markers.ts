/**
 * How the transaction coordinator's markers reach the partitions (Kafka's
 * TransactionMarkerChannelManager): each partition's leader from the cluster view; partitions led
 * here are appended to directly, the others go in one WriteTxnMarkers request per leader. Every
 * failure becomes a per-partition error code the coordinator's marker rounds know how to retry.
 */
import type { ClusterView } from '../metadata/cluster-view.js';
import type { MarkerChannel } from '../coordinator/txn/transaction-coordinator.js';
import type { MarkerResult } from '../coordinator/txn/markers.js';
import type { TopicPartition } from '../coordinator/txn/partition-set.js';
import type { MarkerWork } from '../coordinator/txn/writes.js';
import type { WriteTxnMarkersResponse } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { PeerRequests } from './peer-requests.js';

const WRITE_TXN_MARKERS = 27;
const WRITE_TXN_MARKERS_VERSION = 1;

/** Appends one marker to a partition led here (and waits for its replicas); resolves to the error code. */
export type LocalMarkerWriter = (work: MarkerWork, topic: string, partition: number) => Promise<number>;

export function markerChannel(view: ClusterView, nodeId: number, writeHere: LocalMarkerWriter, peers: PeerRequests): MarkerChannel {
  return {
    async write(work) {
      const results: Promise<MarkerResult[]>[] = [];
      const byLeader = new Map<number, TopicPartition[]>();
      for (const tp of work.partitions) {
        const topic = view.topic(tp.topic);
        const state = topic ? view.partition(topic.topicId, tp.partition) : undefined;
        // A partition the metadata no longer has: its topic was deleted, and so were the records to mark.
        if (!topic || !state) {
          results.push(Promise.resolve([{ ...tp, deleted: true as const }]));
          continue;
        }
        const leader = state.state.leader;
        if (leader === nodeId) results.push(writeHere(work, tp.topic, tp.partition).then((errorCode) => [{ ...tp, errorCode }]));
        else if (leader < 0) results.push(Promise.resolve([{ ...tp, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER }]));
        else byLeader.set(leader, [...(byLeader.get(leader) ?? []), tp]);
      }
      for (const [leader, partitions] of byLeader) results.push(sendTo(peers, leader, work, partitions));
      return (await Promise.all(results)).flat();
    },
  };
}

async function sendTo(peers: PeerRequests, leader: number, work: MarkerWork, partitions: TopicPartition[]): Promise<MarkerResult[]> {
  const byTopic = new Map<string, number[]>();
  for (const tp of partitions) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
  const body = {
    markers: [
      {
        producerId: work.producerId,
        producerEpoch: work.producerEpoch,
        transactionResult: work.committed,
        coordinatorEpoch: work.coordinatorEpoch,
        topics: [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
      },
    ],
  };
  try {
    const response = await peers.request<WriteTxnMarkersResponse>(leader, WRITE_TXN_MARKERS, WRITE_TXN_MARKERS_VERSION, body);
    const answered = new Map<string, number>();
    for (const m of response.markers) for (const t of m.topics) for (const p of t.partitions) answered.set(`${t.name}\u0000${p.partitionIndex}`, p.errorCode);
    // A partition the answer leaves out is sent again.
    return partitions.map((tp) => ({ ...tp, errorCode: answered.get(`${tp.topic}\u0000${tp.partition}`) ?? ErrorCode.NOT_LEADER_OR_FOLLOWER }));
  } catch {
    // The leader could not be reached or did not answer: it may be gone; the next round asks the view again.
    return partitions.map((tp) => ({ ...tp, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER }));
  }
}
