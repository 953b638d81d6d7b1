/**
 * The MetadataStore of a single broker: LocalMetadataStore's topic table and meta.properties,
 * partition states in partition-state-file.ts, producer id blocks in producer-ids.ts's file, and
 * brokers, the controller and watches in memory (they live as long as the process, which is the
 * only broker). Changes are applied one at a time and watchers hear of each as it completes.
 *
 * Changes must go through this class for watchers to see them: writes made on the wrapped
 * LocalMetadataStore directly are visible to reads, not to watches.
 */
import { LocalMetadataStore, newKafkaId, type TopicRecord } from './local-store.js';
import type {
  BrokerRegistration,
  BrokerSession,
  ControllerInfo,
  ControllerLeadership,
  MetadataChange,
  MetadataStore,
  MetadataSubscription,
  MetadataWatchListener,
  NewTopic,
  PartitionState,
  PartitionUpdate,
  ControllerFence,
  PartitionUpdateResult,
  ProducerIdBlock,
  RegisteredBroker,
  SessionEnd,
  VersionedPartitionState,
  WatchScope,
} from './metadata-store.js';
import { duplicateBroker, notController, partitionCountChanged, staleTopicId, topicExists, unknownTopic } from './metadata-errors.js';
import { PartitionStateFile } from './partition-state-file.js';
import { ProducerIdBlockFile } from './producer-ids.js';
import { ErrorCode, KafkaError } from '../protocol/error-codes.js';
import { SUPERSEDED } from './metadata-store.js';
import { MAX_SECURITY_WRITES, SECURITY_RECORD_KINDS, SecurityRecordFile, type SecurityRecordKind, type SecurityRecordWrite } from './security-records.js';

interface Watcher {
  scope: WatchScope;
  listener: MetadataWatchListener;
}

function inScope(scope: WatchScope, c: MetadataChange): boolean {
  if (scope === 'topics') return c.kind === 'topic';
  if (scope === 'brokers') return c.kind === 'broker';
  if (scope === 'controller') return c.kind === 'controller';
  if (scope === 'partitions') return c.kind === 'partition';
  if ('security' in scope) return c.kind === 'security' && c.recordKind === scope.security;
  return c.kind === 'partition' && c.topicId === scope.partitionsOf;
}

export class SingleNodeMetadataStore implements MetadataStore {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly brokersById = new Map<number, { broker: RegisteredBroker; session: LocalSession }>();
  private controllerHeld: { info: ControllerInfo; release: () => void } | null = null;
  private controllerFreed: Promise<void> = Promise.resolve();
  private readonly watchers = new Set<Watcher>();

  private constructor(
    private readonly local: LocalMetadataStore,
    private readonly partitions: PartitionStateFile,
    private readonly producerIds: ProducerIdBlockFile,
    private readonly security: ReadonlyMap<SecurityRecordKind, SecurityRecordFile>,
  ) {}

  static async open(dataDir: string, nodeId: number): Promise<SingleNodeMetadataStore> {
    const local = await LocalMetadataStore.open(dataDir, nodeId);
    const security = new Map<SecurityRecordKind, SecurityRecordFile>();
    for (const kind of SECURITY_RECORD_KINDS) security.set(kind, await SecurityRecordFile.open(dataDir, kind));
    return new SingleNodeMetadataStore(local, await PartitionStateFile.open(dataDir, nodeId), await ProducerIdBlockFile.open(dataDir), security);
  }

  get clusterId(): string {
    return this.local.clusterId;
  }

  async topics(): Promise<TopicRecord[]> {
    return this.local.topics();
  }

  async topic(name: string): Promise<TopicRecord | undefined> {
    return this.local.topic(name);
  }

