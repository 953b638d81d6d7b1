/**
 * What the admin HTTP server (src/http/) may see of a running broker: plain snapshots read at
 * scrape time, the broker's readiness, and the names of the diagnostics channels its layers
 * publish on. The HTTP layer imports only this file, so it never reaches into a partition or a
 * coordinator; the broker fills it in as its parts start (the admin server is up before storage
 * is loaded, so /health and /ready answer during start-up).
 */
import type { BrokerConfig } from '../config/broker-configs.js';
import type { ClusterView } from '../metadata/cluster-view.js';
import type { ReplicaManager } from '../partition/replica-manager.js';
import type { GroupCoordinator } from '../coordinator/group/coordinator.js';
import type { BrokerServices } from '../api/services.js';
import type { ServerLoad } from '../server/listener.js';
import { logValidationConfig } from '../config/log-validation-config.js';
import { describeError } from '../protocol/error-codes.js';
import { ConsoleQueries } from './console-queries.js';

export { REQUEST_CHANNEL_NAME, type RequestTrace } from '../server/request-trace.js';
export { PRODUCED_CHANNEL_NAME, FETCHED_CHANNEL_NAME, type ProducedEvent, type FetchedEvent } from '../api/traffic-events.js';
export { FLUSH_CHANNEL_NAME, type FlushEvent } from '../storage/flush-events.js';
export { REPLICATED_CHANNEL_NAME, type ReplicatedEvent } from '../partition/replication-events.js';
export type { BrokerServices } from '../api/services.js';
export { ConsoleQueries, type ConsoleCluster, type ConsoleTopic, type ConsoleTopicSummary, type ConsoleGroup, type ConsoleGroupSummary, type ConsoleEditResult } from './console-queries.js';
export { RecordLookupError, MAX_RECORDS, MAX_SCAN_BYTES, type RecordQuery, type RecordPage, type ConsoleRecord } from './console-records.js';

/** Published by the broker when a leader's ISR change was written (replication.ts). */
export const ISR_CHANGE_CHANNEL_NAME = 'tributary:broker:isr-change';
export interface IsrChangeEvent {
  readonly nodeId: number;
  readonly topic: string;
  readonly partition: number;
  readonly kind: 'shrink' | 'expand';
}

/** Kafka's BrokerState values (kafka.server:type=KafkaServer,name=BrokerState). */
export const BrokerState = { STARTING: 1, RUNNING: 3, SHUTTING_DOWN: 7 } as const;

export interface Readiness {
  readonly ready: boolean;
  /** Why not, for the 503 body. */
  readonly reason?: string;
}

export interface PartitionSnapshot {
  readonly topic: string;
  readonly partition: number;
  readonly isLeader: boolean;
  readonly replicas: number;
  readonly inSyncReplicas: number;
  /** min.insync.replicas of the topic, capped at the replication factor as Kafka 3.7+ does. */
  readonly minInsyncReplicas: number;
  readonly sizeBytes: number;
  readonly segments: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
}

export interface GroupSnapshot {
  readonly groupId: string;
  readonly state: string;
  readonly members: number;
}

export interface CommittedOffset {
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/** What the controller sees of the whole cluster (reported by the active controller only, as Kafka does). */
export interface ClusterSnapshot {
  readonly activeController: boolean;
  readonly topics: number;
  readonly partitions: number;
  readonly offlinePartitions: number;
  readonly preferredReplicaImbalance: number;
  readonly liveBrokers: number;
}

export interface ObservedBroker {
  readonly nodeId: number;
  readonly dataDir: string;
  /** The broker's services once wired: events carrying another object come from another broker in this process. */
  readonly services: BrokerServices | null;
  readonly state: number;
  /**
   * Whether ACLs are enforced (authorizer.class.name is set): the admin server then asks the
   * authorizer (services.authorizer) about each principal (admin-access.ts).
   */
  readonly aclsEnforced: boolean;
  readiness(): Readiness;
  partitions(): PartitionSnapshot[];
  groups(): GroupSnapshot[];
  committedOffsets(): CommittedOffset[];
  cluster(): ClusterSnapshot | null;
  /** Whether a topic of this name exists now (per-topic series of deleted topics are dropped, as Kafka drops their metrics). */
  topicExists(name: string): boolean;
  /** Connections now per listener name. */
  listeners(): { name: string; connections: number; refused: number }[];
  /** Operations waiting in the purgatory, by kind ('fetch', 'produce'). */
  purgatory(kind: string): number;
  /** Kafka's name for an error code ("NONE", "NOT_LEADER_OR_FOLLOWER"); the number when unknown. */
  errorName(code: number): string;
  /** What the web console shows and edits (console-queries.ts). */
  readonly console: ConsoleQueries;
}

/** The parts of a broker as startBroker creates them, one by one. */
export interface BrokerParts {
  config: BrokerConfig;
  view?: ClusterView;
  replicas?: ReplicaManager;
  groups?: () => GroupCoordinator | null;
  services?: BrokerServices;
  /** Each listener's name and what it holds now. */
  listenerLoads?: () => { name: string; load: ServerLoad }[];
}

/** The ObservedBroker of a broker under way: `parts` fill in as it starts; `state` follows its life. */
export class BrokerObservation implements ObservedBroker {
  state: number = BrokerState.STARTING;
  readonly console: ConsoleQueries;

