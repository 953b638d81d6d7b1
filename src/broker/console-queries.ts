/**
 * What the web console (src/http/console/) asks of a broker, answered from the broker's own parts:
 * the brokers of the cluster, topics with their partitions and configs, consumer groups with their
 * lag, and the one write it offers, a topic config edit that goes the IncrementalAlterConfigs
 * path (so its validation and errors are Kafka's). Plain JSON-ready objects only: the HTTP layer
 * never sees a partition or a coordinator. Reading records lives in console-records.ts.
 */
import type { BrokerParts } from './observed.js';
import { effectiveTopicConfig, SOURCE_DEFAULT, SOURCE_DYNAMIC_BROKER, SOURCE_DYNAMIC_DEFAULT_BROKER, SOURCE_DYNAMIC_TOPIC, SOURCE_STATIC_BROKER } from '../config/topic-config-values.js';
import { applyConfigAlterations, type ConfigAlteration } from '../api/incremental-alter-configs.js';
import { decodeConsumerProtocolAssignment } from '../protocol/generated/index.js';
import { Reader } from '../protocol/reader.js';
import { describeError } from '../protocol/error-codes.js';
import { readRecords, type RecordPage, type RecordQuery } from './console-records.js';

export interface ConsoleBroker {
  readonly nodeId: number;
  readonly rack: string | null;
  readonly controller: boolean;
  readonly alive: boolean;
  readonly listeners: readonly { name: string; securityProtocol: string; host: string; port: number }[];
}

export interface ConsoleCluster {
  readonly clusterId: string | null;
  readonly nodeId: number;
  readonly controllerId: number | null;
  readonly brokers: ConsoleBroker[];
  readonly health: { healthy: boolean; offlinePartitions: number; underReplicatedPartitions: number; leaderlessPartitions: number; topics: number; partitions: number };
}

export interface ConsolePartition {
  readonly partition: number;
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  /** Null when this broker holds no copy of the partition (its offsets are on other brokers). */
  readonly logStartOffset: number | null;
  readonly logEndOffset: number | null;
  readonly highWatermark: number | null;
  readonly sizeBytes: number | null;
}

export interface ConsoleTopicSummary {
  readonly name: string;
  readonly topicId: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly internal: boolean;
  readonly underReplicated: number;
  readonly sizeBytes: number;
  readonly records: number;
}

export interface ConsoleConfig {
  readonly name: string;
  readonly value: string | null;
  readonly source: 'DYNAMIC_TOPIC_CONFIG' | 'DYNAMIC_BROKER_CONFIG' | 'DYNAMIC_DEFAULT_BROKER_CONFIG' | 'STATIC_BROKER_CONFIG' | 'DEFAULT_CONFIG';
  readonly type: string;
  readonly doc: string;
}

export interface ConsoleTopic extends ConsoleTopicSummary {
  readonly partitionDetails: ConsolePartition[];
  readonly configs: ConsoleConfig[];
}

export interface ConsoleGroupSummary {
  readonly groupId: string;
  readonly state: string;
  readonly protocolType: string;
  readonly members: number;
  /** Summed over the partitions this broker can compute lag for; null when none. */
  readonly totalLag: number | null;
}

export interface ConsoleGroup extends ConsoleGroupSummary {
  readonly protocol: string;
  readonly generationId: number;
  readonly memberDetails: { memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; assignment: { topic: string; partition: number }[] }[];
  readonly offsets: { topic: string; partition: number; committedOffset: number; highWatermark: number | null; lag: number | null; metadata: string | null }[];
}

/** A config edit's outcome: Kafka's error code (0: applied) and message. */
export interface ConsoleEditResult {
  readonly errorCode: number;
  readonly errorName: string;
  readonly errorMessage: string | null;
}

const SOURCE_NAMES: Record<number, ConsoleConfig['source']> = {
  [SOURCE_DYNAMIC_TOPIC]: 'DYNAMIC_TOPIC_CONFIG',
  [SOURCE_DYNAMIC_BROKER]: 'DYNAMIC_BROKER_CONFIG',
  [SOURCE_DYNAMIC_DEFAULT_BROKER]: 'DYNAMIC_DEFAULT_BROKER_CONFIG',
  [SOURCE_STATIC_BROKER]: 'STATIC_BROKER_CONFIG',
  [SOURCE_DEFAULT]: 'DEFAULT_CONFIG',
};