  createTopic(spec: NewTopic): Promise<TopicRecord> {
    return this.serial(async () => {
      if (spec.partitions.length === 0) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, 'A topic needs at least one partition.');
      if (this.local.topic(spec.name)) throw topicExists(spec.name);
      const topic = await this.local.createTopic({ name: spec.name, topicId: newKafkaId(), partitions: spec.partitions.length, configs: { ...spec.configs } });
      const states = await this.partitions.put(topic.topicId, 0, spec.partitions);
      this.publish([{ kind: 'topic', name: topic.name, topic }, ...this.partitionChanges(topic.topicId, states)]);
      return topic;
    });
  }

  deleteTopic(name: string, topicId: string): Promise<void> {
    return this.serial(async () => {
      const topic = this.requireTopic(name, topicId);
      await this.local.deleteTopic(name, topicId);
      await this.partitions.deleteTopic(topicId);
      const gone: MetadataChange[] = [];
      for (let p = 0; p < topic.partitions; p++) gone.push({ kind: 'partition', topicId, partition: p, state: null });
      this.publish([{ kind: 'topic', name, topic: null }, ...gone]);
    });
  }

  addPartitions(name: string, topicId: string, expectedCount: number, added: readonly PartitionState[]): Promise<TopicRecord> {
    return this.serial(async () => {
      const topic = this.requireTopic(name, topicId);
      if (topic.partitions !== expectedCount) throw partitionCountChanged(name, expectedCount, topic.partitions);
      const states = await this.partitions.put(topicId, expectedCount, added);
      const updated = await this.local.setPartitionCount(name, topicId, expectedCount + added.length);
      this.publish([...this.partitionChanges(topicId, states), { kind: 'topic', name, topic: updated }]);
      return updated;
    });
  }

  setTopicConfigs(name: string, topicId: string, configs: Readonly<Record<string, string>>): Promise<TopicRecord> {
    return this.serial(async () => {
      this.requireTopic(name, topicId);
      const updated = await this.local.setConfigs(name, topicId, { ...configs });
      this.publish([{ kind: 'topic', name, topic: updated }]);
      return updated;
    });
  }

  async partitionStates(topicId: string): Promise<VersionedPartitionState[]> {
    const topic = this.local.topicById(topicId);
    if (!topic) return [];
    return Array.from({ length: topic.partitions }, (_, p) => this.partitions.get(topicId, p));
  }

  updatePartitionState(topicId: string, partition: number, expectedVersion: number, next: PartitionState): Promise<PartitionUpdateResult> {
    return this.serial(async (): Promise<PartitionUpdateResult> => {
      const topic = this.local.topicById(topicId);
      if (!topic || partition < 0 || partition >= topic.partitions) return { ok: false, current: null };
      const current = this.partitions.get(topicId, partition);
      if (current.version !== expectedVersion) return { ok: false, current };
      const [written] = await this.partitions.put(topicId, partition, [next]);
      this.publish(this.partitionChanges(topicId, [written]));
      return { ok: true, version: written.version };
    });
  }

  async updatePartitionStates(updates: readonly PartitionUpdate[], fence?: ControllerFence): Promise<PartitionUpdateResult[]> {
    const results: PartitionUpdateResult[] = [];
    for (const u of updates) {
      // Checked per update, as the writes are serialised with the role's changes.
      if (fence && this.controllerHeld?.info.epoch !== fence.controllerEpoch) throw notController(fence.controllerEpoch);
      results.push(await this.updatePartitionState(u.topicId, u.partition, u.expectedVersion, u.next));
    }
    return results;
  }

  async registerBroker(registration: BrokerRegistration): Promise<BrokerSession> {
    const existing = this.brokersById.get(registration.nodeId);
    if (existing && existing.broker.incarnationId !== registration.incarnationId) throw duplicateBroker(registration.nodeId);
    existing?.session.end({ reason: 'expired', message: SUPERSEDED });
    const broker: RegisteredBroker = { ...registration, epoch: this.partitions.nextRevision() };
    const session = new LocalSession(broker, this);
    this.brokersById.set(broker.nodeId, { broker, session });
    this.publish([{ kind: 'broker', nodeId: broker.nodeId, broker }]);
    return session;
  }

  async endBrokerSession(nodeId: number, epoch: number): Promise<boolean> {
    const registered = this.brokersById.get(nodeId);
    if (!registered || registered.broker.epoch !== epoch) return false;
    registered.session.end({ reason: 'expired', message: 'ended by a peer that found the broker process gone' });
    return true;
  }

  async brokers(): Promise<RegisteredBroker[]> {
    return [...this.brokersById.values()].map((b) => b.broker).sort((a, b) => a.nodeId - b.nodeId);
  }

  async controller(): Promise<ControllerInfo | null> {
    return this.controllerHeld?.info ?? null;
  }

  async securityRecords(kind: SecurityRecordKind): Promise<Map<string, string>> {
    return this.securityFile(kind).all();
  }

  writeSecurityRecords(kind: SecurityRecordKind, writes: readonly SecurityRecordWrite[]): Promise<void> {
    if (writes.length > MAX_SECURITY_WRITES) return Promise.reject(new RangeError(`at most ${MAX_SECURITY_WRITES} security records per write, got ${writes.length}`));
    return this.serial(async () => {
      const file = this.securityFile(kind);
      const before = file.all();
      await file.apply(writes);
      const after = file.all();
      const changed = new Set(writes.map((w) => w.key));
      this.publish([...changed].filter((key) => before.get(key) !== after.get(key)).map((key) => ({ kind: 'security', recordKind: kind, key, value: after.get(key) ?? null })));
    });
  }

  private securityFile(kind: SecurityRecordKind): SecurityRecordFile {
    const file = this.security.get(kind);
    if (!file) throw new Error(`no security records of kind ${String(kind)}`);
    return file;
  }

  allocateProducerIds(_nodeId: number): Promise<ProducerIdBlock> {
    return this.producerIds.allocate();
  }

  async watch(scope: WatchScope, listener: MetadataWatchListener): Promise<MetadataSubscription> {
    const watcher: Watcher = { scope, listener };
    listener.changes({ revision: this.partitions.lastRevision, snapshot: true, changes: await this.snapshot(scope) });
    this.watchers.add(watcher);
    return { close: async () => void this.watchers.delete(watcher) };
  }

  async close(): Promise<void> {
    for (const { session } of [...this.brokersById.values()]) session.end({ reason: 'closed' });
    this.watchers.clear();
  }

  // --- used by LocalSession ---

  /** Removes a session's registration (and its controller role) and tells watchers. */
  unregister(session: LocalSession): void {
    const nodeId = session.broker.nodeId;
    if (this.brokersById.get(nodeId)?.session !== session) return;
    this.brokersById.delete(nodeId);
    if (this.controllerHeld?.info.nodeId === nodeId) this.releaseController();
    this.publish([{ kind: 'broker', nodeId, broker: null }]);
  }

  async campaign(session: LocalSession): Promise<ControllerLeadership> {
    for (;;) {
      if (session.isEnded()) throw new Error(`broker ${session.broker.nodeId}'s session ended before it became the controller`);
      if (!this.controllerHeld) break;
      await Promise.race([this.controllerFreed, session.ended]);
    }
    const info: ControllerInfo = { nodeId: session.broker.nodeId, epoch: this.partitions.nextRevision() };
    let release!: () => void;
    const ended = new Promise<void>((resolve) => (release = resolve));
    this.controllerFreed = ended;
    this.controllerHeld = { info, release };
    this.publish([{ kind: 'controller', controller: info }]);
    return {
      ...info,
      ended,
      resign: async () => {
        if (this.controllerHeld?.info === info) this.releaseController();
      },
    };
  }

  private releaseController(): void {
    const held = this.controllerHeld;
    this.controllerHeld = null;
    held?.release();
    this.publish([{ kind: 'controller', controller: null }]);
  }

  private requireTopic(name: string, topicId: string): TopicRecord {
    const topic = this.local.topic(name);
    if (!topic) throw unknownTopic(name);
    if (topic.topicId !== topicId) throw staleTopicId(name, topicId, topic.topicId);
    return topic;
  }

  private partitionChanges(topicId: string, states: readonly VersionedPartitionState[]): MetadataChange[] {
    return states.map((state) => ({ kind: 'partition', topicId, partition: state.partition, state }));
  }

  private async snapshot(scope: WatchScope): Promise<MetadataChange[]> {
    if (scope === 'topics') return this.local.topics().map((topic) => ({ kind: 'topic', name: topic.name, topic }));
    if (scope === 'brokers') return (await this.brokers()).map((broker) => ({ kind: 'broker', nodeId: broker.nodeId, broker }));
    if (scope === 'controller') return this.controllerHeld ? [{ kind: 'controller', controller: this.controllerHeld.info }] : [];
    if (typeof scope === 'object' && 'security' in scope) {
      return [...this.securityFile(scope.security).all()].map(([key, value]) => ({ kind: 'security', recordKind: scope.security, key, value }));
    }
    const topics = scope === 'partitions' ? this.local.topics() : [this.local.topicById(scope.partitionsOf)].filter((t) => t !== undefined);
    const changes: MetadataChange[] = [];
    for (const t of topics) changes.push(...this.partitionChanges(t.topicId, await this.partitionStates(t.topicId)));
    return changes;
  }

  private publish(changes: MetadataChange[]): void {
    if (changes.length === 0) return;
    const revision = this.partitions.nextRevision();
    for (const w of this.watchers) {
      const mine = changes.filter((c) => inScope(w.scope, c));
      if (mine.length > 0) w.listener.changes({ revision, snapshot: false, changes: mine });
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** A broker session on the single node: alive until closed, since the broker and the store are one process. */
class LocalSession implements BrokerSession {
  readonly ended: Promise<SessionEnd>;
  private resolveEnded!: (end: SessionEnd) => void;
  private done = false;

  constructor(
    readonly broker: RegisteredBroker,
    private readonly store: SingleNodeMetadataStore,
  ) {
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
  }

  isEnded(): boolean {
    return this.done;
  }

  end(end: SessionEnd): void {
    if (this.done) return;
    this.done = true;
    this.store.unregister(this);
    this.resolveEnded(end);
  }

  campaignForController(): Promise<ControllerLeadership> {
    return this.store.campaign(this);
  }

  async close(): Promise<void> {
    this.end({ reason: 'closed' });
  }
}
