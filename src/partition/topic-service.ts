/**
 * Topic lifecycle as a broker serves it: validation with Kafka's error codes, the change written
 * to the metadata store (the single node's files or etcd), and the wait until this broker has
 * applied it. Handlers call this; it never sees a request.
 *
 * Reads come from the broker's watch-fed view of the store. This broker's partition logs are
 * created and removed in one place, the metadata applier (which also acts on changes other
 * brokers make); a mutation here waits for it, so when CreateTopics answers, the partitions this
 * broker holds are open, and when DeleteTopics answers their logs are set aside.
 *
 * Mutations of one topic name run one at a time on this broker (CreateTopics, CreatePartitions,
 * DeleteTopics, configs, auto-creation), so their checks and effects never interleave; across
 * brokers the store's own checks (name taken, topic id, partition count) decide.
 */
import { ErrorCode, KafkaError } from '../protocol/error-codes.js';
import type { BrokerConfig } from '../config/broker-configs.js';
import { validateTopicConfigs } from '../config/topic-config-values.js';
import type { TopicRecord } from '../metadata/local-store.js';
import { initialPartitionState, type MetadataStore, type PartitionState } from '../metadata/metadata-store.js';
import type { ClusterView } from '../metadata/cluster-view.js';
import { isInternalTopic, topicNameError } from '../metadata/topic-names.js';
import { KeyedSerializer } from './keyed-serializer.js';
import { PartitionBudget } from './partition-budget.js';

/** What the topic service needs from whoever applies metadata to this broker's partition logs. */
export interface LocalTopicApplier {
  /**
   * Brings this broker's logs of topic `name` in line with the view now (opens the partitions it
   * holds, removes those of a deleted topic) and resolves when done; throws what went wrong.
   */
  apply(name: string): Promise<void>;
  /** Calls `listener` after the logs of a deleted topic are set aside, before `apply` resolves. */
  onTopicDeleted(listener: (topic: TopicRecord) => Promise<void>): void;
}

/**
 * Chooses the replicas of partitions `from` up to `to` of a topic with `replicationFactor`
 * replicas, among the live brokers; the first replica is the preferred leader.
 */
export type ReplicaAssigner = (topic: string, from: number, to: number, replicationFactor: number) => number[][];

/** A replica assignment a client named that cannot be used: Kafka's error code and message. */
export interface AssignmentRefusal {
  readonly code: number;
  readonly message: string;
}

/**
 * Where new partitions' replicas go: chosen by the broker (`assign`), or named by the client and
 * checked first (CreateTopics and CreatePartitions `assignments`). The root wires Kafka's rules
 * (controller/replica-assignment.ts, controller/assignment-validation.ts) over the live brokers.
 */
export interface ReplicaPlacement {
  readonly assign: ReplicaAssigner;
  /** CreateTopics: replica lists by partition number (0, 1, …), or why not. */
  checkTopicAssignment(assignments: readonly { readonly partition: number; readonly brokerIds: readonly number[] }[]): AssignmentRefusal | null;
  /** CreatePartitions: the replica lists of the added partitions from `firstPartition` on, or why not. */
  checkAddedAssignment(assignments: readonly (readonly number[])[], added: number, firstPartition: number, replicationFactor: number): AssignmentRefusal | null;
}

/** How a new topic's partitions are laid out: counts (-1 = the broker default), or explicit replica lists. */
export type TopicLayout =
  | { readonly numPartitions: number; readonly replicationFactor: number }
  | { readonly assignments: readonly { readonly partition: number; readonly brokerIds: readonly number[] }[] };

export interface TopicResult {
  errorCode: number;
  errorMessage: string | null;
  topic?: TopicRecord;
}

function fail(errorCode: number, errorMessage: string): TopicResult {
  return { errorCode, errorMessage };
}

function ok(topic: TopicRecord): TopicResult {
  return { errorCode: ErrorCode.NONE, errorMessage: null, topic };
}