const CONFIG_TYPE_NAMES = ['UNKNOWN', 'BOOLEAN', 'STRING', 'INT', 'SHORT', 'LONG', 'DOUBLE', 'LIST', 'CLASS', 'PASSWORD'];

export class ConsoleQueries {
  constructor(private readonly parts: BrokerParts) {}

  cluster(): ConsoleCluster | null {
    const view = this.parts.view;
    if (!view) return null;
    const controllerId = view.controller()?.nodeId ?? null;
    const brokers = view.brokers().map((b) => ({
      nodeId: b.nodeId,
      rack: b.rack,
      controller: b.nodeId === controllerId,
      alive: true,
      listeners: b.endpoints.map((e) => ({ name: e.name, securityProtocol: e.securityProtocol, host: e.host, port: e.port })),
    }));
    // Replicas named by a partition but not registered: brokers that are down.
    const known = new Set(brokers.map((b) => b.nodeId));
    let partitions = 0;
    let offline = 0;
    let under = 0;
    let leaderless = 0;
    for (const t of view.topics()) {
      for (let i = 0; i < t.partitions; i++) {
        partitions++;
        const state = view.partition(t.topicId, i)?.state;
        if (!state) continue;
        for (const r of state.replicas) {
          if (!known.has(r)) {
            known.add(r);
            brokers.push({ nodeId: r, rack: null, controller: false, alive: false, listeners: [] });
          }
        }
        if (state.leader < 0) leaderless++;
        if (state.leader < 0 || !view.isAlive(state.leader)) offline++;
        else if (state.isr.length < state.replicas.length) under++;
      }
    }
    brokers.sort((a, b) => a.nodeId - b.nodeId);
    return {
      clusterId: this.parts.services?.clusterId ?? null,
      nodeId: this.parts.config.nodeId,
      controllerId,
      brokers,
      health: { healthy: offline === 0 && under === 0 && brokers.every((b) => b.alive), offlinePartitions: offline, underReplicatedPartitions: under, leaderlessPartitions: leaderless, topics: view.topics().length, partitions },
    };
  }

  topics(): ConsoleTopicSummary[] {
    const view = this.parts.view;
    if (!view) return [];
    return view.topics().map((t) => this.summary(t.name, this.partitionsOf(t.name))).filter((t) => t !== null).sort((a, b) => a.name.localeCompare(b.name));
  }

  topic(name: string): ConsoleTopic | null {
    const record = this.parts.view?.topic(name);
    if (!record) return null;
    const partitionDetails = this.partitionsOf(name);
    const summary = this.summary(name, partitionDetails);
    if (!summary) return null;
    const configs = effectiveTopicConfig(this.parts.config, record.configs).map((c) => ({
      name: c.def.name,
      value: c.value,
      source: SOURCE_NAMES[c.source] ?? 'DEFAULT_CONFIG',
      type: CONFIG_TYPE_NAMES[c.def.type] ?? String(c.def.type),
      doc: c.def.doc,
    }));
    return { ...summary, partitionDetails, configs };
  }

  /** Sets (value) or deletes (null) topic config overrides, in one IncrementalAlterConfigs edit. */
  async editTopicConfigs(name: string, changes: readonly { name: string; value: string | null }[]): Promise<ConsoleEditResult> {
    const services = this.parts.services;
    if (!services) return result(8 /* BROKER_NOT_AVAILABLE */, 'The broker is still starting.');
    const ops: ConfigAlteration[] = changes.map((c) => ({ name: c.name, configOperation: c.value === null ? 1 : 0, value: c.value }));
    const outcome = await services.topics.editConfigs(name, (topic) => applyConfigAlterations(services.config, topic, ops), false);
    return result(outcome.errorCode, outcome.errorMessage);
  }

  /** Records of a local partition (RecordLookupError when there is no such topic or copy here). */
  records(q: RecordQuery): Promise<RecordPage> {
    return readRecords(this.parts, q);
  }

  groups(): ConsoleGroupSummary[] {
    const coordinator = this.parts.groups?.();
    if (!coordinator) return [];
    const ids = new Set<string>([...coordinator.groups.keys(), ...coordinator.offsets.groups()]);
    const hwm = this.highWatermarks();
    return [...ids].sort().map((id) => {
      const g = this.group(id, hwm);
      return { groupId: id, state: g?.state ?? 'Empty', protocolType: g?.protocolType ?? '', members: g?.members ?? 0, totalLag: g?.totalLag ?? null };
    });
  }

