/**
 * A follower's connection to a leader broker, for the replica fetcher: the leader's endpoint from
 * the cluster view, one connection opened on first use and again after it fails or its SASL
 * session nears its end, each request bounded by replica.socket.timeout.ms. It tells `events` when it reaches the leader and when a
 * connection fails, which is how a crashed leader is noticed early (peer-crash-detector.ts).
 */
import type { KafkaConnection } from '../client/kafka-connection.js';
import type { PeerConnector } from './peer-connector.js';
import type { ClusterView } from '../metadata/cluster-view.js';
import type { FetchResponse, ListOffsetsResponse, OffsetForLeaderEpochResponse } from '../protocol/generated/index.js';
import type { FetchedRecords, FollowerFetch, LeaderLink } from '../partition/replica-fetcher.js';
import { processReadBuffers } from '../storage/read-buffers.js';
import { ErrorCode, KafkaError } from '../protocol/error-codes.js';
import type { PeerLinkEvents } from './peer-crash-detector.js';

const FETCH = 1;
const LIST_OFFSETS = 2;
const OFFSET_FOR_LEADER_EPOCH = 23;
/** Topic names (v12: the last before topic ids), the replica id in the request's top level. */
const FETCH_VERSION = 12;
const LIST_OFFSETS_VERSION = 7;
const OFFSET_FOR_LEADER_EPOCH_VERSION = 4;
const EARLIEST = -2n;

export function leaderLinkFactory(view: ClusterView, peers: PeerConnector, nodeId: number, socketTimeoutMs: number, events: PeerLinkEvents): (leaderId: number) => LeaderLink | null {
  return (leaderId) => (view.broker(leaderId) ? new BrokerLink(peers, leaderId, nodeId, socketTimeoutMs, events) : null);
}

class BrokerLink implements LeaderLink {
  private connection: Promise<KafkaConnection> | null = null;
  private closed = false;

  constructor(
    private readonly peers: PeerConnector,
    private readonly leaderId: number,
    private readonly nodeId: number,
    private readonly timeoutMs: number,
    private readonly events: PeerLinkEvents,
  ) {}

  private connect(): Promise<KafkaConnection> {
    if (this.closed) return Promise.reject(new Error('the link is closed'));
    const endpoint = this.peers.endpoint(this.leaderId);
    if (!endpoint) return Promise.reject(new KafkaError(ErrorCode.BROKER_NOT_AVAILABLE, `broker ${this.leaderId} is not registered with a ${this.peers.listenerName} listener`));
    // Fetch answers are cut into pooled memory and given back once appended (ReplicaFetcher): a
    // follower copying hundreds of MB/s then makes no megabyte of garbage per answer.
    const opening = this.peers.open(endpoint, this.timeoutMs, `tributary-replica-${this.nodeId}`, processReadBuffers);
    this.connection = opening;
    opening.then(
      () => this.events.reached(this.leaderId),
      () => {
        if (this.connection === opening) this.connection = null;
        if (!this.closed) this.events.lost(this.leaderId);
      },
    );
    return opening;
  }

  private request<T>(apiKey: number, version: number, body: unknown, timeoutMs: number): Promise<T> {
    return this.over((conn) => conn.request<T>(apiKey, version, body, timeoutMs));
  }

  /** Runs `call` on the open connection (opening one first if needed); a failure closes it. */
  private async over<T>(call: (conn: KafkaConnection) => Promise<T>): Promise<T> {
    let conn = await (this.connection ?? this.connect());
    if (conn.sessionEnding) conn.closeWhenIdle();
    if (conn.isClosed || conn.sessionEnding) conn = await this.connect();
    if (this.closed) conn.close();
    try {
      return await call(conn);
    } catch (err) {
      if (this.connection && (await this.connection.catch(() => null)) === conn) this.connection = null;
      conn.close();
      if (!this.closed) this.events.lost(this.leaderId);
      throw err;
    }
  }

  async fetch(f: FollowerFetch): Promise<FetchedRecords> {
    const byTopic = new Map<string, FollowerFetch['partitions'][number][]>();
    for (const p of f.partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p]);
    const forgotten = new Map<string, number[]>();
    for (const p of f.forgotten) forgotten.set(p.topic, [...(forgotten.get(p.topic) ?? []), p.partition]);
    const body = {
      replicaId: f.replicaId,
      maxWaitMs: f.maxWaitMs,
      minBytes: f.minBytes,
      maxBytes: f.maxBytes,
      isolationLevel: 0,
      sessionId: f.sessionId,
      sessionEpoch: f.sessionEpoch,
      topics: [...byTopic].map(([topic, parts]) => ({
        topic,
        partitions: parts.map((p) => ({ partition: p.partition, currentLeaderEpoch: p.currentLeaderEpoch, fetchOffset: BigInt(p.fetchOffset), logStartOffset: BigInt(p.logStartOffset), partitionMaxBytes: p.maxBytes })),
      })),
      forgottenTopicsData: [...forgotten].map(([topic, partitions]) => ({ topic, partitions })),
    };
    const answer = await this.over((conn) => conn.requestLent<FetchResponse>(FETCH, FETCH_VERSION, body, this.timeoutMs + f.maxWaitMs));
    return { response: answer.body, release: answer.release };
  }

  offsetsForLeaderEpoch(partitions: readonly { topic: string; partition: number; currentLeaderEpoch: number; leaderEpoch: number }[]): Promise<OffsetForLeaderEpochResponse> {
    const byTopic = new Map<string, { partition: number; currentLeaderEpoch: number; leaderEpoch: number }[]>();
    for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), { partition: p.partition, currentLeaderEpoch: p.currentLeaderEpoch, leaderEpoch: p.leaderEpoch }]);
    const body = { replicaId: this.nodeId, topics: [...byTopic].map(([topic, parts]) => ({ topic, partitions: parts })) };
    return this.request<OffsetForLeaderEpochResponse>(OFFSET_FOR_LEADER_EPOCH, OFFSET_FOR_LEADER_EPOCH_VERSION, body, this.timeoutMs);
  }

  async logStartOffset(topic: string, partition: number, currentLeaderEpoch: number): Promise<number> {
    const body = { replicaId: this.nodeId, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch, timestamp: EARLIEST }] }] };
    const response = await this.request<ListOffsetsResponse>(LIST_OFFSETS, LIST_OFFSETS_VERSION, body, this.timeoutMs);
    const answer = response.topics[0]?.partitions[0];
    if (!answer || answer.errorCode !== ErrorCode.NONE) throw new KafkaError(answer?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR, `ListOffsets for ${topic}-${partition} at broker ${this.leaderId} failed`);
    return Number(answer.offset);
  }

  close(): void {
    this.closed = true;
    void this.connection?.then((c) => c.close(), () => undefined);
    this.connection = null;
  }
}
