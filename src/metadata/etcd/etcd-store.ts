/**
 * The metadata store of a Tributary cluster, kept in etcd (key layout: etcd-keys.ts). Brokers
 * share it: topics and partition states (etcd-topics.ts), broker sessions (broker-session.ts), the
 * controller (controller-election.ts), producer id blocks, and watches (range-watch.ts).
 */
import type { IKeyValue } from 'etcd3';
import { newKafkaId, type TopicRecord } from '../local-store.js';
import {
  PRODUCER_ID_BLOCK_SIZE,
  type BrokerRegistration,
  type BrokerSession,
  type ControllerInfo,
  type MetadataChange,
  type MetadataStore,
  type MetadataSubscription,
  type MetadataWatchListener,
  type NewTopic,
  type PartitionState,
  type PartitionUpdate,
  type ControllerFence,
  type PartitionUpdateResult,
  type ProducerIdBlock,
  type RegisteredBroker,
  type VersionedPartitionState,
  type WatchScope,
} from '../metadata-store.js';
import { corruptValue } from '../metadata-errors.js';
import { decodeBroker, decodeNextProducerId, encodeNextProducerId, ValueError } from '../metadata-codec.js';
import { EtcdConnection, createdAt, deleteOp, getOp, modifiedAt, putOp, rangeResult, type EtcdConnectionOptions } from './etcd-client.js';
import { MAX_SECURITY_WRITES, type SecurityRecordKind, type SecurityRecordWrite } from '../security-records.js';
import { EtcdKeys, keyRange, prefixRange, type KeyRange } from './etcd-keys.js';
import { EtcdTopics } from './etcd-topics.js';
import { EtcdBrokerSession } from './broker-session.js';
import { controllerInfo } from './controller-election.js';
import { RangeWatch, type RawChange } from './range-watch.js';
import { DEFAULT_TXN_LIMITS, type TxnLimits } from './txn-batches.js';

export interface EtcdStoreOptions extends EtcdConnectionOptions {
  /** tributary.metadata.etcd.prefix: the cluster's keys live under it (default /tributary/default). */
  readonly prefix?: string;
  /** broker.session.timeout.ms (the broker passes its config; 9000, KRaft's default, without one). */
  readonly sessionTimeoutMs?: number;
  /** broker.heartbeat.interval.ms (default 2000, Kafka's). */
  readonly heartbeatIntervalMs?: number;
  /** The etcd server's --max-txn-ops and --max-request-bytes, if not its defaults. */
  readonly txnLimits?: TxnLimits;
}

export const DEFAULT_ETCD_PREFIX = '/tributary/default';

export class EtcdMetadataStore implements MetadataStore {
  private readonly topicStore: EtcdTopics;
  private readonly sessions = new Set<EtcdBrokerSession>();
  private readonly watches = new Set<RangeWatch>();

  private constructor(
    private readonly conn: EtcdConnection,
    private readonly keys: EtcdKeys,
    readonly clusterId: string,
    private readonly options: EtcdStoreOptions,
  ) {
    this.topicStore = new EtcdTopics(conn, keys, options.txnLimits ?? DEFAULT_TXN_LIMITS);
  }

  /** Connects and reads the cluster id, creating it if this is the cluster's first broker. */
  static async open(options: EtcdStoreOptions): Promise<EtcdMetadataStore> {
    const keys = new EtcdKeys(options.prefix ?? DEFAULT_ETCD_PREFIX);
    const conn = new EtcdConnection(options);
    try {
      const key = keys.clusterId;
      const fresh = newKafkaId();
      const res = await conn.txn('cluster id', [createdAt(key, 0)], [putOp(key, Buffer.from(fresh))], [getOp(key)]);
      const clusterId = res.succeeded ? fresh : (rangeResult(res, 0)?.value.toString('utf8') ?? '');
      if (!/^[A-Za-z0-9_-]{22}$/.test(clusterId)) throw corruptValue(key, 'not a cluster id');
      return new EtcdMetadataStore(conn, keys, clusterId, options);
    } catch (err) {
      conn.close();
      throw err;
    }
  }

  topics(): Promise<TopicRecord[]> {
    return this.topicStore.list();
  }

  topic(name: string): Promise<TopicRecord | undefined> {
    return this.topicStore.get(name);
  }

