/**
 * What the `transactions` commands ask brokers, through the project's own client, as Kafka's
 * admin client does for kafka-transactions.sh: ListTransactions at every broker (each coordinates
 * its own ids), FindCoordinator then DescribeTransactions for one id, DescribeProducers at a
 * partition's leader (or a chosen replica), and WriteTxnMarkers (ABORT) at the leader to end a
 * hanging transaction. Coordinators still loading, or not found yet, are asked again for a while.
 */
import { KafkaConnection } from '../client/kafka-connection.js';
import type { DescribeProducersResponse, DescribeTransactionsResponse, FindCoordinatorResponse, ListTransactionsResponse, WriteTxnMarkersResponse } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { CliError, check } from './group-queries.js';
import { clusterInfo, describeTopic } from './cluster-queries.js';
import { saslFromEnvironment } from './sasl-env.js';

/** How long a coordinator that is loading (or moving) is waited for, as the admin client's default.api.timeout.ms would. */
const RETRY_FOR_MS = 15_000;
const RETRY_BACKOFF_MS = 100;
const RETRIABLE: ReadonlySet<number> = new Set([ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NOT_COORDINATOR]);

/** Runs `attempt` until it answers an error code that is not retriable, or the time is up; returns its last answer. */
async function retrying<T extends { errorCode: number }>(attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + RETRY_FOR_MS;
  for (;;) {
    const answer = await attempt();
    if (!RETRIABLE.has(answer.errorCode) || Date.now() >= deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, RETRY_BACKOFF_MS));
  }
}

async function atBroker<T>(host: string, port: number, fn: (c: KafkaConnection) => Promise<T>): Promise<T> {
  const c = await KafkaConnection.open(`${host}:${port}`, 10_000, 'tributary-cli', saslFromEnvironment());
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

/** Runs `fn` on a connection to broker `nodeId`, found through `c`'s Metadata. */
async function atNode<T>(c: KafkaConnection, nodeId: number, fn: (broker: KafkaConnection) => Promise<T>): Promise<T> {
  const broker = (await clusterInfo(c)).brokers.find((b) => b.nodeId === nodeId);
  if (!broker) throw new CliError(`broker ${nodeId} is not among the live brokers`);
  return atBroker(broker.host, broker.port, fn);
}

export interface ListFilters {
  readonly states: readonly string[];
  readonly producerIds: readonly bigint[];
  /** Only transactions started longer ago than this (ms); -1: no filter. */
  readonly durationMs: bigint;
}

export interface TxnListing {
  readonly transactionalId: string;
  readonly coordinator: number;
  readonly producerId: bigint;
  readonly state: string;
}

/** ListTransactions at every live broker; the state filters some coordinator did not know come back too. */
export async function listTransactions(c: KafkaConnection, filters: ListFilters): Promise<{ listings: TxnListing[]; unknownStateFilters: string[] }> {
  const brokers = (await clusterInfo(c)).brokers;
  const body = { stateFilters: filters.states, producerIdFilters: filters.producerIds, durationFilter: filters.durationMs };
  const answers = await Promise.all(
    brokers.map(async (b) => {
      const res = await atBroker(b.host, b.port, (broker) => retrying(() => broker.request<ListTransactionsResponse>(66, 1, body)));
      check(res.errorCode, `ListTransactions at broker ${b.nodeId}`);
      return { nodeId: b.nodeId, res };
    }),
  );
  const listings = answers.flatMap(({ nodeId, res }) => res.transactionStates.map((t) => ({ transactionalId: t.transactionalId, coordinator: nodeId, producerId: t.producerId, state: t.transactionState })));
  const unknownStateFilters = [...new Set(answers.flatMap(({ res }) => res.unknownStateFilters))];
  return { listings: listings.sort((a, b) => a.transactionalId.localeCompare(b.transactionalId)), unknownStateFilters };
}

export interface TxnDescription {
  readonly coordinatorId: number;
  readonly transactionalId: string;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly state: string;
  readonly timeoutMs: number;
  /** -1 when the id has no transaction. */
  readonly startTimeMs: bigint;
  readonly partitions: readonly { readonly topic: string; readonly partition: number }[];
}

/** FindCoordinator for the id, then DescribeTransactions there (again from the start while the coordinator moves or loads). */
export async function describeTransaction(c: KafkaConnection, transactionalId: string): Promise<TxnDescription> {
  let coordinatorId = -1;
  const res = await retrying(async () => {
    const found = await c.request<FindCoordinatorResponse>(10, 3, { key: transactionalId, keyType: 1 });
    if (found.errorCode !== 0) return { errorCode: found.errorCode, state: null };
    coordinatorId = found.nodeId;
    const described = await atBroker(found.host, found.port, (broker) => broker.request<DescribeTransactionsResponse>(65, 0, { transactionalIds: [transactionalId] }));
    const state = described.transactionStates.find((s) => s.transactionalId === transactionalId);
    if (!state) throw new CliError(`DescribeTransactions: the coordinator answered nothing for ${transactionalId}`);
    return { errorCode: state.errorCode, state };
  });
  check(res.errorCode, `transactional id ${transactionalId}`);
  const s = res.state as DescribeTransactionsResponse['transactionStates'][number];
  return {
    coordinatorId,
    transactionalId,
    producerId: s.producerId,
    producerEpoch: s.producerEpoch,
    state: s.transactionState,
    timeoutMs: s.transactionTimeoutMs,
    startTimeMs: s.transactionStartTimeMs,
    partitions: s.topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition }))),
  };
}

