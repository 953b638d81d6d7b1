/**
 * What a broker needs from the cluster's metadata, whichever store keeps it: the local files of a
 * single node (local-metadata-store.ts) or etcd for a cluster (etcd/etcd-store.ts). One conformance
 * suite runs against both (test/integration/metadata-store-conformance.test.ts).
 *
 * The model follows Kafka's: a topic is a name, a topic id, a partition count and config
 * overrides; each partition has a state (replicas, ISR, leader, leader epoch, partition epoch) that
 * changes only by compare-and-set, as the ZooKeeper-era controller used a znode's version and
 * KRaft uses the partition epoch; brokers register for as long as their session lives; one broker
 * at a time is the controller; producer ids are handed out in blocks from one shared counter.
 *
 * Reads here go to the store. A broker's hot path reads a local cache fed by `watch`, never these.
 */
import { randomUUID } from 'node:crypto';
import type { TopicRecord } from './local-store.js';
import type { SecurityRecordKind, SecurityRecordWrite } from './security-records.js';

export type { TopicRecord, SecurityRecordKind, SecurityRecordWrite };

/** One partition's leadership and replica set. */
export interface PartitionState {
  /** Brokers holding a copy; the first is the preferred leader. */
  readonly replicas: readonly number[];
  /** In-sync replicas, a subset of `replicas` that includes the leader. */
  readonly isr: readonly number[];
  /** The leading broker, or -1 when none leads (Kafka's NO_LEADER). */
  readonly leader: number;
  readonly leaderEpoch: number;
  /**
   * Raised by whoever changes the state (the controller, or a leader changing its ISR), as KRaft's
   * partition epoch: requests naming an older one are fenced. The store does not raise it itself.
   */
  readonly partitionEpoch: number;
  /**
   * During a reassignment (KIP-455), the replicas being added and those being removed; both are in
   * `replicas` until it completes. Absent (as in data written before reassignments) means none.
   */
  readonly addingReplicas?: readonly number[];
  readonly removingReplicas?: readonly number[];
}

/**
 * The state of a partition that has just been created: the first live replica leads, the live
 * replicas are in sync, both epochs start at 0 (KRaft's new PartitionRegistration).
 */
export function initialPartitionState(replicas: readonly number[], isAlive: (nodeId: number) => boolean): PartitionState {
  const isr = replicas.filter(isAlive);
  return { replicas: [...replicas], isr, leader: isr[0] ?? -1, leaderEpoch: 0, partitionEpoch: 0 };
}

/** Is a reassignment of the partition under way? */
export function reassigning(state: PartitionState): boolean {
  return (state.addingReplicas?.length ?? 0) > 0 || (state.removingReplicas?.length ?? 0) > 0;
}

export interface VersionedPartitionState {
  readonly partition: number;
  readonly state: PartitionState;
  /**
   * The compare-and-set token: etcd's modification revision of the partition's key, a counter in
   * the local store. Opaque to callers; pass it back to `updatePartitionState`.
   */
  readonly version: number;
}

/** The answer to a compare-and-set: success with the new version, or the state that won the race. */
export type PartitionUpdateResult =
  | { readonly ok: true; readonly version: number }
  | { readonly ok: false; readonly current: VersionedPartitionState | null };

/** One compare-and-set of a partition state, for `updatePartitionStates`. */
export interface PartitionUpdate {
  readonly topicId: string;
  readonly partition: number;
  readonly expectedVersion: number;
  readonly next: PartitionState;
}

/** Writes made as the controller: they happen only while its election (this epoch) still holds. */
export interface ControllerFence {
  readonly controllerEpoch: number;
}

export interface NewTopic {
  readonly name: string;
  readonly configs: Readonly<Record<string, string>>;
  /** The initial state of each partition, partition 0 first. */
  readonly partitions: readonly PartitionState[];
}

/** Where clients and other brokers reach a broker, as in Kafka's broker registration. */
export interface BrokerEndpoint {
  /** The listener name, e.g. PLAINTEXT. */
  readonly name: string;
  readonly securityProtocol: string;
  readonly host: string;
  readonly port: number;
}

