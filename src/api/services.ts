/** What handlers may use of the broker: its identity, configuration, topics and partitions. */
import type { BrokerConfig } from '../config/broker-configs.js';
import type { TopicService } from '../partition/topic-service.js';
import type { ReplicaManager } from '../partition/replica-manager.js';
import type { GroupCoordinator } from '../coordinator/group/coordinator.js';
import type { TransactionCoordinator } from '../coordinator/txn/transaction-coordinator.js';
import type { ProducerIdManager } from '../metadata/producer-ids.js';
import type { FetchSessionCache } from '../partition/fetch-sessions.js';
import type { ClusterView } from '../metadata/cluster-view.js';
import type { ScramCredentials } from '../security/sasl/scram-credentials.js';
import type { ClientQuotas } from '../security/quota/client-quotas.js';
import type { DynamicBrokerConfigs } from '../partition/dynamic-configs.js';
import type { AclAuthorizer } from '../security/acl/authorizer.js';

/** A coordinator's broker, or why there is none now. */
export interface LocatedCoordinator {
  readonly errorCode: number;
  readonly message: string | null;
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
}

export interface CoordinatorLocator {
  /** The broker coordinating `groupId` (the leader of its __consumer_offsets partition). */
  group(groupId: string, listenerName: string): Promise<LocatedCoordinator>;
  /** The broker coordinating `transactionalId` (the leader of its __transaction_state partition). */
  transaction(transactionalId: string, listenerName: string): Promise<LocatedCoordinator>;
  // Both answer with the coordinator's endpoint on `listenerName`, the listener the request came in on.
}

export interface NamedPartition {
  readonly topic: string;
  readonly partition: number;
}

/** What the controller answers for one partition of an ElectLeaders request (errorCode 0: elected). */
export interface PartitionElection extends NamedPartition {
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

/** Requests only the controller serves; on other brokers they answer NOT_CONTROLLER (errorCode) and no results. */
export interface ControllerRequests {
  electLeaders(type: 'preferred' | 'unclean', partitions: readonly NamedPartition[]): Promise<{ readonly errorCode: number; readonly results: readonly PartitionElection[] }>;
  /** AlterPartitionReassignments: each partition to its `target` replicas, or (null) the reassignment under way cancelled. */
  alterReassignments(partitions: readonly (NamedPartition & { readonly target: readonly number[] | null })[]): Promise<{ readonly errorCode: number; readonly results: readonly PartitionElection[] }>;
}

/** One transactional batch to verify (KIP-890) before it opens a transaction on a partition. */
export interface TransactionToVerify {
  readonly transactionalId: string;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly topic: string;
  readonly partition: number;
}

/** Asks the id's transaction coordinator; resolves to the error code for the partition's produce answer (0: append). */
export type TransactionVerifier = (txn: TransactionToVerify) => Promise<number>;

export interface BrokerServices {
  readonly config: BrokerConfig;
  readonly nodeId: number;
  readonly clusterId: string;
  /**
   * Where clients of listener `listenerName` reach this broker (its advertised address, or the
   * bound one); null when this broker has no listener of that name.
   */
  endpoint(listenerName: string): { host: string; port: number } | null;
  /** The cluster's metadata as this broker sees it: brokers, controller, partition states. */
  readonly cluster: ClusterView;
  readonly topics: TopicService;
  readonly replicas: ReplicaManager;
  readonly groups: GroupCoordinator;
  readonly transactions: TransactionCoordinator;
  /** KIP-890 produce verification; absent when transaction.partition.verification.enable is false. */
  readonly verifyTransaction?: TransactionVerifier;
  /** Where group coordinators are (FindCoordinator). */
  readonly coordinators: CoordinatorLocator;
  readonly producerIds: ProducerIdManager;
  /** The cluster's SCRAM credentials (Describe/AlterUserScramCredentials, the SASL exchange). */
  readonly scramCredentials: ScramCredentials;
  /** Client quotas (Describe/AlterClientQuotas) and the byte-rate sensors that enforce them. */
  readonly clientQuotas: ClientQuotas;
  /** Dynamic broker configs (AlterConfigs on a BROKER resource), laid over `config`. */
  readonly dynamicConfigs: DynamicBrokerConfigs;
  /** The controller's requests, when this broker is the controller (ElectLeaders, AlterPartitionReassignments). */
  readonly controller: ControllerRequests;
  /** Incremental fetch sessions (KIP-227), bounded by max.incremental.fetch.session.cache.slots. */
  readonly fetchSessions: FetchSessionCache;
  /**
   * Hears of each connection on which peer broker `replicaId` fetches as a follower; `closed`
   * aborts when that connection ends (how a crashed follower is noticed early).
   */
  replicaConnection?(replicaId: number, closed: AbortSignal): void;
  /** The ACL authorizer when authorizer.class.name is set; absent, every request is allowed (Kafka's default). */
  readonly authorizer?: AclAuthorizer;
  /** Milliseconds since the epoch; injectable for tests. */
  now(): number;
}