  constructor(readonly parts: BrokerParts) {
    this.console = new ConsoleQueries(parts);
  }

  get nodeId(): number {
    return this.parts.config.nodeId;
  }

  get dataDir(): string {
    return this.parts.config.dataDir;
  }

  get services(): BrokerServices | null {
    return this.parts.services ?? null;
  }

  get aclsEnforced(): boolean {
    return (this.parts.config.get('authorizer.class.name') ?? '') !== '';
  }

  readiness(): Readiness {
    if (this.state === BrokerState.STARTING) return { ready: false, reason: 'starting: loading the partition logs and coordinators' };
    if (this.state === BrokerState.SHUTTING_DOWN) return { ready: false, reason: 'shutting down' };
    if (this.parts.config.etcdEndpoints.length > 0 && this.parts.view?.storeLost) return { ready: false, reason: 'the metadata store (etcd) is unreachable' };
    return { ready: true };
  }

  partitions(): PartitionSnapshot[] {
    const { replicas, view, config } = this.parts;
    if (!replicas) return [];
    const minIsrByTopic = new Map<string, number>();
    const out: PartitionSnapshot[] = [];
    for (const p of replicas.all()) {
      let minIsr = minIsrByTopic.get(p.topic);
      if (minIsr === undefined) {
        minIsr = logValidationConfig(config, view?.topic(p.topic)?.configs ?? {}).minInsyncReplicas;
        minIsrByTopic.set(p.topic, minIsr);
      }
      const log = p.log;
      out.push({
        topic: p.topic,
        partition: p.index,
        isLeader: p.isLeader,
        replicas: p.replicaIds.length,
        inSyncReplicas: p.inSyncReplicas.length,
        minInsyncReplicas: Math.min(minIsr, p.replicaIds.length),
        sizeBytes: log.sizeInBytes,
        segments: log.segmentCount,
        logStartOffset: log.logStartOffset,
        logEndOffset: log.logEndOffset,
        highWatermark: p.highWatermark,
      });
    }
    return out;
  }

  groups(): GroupSnapshot[] {
    const coordinator = this.parts.groups?.();
    if (!coordinator) return [];
    return [...coordinator.groups.values()].map((g) => ({ groupId: g.groupId, state: g.state, members: g.members.size }));
  }

  committedOffsets(): CommittedOffset[] {
    const coordinator = this.parts.groups?.();
    if (!coordinator) return [];
    const out: CommittedOffset[] = [];
    for (const groupId of coordinator.offsets.groups()) {
      for (const [topic, partitions] of coordinator.offsets.all(groupId)) {
        for (const [partition, committed] of partitions) out.push({ groupId, topic, partition, offset: Number(committed.offset) });
      }
    }
    return out;
  }

  cluster(): ClusterSnapshot | null {
    const view = this.parts.view;
    if (!view) return null;
    const activeController = view.controller()?.nodeId === this.nodeId;
    let partitions = 0;
    let offline = 0;
    let imbalance = 0;
    const topics = view.topics();
    for (const t of topics) {
      for (let i = 0; i < t.partitions; i++) {
        partitions++;
        const state = view.partition(t.topicId, i)?.state;
        if (!state) continue;
        if (state.leader < 0 || !view.isAlive(state.leader)) offline++;
        else if (state.replicas.length > 0 && state.replicas[0] !== state.leader) imbalance++;
      }
    }
    return { activeController, topics: topics.length, partitions, offlinePartitions: offline, preferredReplicaImbalance: imbalance, liveBrokers: view.brokers().length };
  }

  topicExists(name: string): boolean {
    return this.parts.view?.topic(name) !== undefined;
  }

  listeners(): { name: string; connections: number; refused: number }[] {
    return (this.parts.listenerLoads?.() ?? []).map(({ name, load }) => ({ name, connections: load.connections, refused: load.connectionsRefused }));
  }

  purgatory(kind: string): number {
    return this.parts.replicas?.purgatory.waitingOf(kind) ?? 0;
  }

  errorName(code: number): string {
    return describeError(code)?.name ?? String(code);
  }
}