  createTopic(topic: NewTopic): Promise<TopicRecord> {
    return this.topicStore.create(topic);
  }

  deleteTopic(name: string, topicId: string): Promise<void> {
    return this.topicStore.delete(name, topicId);
  }

  addPartitions(name: string, topicId: string, expectedCount: number, added: readonly PartitionState[]): Promise<TopicRecord> {
    return this.topicStore.addPartitions(name, topicId, expectedCount, added);
  }

  setTopicConfigs(name: string, topicId: string, configs: Readonly<Record<string, string>>): Promise<TopicRecord> {
    return this.topicStore.setConfigs(name, topicId, configs);
  }

  partitionStates(topicId: string): Promise<VersionedPartitionState[]> {
    return this.topicStore.partitionStates(topicId);
  }

  updatePartitionState(topicId: string, partition: number, expectedVersion: number, next: PartitionState): Promise<PartitionUpdateResult> {
    return this.topicStore.updatePartitionState(topicId, partition, expectedVersion, next);
  }

  updatePartitionStates(updates: readonly PartitionUpdate[], fence?: ControllerFence): Promise<PartitionUpdateResult[]> {
    return this.topicStore.updatePartitionStates(updates, fence);
  }

  async registerBroker(registration: BrokerRegistration): Promise<BrokerSession> {
    for (const s of this.sessions) {
      if (s.broker.nodeId === registration.nodeId && s.broker.incarnationId === registration.incarnationId) await s.supersede();
    }
    const session = await EtcdBrokerSession.register(this.conn, this.keys, registration, {
      sessionTimeoutMs: this.options.sessionTimeoutMs ?? 9000,
      heartbeatIntervalMs: this.options.heartbeatIntervalMs ?? 2000,
    });
    this.sessions.add(session);
    void session.ended.then(() => this.sessions.delete(session));
    return session;
  }

  /** Revokes the registration's lease, which also drops the controller key if that broker held it. */
  async endBrokerSession(nodeId: number, epoch: number): Promise<boolean> {
    const { kv } = await this.conn.get(this.keys.broker(nodeId));
    if (!kv || Number(kv.mod_revision) !== epoch || kv.lease === '0') return false;
    const leaseId = kv.lease;
    try {
      await this.conn.call('lease revoke', () => this.conn.client.leaseClient.leaseRevoke({ ID: leaseId }));
      return true;
    } catch (err) {
      // The lease lapsed on its own meanwhile; anything else (etcd unreachable) is the caller's.
      if (err instanceof Error && /lease not found/i.test(err.message)) return false;
      throw err;
    }
  }

  async brokers(): Promise<RegisteredBroker[]> {
    const { kvs } = await this.conn.rangeAll(prefixRange(this.keys.brokersPrefix));
    return kvs.map((kv) => this.decodeBrokerKv(kv)).sort((a, b) => a.nodeId - b.nodeId);
  }

  async controller(): Promise<ControllerInfo | null> {
    const { kv } = await this.conn.get(this.keys.controller);
    return kv ? this.decoded(kv, () => controllerInfo(kv)) : null;
  }

  async securityRecords(kind: SecurityRecordKind): Promise<Map<string, string>> {
    const { kvs } = await this.conn.rangeAll(prefixRange(this.keys.securityPrefix(kind)));
    const records = new Map<string, string>();
    for (const kv of kvs) {
      const key = this.keys.parseSecurity(kind, kv.key.toString('utf8'));
      if (key !== null) records.set(key, kv.value.toString('utf8'));
    }
    return records;
  }

  async writeSecurityRecords(kind: SecurityRecordKind, writes: readonly SecurityRecordWrite[]): Promise<void> {
    if (writes.length > MAX_SECURITY_WRITES) throw new RangeError(`at most ${MAX_SECURITY_WRITES} security records per write, got ${writes.length}`);
    if (writes.length === 0) return;
    // One transaction: a batch of ACLs or a credential's several mechanisms land together.
    const ops = writes.map((w) => (w.value === null ? deleteOp(this.keys.security(kind, w.key)) : putOp(this.keys.security(kind, w.key), Buffer.from(w.value, 'utf8'))));
    await this.conn.txn(`${kind} records`, [], ops);
  }