  group(groupId: string, hwm: ReadonlyMap<string, number> = this.highWatermarks()): ConsoleGroup | null {
    const coordinator = this.parts.groups?.();
    if (!coordinator) return null;
    const g = coordinator.groups.get(groupId);
    const committed = coordinator.offsets.all(groupId);
    if (!g && committed.size === 0) return null;
    const offsets: ConsoleGroup['offsets'] = [];
    for (const [topic, partitions] of committed) {
      for (const [partition, c] of partitions) {
        const committedOffset = Number(c.offset);
        const highWatermark = hwm.get(`${topic}\u0000${partition}`) ?? null;
        // As kafka_exporter: no lag is made up for an offset committed as "none" (-1).
        const lag = highWatermark === null || committedOffset < 0 ? null : Math.max(0, highWatermark - committedOffset);
        offsets.push({ topic, partition, committedOffset, highWatermark, lag, metadata: c.metadata === '' ? null : c.metadata });
      }
    }
    offsets.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    const lags = offsets.flatMap((o) => (o.lag === null ? [] : [o.lag]));
    const members = g ? [...g.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost, assignment: g.protocolType === 'consumer' ? assignmentOf(m.assignment) : [] })) : [];
    return {
      groupId,
      state: g?.state ?? 'Empty',
      protocolType: g?.protocolType ?? '',
      protocol: g?.protocolName ?? '',
      generationId: g?.generationId ?? 0,
      members: members.length,
      totalLag: lags.length === 0 ? null : lags.reduce((a, b) => a + b, 0),
      memberDetails: members,
      offsets,
    };
  }

  /** The high watermark of each partition held here, by "topic\0partition" (lag is computed against it). */
  private highWatermarks(): Map<string, number> {
    const hwm = new Map<string, number>();
    for (const p of this.parts.replicas?.all() ?? []) hwm.set(`${p.topic}\u0000${p.index}`, p.highWatermark);
    return hwm;
  }

  private partitionsOf(name: string): ConsolePartition[] {
    const view = this.parts.view;
    const record = view?.topic(name);
    if (!view || !record) return [];
    const out: ConsolePartition[] = [];
    for (let i = 0; i < record.partitions; i++) {
      const state = view.partition(record.topicId, i)?.state;
      const local = this.parts.replicas?.get(name, i);
      out.push({
        partition: i,
        leader: state?.leader ?? -1,
        leaderEpoch: state?.leaderEpoch ?? -1,
        replicas: state?.replicas ?? [],
        isr: state?.isr ?? [],
        logStartOffset: local ? local.log.logStartOffset : null,
        logEndOffset: local ? local.log.logEndOffset : null,
        highWatermark: local ? local.highWatermark : null,
        sizeBytes: local ? local.log.sizeInBytes : null,
      });
    }
    return out;
  }

  private summary(name: string, partitions: ConsolePartition[]): ConsoleTopicSummary | null {
    const record = this.parts.view?.topic(name);
    if (!record) return null;
    let size = 0;
    let records = 0;
    for (const p of partitions) {
      size += p.sizeBytes ?? 0;
      if (p.highWatermark !== null && p.logStartOffset !== null) records += Math.max(0, p.highWatermark - p.logStartOffset);
    }
    return {
      name,
      topicId: record.topicId,
      partitions: record.partitions,
      replicationFactor: partitions[0]?.replicas.length ?? 0,
      internal: name.startsWith('__'),
      underReplicated: partitions.filter((p) => p.isr.length < p.replicas.length).length,
      sizeBytes: size,
      records,
    };
  }
}

function result(errorCode: number, errorMessage: string | null): ConsoleEditResult {
  return { errorCode, errorName: describeError(errorCode)?.name ?? String(errorCode), errorMessage };
}

/** The partitions of a consumer-protocol assignment; none when its bytes are not one. */
function assignmentOf(bytes: Buffer): { topic: string; partition: number }[] {
  if (bytes.length < 2) return [];
  try {
    const r = new Reader(bytes);
    const version = r.int16();
    const a = decodeConsumerProtocolAssignment(r, Math.min(version, 3));
    return a.assignedPartitions.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
  } catch {
    return [];
  }
}