export interface BrokerRegistration {
  readonly nodeId: number;
  /**
   * A random id per broker process (KRaft's incarnation id). A registration for a node id that is
   * alive under another incarnation is refused with DUPLICATE_BROKER_REGISTRATION; the same
   * incarnation may register again (after it lost its session).
   */
  readonly incarnationId: string;
  readonly endpoints: readonly BrokerEndpoint[];
  /** `broker.rack`, or null. */
  readonly rack: string | null;
}

export interface RegisteredBroker extends BrokerRegistration {
  /**
   * The broker epoch: the store revision at which this registration was written, higher for every
   * new registration (Kafka took the czxid of the broker's znode).
   */
  readonly epoch: number;
}

/** Why a broker session ended. */
export type SessionEnd =
  | { readonly reason: 'closed' }
  /** The store dropped the registration, or no renewal reached it within the session timeout. */
  | { readonly reason: 'expired'; readonly message: string };

/** A live broker registration. It renews itself until closed or lost. */
export interface BrokerSession {
  readonly broker: RegisteredBroker;
  /**
   * Resolves once the registration is gone. A broker whose session expired must stop acting on
   * what it owned (leadership, the controller role) and register again.
   */
  readonly ended: Promise<SessionEnd>;
  /**
   * Waits until this broker is the controller (one at a time, tied to this session), then
   * resolves. Rejects if the session ends first, or if the store cannot be reached when a step of
   * the campaign starts (the caller campaigns again).
   */
  campaignForController(): Promise<ControllerLeadership>;
  /** Unregisters at once (a controlled shutdown); resigns the controller role if held. */
  close(): Promise<void>;
}

export interface ControllerInfo {
  readonly nodeId: number;
  /** Higher for every election; a fencing token for the controller's writes. */
  readonly epoch: number;
}

export interface ControllerLeadership extends ControllerInfo {
  /** Resolves when this broker stops being the controller (resigned, session ended, key removed). */
  readonly ended: Promise<void>;
  resign(): Promise<void>;
}

/** A range of producer ids for one broker's idempotent producers (Kafka's AllocateProducerIds). */
export interface ProducerIdBlock {
  readonly firstId: bigint;
  readonly size: number;
}

/** What to watch: topics, brokers, the controller, every partition, or one topic's partitions. */
export type WatchScope = 'topics' | 'brokers' | 'controller' | 'partitions' | { readonly partitionsOf: string } | { readonly security: SecurityRecordKind };

/** One key's change; a null value means it is gone. */
export type MetadataChange =
  | { readonly kind: 'topic'; readonly name: string; readonly topic: TopicRecord | null }
  | { readonly kind: 'partition'; readonly topicId: string; readonly partition: number; readonly state: VersionedPartitionState | null }
  | { readonly kind: 'broker'; readonly nodeId: number; readonly broker: RegisteredBroker | null }
  | { readonly kind: 'controller'; readonly controller: ControllerInfo | null }
  | { readonly kind: 'security'; readonly recordKind: SecurityRecordKind; readonly key: string; readonly value: string | null };

export interface MetadataWatchBatch {
  /** The store revision these changes bring the watcher to; batches arrive in revision order. */
  readonly revision: number;
  /**
   * True for the first batch (everything in scope when the watch started) and for batches that
   * re-synchronise after the store could not replay history (etcd compacted it): such a batch
   * carries the difference between what the watcher had seen and what is there now.
   */
  readonly snapshot: boolean;
  readonly changes: readonly MetadataChange[];
}

export interface MetadataWatchListener {
  changes(batch: MetadataWatchBatch): void;
  /** The store was lost or is back; the watch keeps retrying by itself meanwhile. */
  connection?(state: 'lost' | 'restored', cause?: Error): void;
  /** A value in the store could not be read; its key is treated as absent. */
  invalid?(key: string, err: Error): void;
}

export interface MetadataSubscription {
  close(): Promise<void>;
}

/**
 * The operations. Failures that are the caller's (an existing topic, an unknown topic id, a
 * duplicate broker) are KafkaErrors with Kafka's code; an unreachable store is a
 * MetadataUnavailableError (metadata-errors.ts), retriable.
 */
export interface MetadataStore {
  readonly clusterId: string;