  /** Kafka's ZooKeeper-era scheme: read the counter, move it by a block with compare-and-set, retry on a lost race. */
  async allocateProducerIds(nodeId: number): Promise<ProducerIdBlock> {
    const key = this.keys.producerIds;
    for (;;) {
      const { kv } = await this.conn.get(key);
      const start = kv ? this.decoded(kv, () => decodeNextProducerId(kv.value)) : 0n;
      const next = this.decoded({ key: Buffer.from(key) }, () => encodeNextProducerId(start, PRODUCER_ID_BLOCK_SIZE, nodeId));
      const res = await this.conn.txn('producer id block', [modifiedAt(key, kv ? Number(kv.mod_revision) : 0)], [putOp(key, next)]);
      if (res.succeeded) return { firstId: start, size: PRODUCER_ID_BLOCK_SIZE };
    }
  }

  async watch(scope: WatchScope, listener: MetadataWatchListener): Promise<MetadataSubscription> {
    const { range, convert } = this.scoped(scope);
    const watch = await RangeWatch.start(this.conn, range, {
      batch: (revision, snapshot, raw) => {
        const changes: MetadataChange[] = [];
        for (const c of raw) {
          try {
            changes.push(convert(c));
          } catch (err) {
            listener.invalid?.(c.key, err instanceof Error ? err : new Error(String(err)));
          }
        }
        listener.changes({ revision, snapshot, changes });
      },
      connection: (state, cause) => listener.connection?.(state, cause),
    });
    this.watches.add(watch);
    return {
      close: async () => {
        this.watches.delete(watch);
        await watch.close();
      },
    };
  }

  /** Stops watches and session renewals (registrations lapse with their leases) and disconnects. */
  async close(): Promise<void> {
    for (const s of this.sessions) s.abandon();
    await Promise.all([...this.watches].map((w) => w.close()));
    this.watches.clear();
    this.conn.close();
  }

  private scoped(scope: WatchScope): { range: KeyRange; convert: (c: RawChange) => MetadataChange } {
    const keys = this.keys;
    const fail = (c: RawChange): never => {
      throw corruptValue(c.key, 'not a key of this scope');
    };
    if (scope === 'topics') {
      return {
        range: prefixRange(keys.topicsPrefix),
        convert: (c) => ({ kind: 'topic', name: keys.parseTopic(c.key) ?? fail(c), topic: c.kv ? this.topicStore.decodeTopicKv(c.kv) : null }),
      };
    }
    if (scope === 'brokers') {
      return {
        range: prefixRange(keys.brokersPrefix),
        convert: (c) => ({ kind: 'broker', nodeId: keys.parseBroker(c.key) ?? fail(c), broker: c.kv ? this.decodeBrokerKv(c.kv) : null }),
      };
    }
    if (scope === 'controller') {
      return { range: keyRange(keys.controller), convert: (c) => ({ kind: 'controller', controller: c.kv ? this.decoded(c.kv, () => controllerInfo(c.kv as IKeyValue)) : null }) };
    }
    if (typeof scope === 'object' && 'security' in scope) {
      const kind = scope.security;
      return {
        range: prefixRange(keys.securityPrefix(kind)),
        convert: (c) => ({ kind: 'security', recordKind: kind, key: keys.parseSecurity(kind, c.key) ?? fail(c), value: c.kv ? c.kv.value.toString('utf8') : null }),
      };
    }
    const prefix = scope === 'partitions' ? keys.partitionsPrefix : keys.partitionsOf(scope.partitionsOf);
    return {
      range: prefixRange(prefix),
      convert: (c) => {
        const id = keys.parsePartition(c.key) ?? fail(c);
        return { kind: 'partition', topicId: id.topicId, partition: id.partition, state: c.kv ? this.topicStore.decodePartitionKv(c.kv) : null };
      },
    };
  }

  private decodeBrokerKv(kv: IKeyValue): RegisteredBroker {
    const key = kv.key.toString('utf8');
    const nodeId = this.keys.parseBroker(key);
    if (nodeId === null) throw corruptValue(key, 'not a broker key');
    return { ...this.decoded(kv, () => decodeBroker(nodeId, kv.value)), epoch: Number(kv.mod_revision) };
  }

  private decoded<T>(kv: { key: Buffer }, decode: () => T): T {
    try {
      return decode();
    } catch (err) {
      if (err instanceof ValueError) throw corruptValue(kv.key.toString('utf8'), err.message);
      throw err;
    }
  }
}
