/**
 * Where a command's requests must go in a cluster, as Kafka's admin client routes them: a group's
 * requests to its coordinator (FindCoordinator), ListOffsets to each partition's leader
 * (Metadata), ListGroups to every broker. Connections beyond the bootstrap one are opened on
 * first use, one per address, and closed with `close()`. A single broker answers all of them
 * itself.
 */
import type { KafkaConnection } from '../client/kafka-connection.js';
import type { FindCoordinatorResponse, ListOffsetsResponse, MetadataResponse } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { check, CliError } from './group-queries.js';

/** Answers to FindCoordinator worth asking again: the offsets topic being created or loaded. */
const COORDINATOR_RETRIABLE: readonly number[] = [ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.NOT_COORDINATOR];
const COORDINATOR_ATTEMPTS = 20;
const COORDINATOR_BACKOFF_MS = 250;

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export class ClusterRoutes {
  private readonly opened = new Map<string, Promise<KafkaConnection>>();

  constructor(
    /** The connection to the broker the user named. */
    readonly bootstrap: KafkaConnection,
    private readonly open: (address: string) => Promise<KafkaConnection>,
  ) {}

  /** A connection to `address` ("host:port"), opened once. */
  at(address: string): Promise<KafkaConnection> {
    let c = this.opened.get(address);
    if (!c) {
      c = this.open(address);
      this.opened.set(address, c);
      c.catch(() => this.opened.delete(address));
    }
    return c;
  }

  /** Every broker of the cluster as "host:port" (the bootstrap broker's Metadata). */
  async brokerAddresses(): Promise<string[]> {
    const md = await this.bootstrap.request<MetadataResponse>(3, 12, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    return md.brokers.map((b) => `${b.host}:${b.port}`);
  }

  /** The connection to `groupId`'s coordinator, waiting out an offsets topic still being set up. */
  async coordinator(groupId: string): Promise<KafkaConnection> {
    for (let attempt = 1; ; attempt++) {
      const found = await this.bootstrap.request<FindCoordinatorResponse>(10, 4, { keyType: 0, coordinatorKeys: [groupId] });
      const c = found.coordinators[0];
      if (!c) throw new CliError(`FindCoordinator ${groupId}: no answer for the group`);
      if (c.errorCode === 0) return this.at(`${c.host}:${c.port}`);
      if (!COORDINATOR_RETRIABLE.includes(c.errorCode) || attempt >= COORDINATOR_ATTEMPTS) check(c.errorCode, `FindCoordinator ${groupId}`);
      await new Promise((r) => setTimeout(r, COORDINATOR_BACKOFF_MS));
    }
  }

  /**
   * ListOffsets at a timestamp (-1 latest, -2 earliest) for each partition, asked of its leader;
   * -1 where a partition has no leader or its leader answers an error.
   */
  async offsetsAt(partitions: readonly TopicPartition[], timestamp: bigint): Promise<Map<string, bigint>> {
    const out = new Map<string, bigint>();
    if (partitions.length === 0) return out;
    const topics = [...new Set(partitions.map((p) => p.topic))];
    const md = await this.bootstrap.request<MetadataResponse>(3, 12, { topics: topics.map((name) => ({ name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' })), allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    const addressOf = new Map(md.brokers.map((b) => [b.nodeId, `${b.host}:${b.port}`]));
    const leaderOf = new Map<string, number>();
    for (const t of md.topics) for (const p of t.partitions) leaderOf.set(`${t.name}-${p.partitionIndex}`, p.leaderId);
    const byLeader = new Map<string, TopicPartition[]>();
    for (const p of partitions) {
      const address = addressOf.get(leaderOf.get(`${p.topic}-${p.partition}`) ?? -1);
      if (address === undefined) out.set(`${p.topic}-${p.partition}`, -1n);
      else byLeader.set(address, [...(byLeader.get(address) ?? []), p]);
    }
    await Promise.all(
      [...byLeader].map(async ([address, ps]) => {
        const byTopic = new Map<string, number[]>();
        for (const p of ps) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
        const res = await (await this.at(address)).request<ListOffsetsResponse>(2, 7, {
          replicaId: -1,
          isolationLevel: 0,
          topics: [...byTopic].map(([name, indexes]) => ({ name, partitions: indexes.map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp })) })),
        });
        for (const t of res.topics) for (const p of t.partitions) out.set(`${t.name}-${p.partitionIndex}`, p.errorCode === 0 ? p.offset : -1n);
      }),
    );
    return out;
  }

  close(): void {
    for (const c of this.opened.values()) void c.then((conn) => conn.close(), () => undefined);
    this.opened.clear();
  }
}