  topics(): Promise<TopicRecord[]>;
  topic(name: string): Promise<TopicRecord | undefined>;
  /** Creates the topic with a fresh topic id and its partitions' initial states; TOPIC_ALREADY_EXISTS if the name is taken. */
  createTopic(topic: NewTopic): Promise<TopicRecord>;
  /** Deletes the topic and its partition states, if it still has this id (UNKNOWN_TOPIC_ID otherwise). */
  deleteTopic(name: string, topicId: string): Promise<void>;
  /** Appends partitions to a topic that has `expectedCount` of them (INVALID_PARTITIONS otherwise). */
  addPartitions(name: string, topicId: string, expectedCount: number, added: readonly PartitionState[]): Promise<TopicRecord>;
  /** Replaces the topic's config overrides. */
  setTopicConfigs(name: string, topicId: string, configs: Readonly<Record<string, string>>): Promise<TopicRecord>;

  /** Every partition's state of a topic, by partition number. */
  partitionStates(topicId: string): Promise<VersionedPartitionState[]>;
  /** Writes `next` only if the partition is still at `expectedVersion`; never creates a partition. */
  updatePartitionState(topicId: string, partition: number, expectedVersion: number, next: PartitionState): Promise<PartitionUpdateResult>;
  /**
   * Many independent compare-and-sets, each as `updatePartitionState` (one losing does not stop
   * the others), answered in order. etcd groups them into few transactions, so a controller moving
   * thousands of leaderships makes tens of requests, not thousands. With a `fence`, each update is
   * written only if the controller is still the one elected at `controllerEpoch` (checked in the
   * same etcd transaction, as Kafka's ZooKeeper controller checked its epoch znode); once it is
   * not, the call rejects with NOT_CONTROLLER (updates answered before that may have been written).
   */
  updatePartitionStates(updates: readonly PartitionUpdate[], fence?: ControllerFence): Promise<PartitionUpdateResult[]>;

  /**
   * Registers a broker for as long as the returned session lives. DUPLICATE_BROKER_REGISTRATION
   * while another process's registration of the node id lives; the same process (incarnation id)
   * registering again ends its previous session first.
   */
  registerBroker(registration: BrokerRegistration): Promise<BrokerSession>;
  /**
   * Ends broker `nodeId`'s registration made at `epoch` now, as its session's expiry would, for a
   * peer that has proof the broker's process is gone (broker/peer-crash-detector.ts). Answers
   * whether a registration was ended: false if the node is not registered, or registered at
   * another epoch (a new process).
   */
  endBrokerSession(nodeId: number, epoch: number): Promise<boolean>;
  /** Brokers whose session is alive, by node id. */
  brokers(): Promise<RegisteredBroker[]>;
  controller(): Promise<ControllerInfo | null>;

  /** Every record of one kind of security metadata (security-records.ts), key → value. */
  securityRecords(kind: SecurityRecordKind): Promise<Map<string, string>>;
  /**
   * Applies the writes (puts, and deletes as null values) all together or not at all; at most
   * MAX_SECURITY_WRITES of them per call. Watchers of the kind hear of each key that changed.
   */
  writeSecurityRecords(kind: SecurityRecordKind, writes: readonly SecurityRecordWrite[]): Promise<void>;

  /** A block of producer ids no other allocation, on any broker, ever returned. */
  allocateProducerIds(nodeId: number): Promise<ProducerIdBlock>;

  /**
   * Delivers what is in scope now (a snapshot batch), then every change in order, until closed;
   * it survives a lost store by itself. Rejects if the store cannot be read at the start.
   * Listeners must not throw.
   */
  watch(scope: WatchScope, listener: MetadataWatchListener): Promise<MetadataSubscription>;

  /** Ends watches and sessions of this instance (sessions are not unregistered: their leases lapse). */
  close(): Promise<void>;
}

/** Kafka's producer id block size (ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE). */
export const PRODUCER_ID_BLOCK_SIZE = 1000;

/** Why a session ends when the same broker process registers again. */
export const SUPERSEDED = 'registered again by the same broker process';

/** A fresh incarnation id for a broker process (KRaft's is a UUID too). */
export function newIncarnationId(): string {
  return randomUUID();
}