export interface ProducerRow {
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly coordinatorEpoch: number;
  readonly lastSequence: number;
  readonly lastTimestamp: bigint;
  /** -1 when the producer has no open transaction. */
  readonly currentTxnStartOffset: bigint;
}

/** The partition's leader, or a CliError saying why there is none. */
async function leaderOf(c: KafkaConnection, topic: string, partition: number): Promise<number> {
  const p = (await describeTopic(c, topic)).partitions.find((x) => x.partition === partition);
  if (!p) throw new CliError(`topic ${topic} has no partition ${partition}`);
  if (p.leader < 0) throw new CliError(`${topic}-${partition} has no leader right now; try again`);
  return p.leader;
}

/** DescribeProducers for one partition at its leader, or at broker `brokerId` (any replica answers). */
export async function describeProducers(c: KafkaConnection, topic: string, partition: number, brokerId?: number): Promise<ProducerRow[]> {
  const nodeId = brokerId ?? (await leaderOf(c, topic, partition));
  const res = await atNode(c, nodeId, (broker) => broker.request<DescribeProducersResponse>(61, 0, { topics: [{ name: topic, partitionIndexes: [partition] }] }));
  const p = res.topics.find((t) => t.name === topic)?.partitions.find((x) => x.partitionIndex === partition);
  if (!p) throw new CliError(`DescribeProducers: broker ${nodeId} answered nothing for ${topic}-${partition}`);
  check(p.errorCode, `producers of ${topic}-${partition} at broker ${nodeId}`);
  return p.activeProducers.map((s) => ({
    producerId: s.producerId,
    producerEpoch: s.producerEpoch,
    coordinatorEpoch: s.coordinatorEpoch,
    lastSequence: s.lastSequence,
    lastTimestamp: s.lastTimestamp,
    currentTxnStartOffset: s.currentTxnStartOffset,
  }));
}

export interface AbortSpec {
  readonly topic: string;
  readonly partition: number;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly coordinatorEpoch: number;
}

/**
 * Writes an ABORT marker for the producer's transaction on one partition, at its leader, as
 * Kafka's Admin.abortTransaction does; the leader refuses an older producer epoch
 * (INVALID_PRODUCER_EPOCH) or coordinator epoch (TRANSACTION_COORDINATOR_FENCED).
 */
export async function abortTransaction(c: KafkaConnection, spec: AbortSpec): Promise<void> {
  const leader = await leaderOf(c, spec.topic, spec.partition);
  const marker = { producerId: spec.producerId, producerEpoch: spec.producerEpoch, transactionResult: false, coordinatorEpoch: spec.coordinatorEpoch, topics: [{ name: spec.topic, partitionIndexes: [spec.partition] }] };
  const res = await atNode(c, leader, (broker) => broker.request<WriteTxnMarkersResponse>(27, 1, { markers: [marker] }, 60_000));
  const p = res.markers.find((m) => m.producerId === spec.producerId)?.topics.find((t) => t.name === spec.topic)?.partitions.find((x) => x.partitionIndex === spec.partition);
  if (!p) throw new CliError(`WriteTxnMarkers: broker ${leader} answered nothing for ${spec.topic}-${spec.partition}`);
  check(p.errorCode, `aborting the transaction of producer ${spec.producerId} (epoch ${spec.producerEpoch}, coordinator epoch ${spec.coordinatorEpoch}) on ${spec.topic}-${spec.partition}`);
}