/** A refusal with a Kafka error code, or a storage failure reported as KAFKA_STORAGE_ERROR. */
function failure(err: unknown, doing: string): TopicResult {
  if (err instanceof KafkaError) return fail(err.code, err.message);
  return fail(ErrorCode.KAFKA_STORAGE_ERROR, `${doing} failed: ${err instanceof Error ? err.message : String(err)}`);
}

/** How long a mutation waits for this broker's view to show what the store accepted. */
const VIEW_WAIT_MS = 30_000;

export class TopicService {
  private readonly serial = new KeyedSerializer();
  private readonly budget: PartitionBudget;
  private closing = false;

  constructor(
    private readonly store: MetadataStore,
    private readonly view: ClusterView,
    private readonly config: BrokerConfig,
    private readonly applier: LocalTopicApplier,
    private readonly placement: ReplicaPlacement,
  ) {
    this.budget = new PartitionBudget(config, () => view.topics().reduce((n, t) => n + t.partitions, 0));
  }

  list(): TopicRecord[] {
    return this.view.topics();
  }

  get(name: string): TopicRecord | undefined {
    return this.view.topic(name);
  }

  getById(id: string): TopicRecord | undefined {
    return this.view.topicById(id);
  }

  /**
   * Calls `listener` after each topic deletion this broker applies (its own or another broker's),
   * with the topic's logs set aside; the group coordinator drops the topic's committed offsets there.
   * The listener reports its own failures: the deletion stands whatever it does.
   */
  onTopicDeleted(listener: (topic: TopicRecord) => Promise<void>): void {
    this.applier.onTopicDeleted(listener);
  }

  /** Runs a mutation of topic `name` after the earlier ones of that name; refused once the broker stops. */
  private mutate(name: string, task: () => Promise<TopicResult>): Promise<TopicResult> {
    if (this.closing) return Promise.resolve(fail(ErrorCode.BROKER_NOT_AVAILABLE, 'The broker is shutting down.'));
    return this.serial.run(name, task);
  }

  /**
   * Creates topic `name` with `numPartitions` partitions of `replicationFactor` replicas (-1: the
   * broker defaults), or, given a TopicLayout with `assignments`, with exactly those replica lists.
   */
  create(name: string, layout: TopicLayout, configs: Record<string, string | null>, validateOnly: boolean): Promise<TopicResult> {
    const nameError = topicNameError(name);
    if (nameError) return Promise.resolve(fail(ErrorCode.INVALID_TOPIC_EXCEPTION, nameError));
    return this.mutate(name, () => this.createNow(name, layout, configs, validateOnly));
  }

  /** Creates a topic for a client that asked about it, when the broker allows it (auto.create.topics.enable). */
  autoCreate(name: string): Promise<TopicResult> {
    const existing = this.view.topic(name);
    if (existing) return Promise.resolve(ok(existing));
    const nameError = topicNameError(name);
    if (nameError) return Promise.resolve(fail(ErrorCode.INVALID_TOPIC_EXCEPTION, nameError));
    return this.mutate(name, () => {
      const raced = this.view.topic(name);
      return raced ? Promise.resolve(ok(raced)) : this.createNow(name, { numPartitions: -1, replicationFactor: -1 }, {}, false);
    });
  }

  /** The initial partition states of a new topic, or why it cannot be laid out so. */
  private layOut(name: string, layout: TopicLayout): PartitionState[] | TopicResult {
    if ('assignments' in layout) {
      const refused = this.placement.checkTopicAssignment(layout.assignments);
      if (refused) return fail(refused.code, refused.message);
      const byPartition = [...layout.assignments].sort((a, b) => a.partition - b.partition);
      return byPartition.map((a) => initialPartitionState(a.brokerIds, (id) => this.view.isAlive(id)));
    }
    const partitions = layout.numPartitions === -1 ? this.config.int('num.partitions') : layout.numPartitions;
    if (partitions <= 0) return fail(ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.');
    const replicas = layout.replicationFactor === -1 ? this.config.int('default.replication.factor') : layout.replicationFactor;
    if (replicas <= 0) return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `Replication factor must be larger than 0, got ${replicas}.`);
    const brokers = this.view.brokers().length;
    if (replicas > brokers) return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `Unable to replicate the partition ${replicas} time(s): The target replication factor of ${replicas} cannot be reached because only ${brokers} broker(s) are registered.`);
    // Before the states are laid out: a request for two billion partitions must not build two billion replica lists first.
    const overLimit = this.budget.check(name, 0, partitions);
    if (overLimit) return fail(overLimit.errorCode, overLimit.message);
    try {
      return this.newStates(name, 0, partitions, replicas);
    } catch (err) {
      return failure(err, `Assigning the replicas of ${name}`);
    }
  }

  private async createNow(name: string, layout: TopicLayout, configs: Record<string, string | null>, validateOnly: boolean): Promise<TopicResult> {
    if (this.view.topic(name)) return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
    const states = this.layOut(name, layout);
    if (!Array.isArray(states)) return states;
    const partitions = states.length;
    const configError = validateTopicConfigs(configs);
    if (configError) return fail(ErrorCode.INVALID_CONFIG, configError);
    const overLimit = this.budget.check(name, 0, partitions);
    if (overLimit) return fail(overLimit.errorCode, overLimit.message);
    if (validateOnly) return ok({ name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions, configs: configs as Record<string, string> });
    return this.budget.reserve(partitions, async (recorded) => {
      let created: TopicRecord;
      try {
        created = await this.store.createTopic({ name, configs: configs as Record<string, string>, partitions: states });
        recorded();
        await this.seen(() => this.view.topic(name)?.topicId === created.topicId);
      } catch (err) {
        return failure(err, `Recording topic ${name}`);
      }
      try {
        await this.applier.apply(name);
      } catch (err) {
        // This broker could not open its partitions: the creation is undone, as if it never was.
        await this.store.deleteTopic(name, created.topicId).catch(() => undefined);
        await this.awaitGone(name, created.topicId);
        await this.applier.apply(name).catch(() => undefined);
        return failure(err, `Creating the partitions of ${name}`);
      }
      return ok(created);
    });
  }

  private newStates(name: string, from: number, to: number, replicationFactor: number): PartitionState[] {
    return this.placement.assign(name, from, to, replicationFactor).map((replicas) => initialPartitionState(replicas, (id) => this.view.isAlive(id)));
  }

  private awaitGone(name: string, topicId: string): Promise<void> {
    return this.seen(() => this.view.topic(name)?.topicId !== topicId);
  }

  /**
   * Waits until this broker's view shows a change the store has accepted (the store's watch brings
   * it, at once on a single node); a watch that lost the store gives up after VIEW_WAIT_MS, and
   * the request answers REQUEST_TIMED_OUT (the change itself stands, and shows once the watch is back).
   */
  private seen(condition: () => boolean): Promise<void> {
    return this.view.waitFor(condition, AbortSignal.timeout(VIEW_WAIT_MS)).catch((err: unknown) => {
      if (condition()) return;
      throw new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `The change was recorded, but this broker did not see it within ${VIEW_WAIT_MS} ms (${err instanceof Error ? err.message : String(err)}).`);
    });
  }

  /** Deletes topic `name`; with `topicId`, only while the topic of that name still has that id. */
  delete(name: string, topicId?: string): Promise<TopicResult> {
    return this.mutate(name, async () => {
      if (!this.config.bool('delete.topic.enable')) return fail(ErrorCode.TOPIC_DELETION_DISABLED, 'Topic deletion is disabled.');
      const topic = this.view.topic(name);
      if (topicId !== undefined && topic?.topicId !== topicId) return fail(ErrorCode.UNKNOWN_TOPIC_ID, `Topic id ${topicId} does not exist.`);
      if (!topic) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `This server does not host this topic: ${name}`);
      if (isInternalTopic(name)) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, `Internal topic ${name} cannot be deleted.`);
      try {
        await this.store.deleteTopic(name, topic.topicId);
        await this.awaitGone(name, topic.topicId);
      } catch (err) {
        return failure(err, `Deleting topic ${name}`);
      }
      try {
        await this.applier.apply(name);
      } catch (err) {
        // The topic is gone from the store; what could not be set aside now is at the next creation or start.
        return { ...failure(err, `Setting aside the logs of deleted topic ${name}`), topic };
      }
      return ok(topic);
    });
  }

  /**
   * Grows topic `name` to `count` partitions; with `assignments`, the added partitions get those
   * replica lists (one per added partition), else the broker places them.
   */
  addPartitions(name: string, count: number, validateOnly: boolean, assignments: readonly (readonly number[])[] | null = null): Promise<TopicResult> {
    return this.mutate(name, async () => {
      const topic = this.view.topic(name);
      if (!topic) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`);
      if (count < topic.partitions) return fail(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${topic.partitions} partitions, which is higher than the requested ${count}.`);
      if (count === topic.partitions) return fail(ErrorCode.INVALID_PARTITIONS, `Topic already has ${topic.partitions} partitions.`);
      const replicationFactor = this.view.partition(topic.topicId, 0)?.state.replicas.length ?? 1;
      if (assignments !== null) {
        const refused = this.placement.checkAddedAssignment(assignments, count - topic.partitions, topic.partitions, replicationFactor);
        if (refused) return fail(refused.code, refused.message);
      }
      const overLimit = this.budget.check(name, topic.partitions, count);
      if (overLimit) return fail(overLimit.errorCode, overLimit.message);
      if (validateOnly) return ok(topic);
      let states: PartitionState[];
      if (assignments !== null) {
        states = assignments.map((replicas) => initialPartitionState(replicas, (id) => this.view.isAlive(id)));
      } else {
        if (replicationFactor > this.view.brokers().length) {
          return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `Unable to replicate the new partitions ${replicationFactor} time(s): only ${this.view.brokers().length} broker(s) are registered.`);
        }
        try {
          states = this.newStates(name, topic.partitions, count, replicationFactor);
        } catch (err) {
          return failure(err, `Assigning the replicas of ${name}`);
        }
      }
      return this.budget.reserve(count - topic.partitions, async (recorded) => {
        let updated: TopicRecord;
        try {
          updated = await this.store.addPartitions(name, topic.topicId, topic.partitions, states);
          recorded();
          await this.seen(() => (this.view.topic(name)?.partitions ?? count) >= count || this.view.topic(name)?.topicId !== topic.topicId);
        } catch (err) {
          return failure(err, `Recording the partitions of ${name}`);
        }
        try {
          await this.applier.apply(name);
        } catch (err) {
          // The partitions exist; this broker's copies of them are offline until a restart recovers them.
          return failure(err, `Creating partitions of ${name}`);
        }
        return ok(updated);
      });
    });
  }

  /** Replaces a topic's overrides (AlterConfigs). */
  setConfigs(name: string, configs: Record<string, string | null>, validateOnly: boolean): Promise<TopicResult> {
    return this.editConfigs(name, () => configs, validateOnly);
  }

  /**
   * Sets a topic's overrides to what `edit` makes of the current ones (IncrementalAlterConfigs), in
   * the topic's turn, so concurrent edits never lose one another. `edit` returns an error text to refuse.
   */
  editConfigs(name: string, edit: (topic: TopicRecord) => Record<string, string | null> | string, validateOnly: boolean): Promise<TopicResult> {
    return this.mutate(name, async () => {
      const topic = this.view.topic(name);
      if (!topic) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${name} does not exist.`);
      const configs = edit(topic);
      if (typeof configs === 'string') return fail(ErrorCode.INVALID_CONFIG, configs);
      const configError = validateTopicConfigs(configs);
      if (configError) return fail(ErrorCode.INVALID_CONFIG, configError);
      if (validateOnly) return ok(topic);
      try {
        const updated = await this.store.setTopicConfigs(name, topic.topicId, configs as Record<string, string>);
        await this.seen(() => this.view.topic(name) !== topic);
        await this.applier.apply(name);
        return ok(updated);
      } catch (err) {
        return failure(err, `Setting the configs of ${name}`);
      }
    });
  }

  /** Refuses new mutations and waits for the running ones (at shutdown, before the logs close). */
  async close(): Promise<void> {
    this.closing = true;
    await this.serial.idle();
  }
}
