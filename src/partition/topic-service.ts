/**
 * Topic lifecycle on one broker: validation with Kafka's error codes, the durable topic table,
 * and the partition logs that go with it. Handlers call this; it never sees a request.
 *
 * Mutations of one topic name run one at a time (CreateTopics, CreatePartitions, DeleteTopics,
 * configs, auto-creation), so their checks and effects never interleave. Partitions are created
 * before the topic table shows them: a client never sees a partition whose log is not open yet,
 * and a topic leaves the table before its logs are set aside.
 */
import { ErrorCode, KafkaError } from '../protocol/error-codes.js';
import type { BrokerConfig } from '../config/broker-configs.js';
import { validateTopicConfigs } from '../config/topic-config-values.js';
import { newKafkaId, type LocalMetadataStore, type TopicRecord } from '../metadata/local-store.js';
import { isInternalTopic, topicNameError } from '../metadata/topic-names.js';
import { KeyedSerializer } from './keyed-serializer.js';
import { PartitionBudget } from './partition-budget.js';

/** What the topic service needs from whoever owns the partition logs. */
export interface PartitionLogs {
  createPartitions(topic: TopicRecord, from: number, to: number): Promise<void>;
  deletePartitions(topic: TopicRecord, from: number, to: number): Promise<void>;
  deleteTopic(topic: TopicRecord): Promise<void>;
  configsChanged(topic: TopicRecord): void;
}

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

export class TopicService {
  private readonly serial = new KeyedSerializer();
  private readonly budget: PartitionBudget;
  private closing = false;
  private readonly deletedListeners: ((topic: TopicRecord) => Promise<void>)[] = [];

  constructor(
    private readonly store: LocalMetadataStore,
    private readonly config: BrokerConfig,
    private readonly logs: PartitionLogs,
    /** Brokers available for replicas: one for a single node. */
    private readonly brokerCount: () => number,
  ) {
    this.budget = new PartitionBudget(config, () => store.topics().reduce((n, t) => n + t.partitions, 0));
  }

  list(): TopicRecord[] {
    return this.store.topics();
  }

  get(name: string): TopicRecord | undefined {
    return this.store.topic(name);
  }

  getById(id: string): TopicRecord | undefined {
    return this.store.topicById(id);
  }

  /**
   * Calls `listener` after each topic deletion, within the deletion's turn (a topic created again
   * under the name waits for it); the group coordinator drops the topic's committed offsets there.
   * The listener reports its own failures: the deletion stands whatever it does.
   */
  onTopicDeleted(listener: (topic: TopicRecord) => Promise<void>): void {
    this.deletedListeners.push(listener);
  }

  /** Runs a mutation of topic `name` after the earlier ones of that name; refused once the broker stops. */
  private mutate(name: string, task: () => Promise<TopicResult>): Promise<TopicResult> {
    if (this.closing) return Promise.resolve(fail(ErrorCode.BROKER_NOT_AVAILABLE, 'The broker is shutting down.'));
    return this.serial.run(name, task);
  }

  create(name: string, numPartitions: number, replicationFactor: number, configs: Record<string, string | null>, validateOnly: boolean): Promise<TopicResult> {
    const nameError = topicNameError(name);
    if (nameError) return Promise.resolve(fail(ErrorCode.INVALID_TOPIC_EXCEPTION, nameError));
    return this.mutate(name, () => this.createNow(name, numPartitions, replicationFactor, configs, validateOnly));
  }

  /** Creates a topic for a client that asked about it, when the broker allows it (auto.create.topics.enable). */
  autoCreate(name: string): Promise<TopicResult> {
    const existing = this.store.topic(name);
    if (existing) return Promise.resolve(ok(existing));
    const nameError = topicNameError(name);
    if (nameError) return Promise.resolve(fail(ErrorCode.INVALID_TOPIC_EXCEPTION, nameError));
    return this.mutate(name, () => {
      const raced = this.store.topic(name);
      return raced ? Promise.resolve(ok(raced)) : this.createNow(name, -1, -1, {}, false);
    });
  }

  private async createNow(name: string, numPartitions: number, replicationFactor: number, configs: Record<string, string | null>, validateOnly: boolean): Promise<TopicResult> {
    if (this.store.topic(name)) return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
    const partitions = numPartitions === -1 ? this.config.int('num.partitions') : numPartitions;
    if (partitions <= 0) return fail(ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.');
    const replicas = replicationFactor === -1 ? this.config.int('default.replication.factor') : replicationFactor;
    if (replicas <= 0) return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `Replication factor must be larger than 0, got ${replicas}.`);
    if (replicas > this.brokerCount()) return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `Unable to replicate the partition ${replicas} time(s): The target replication factor of ${replicas} cannot be reached because only ${this.brokerCount()} broker(s) are registered.`);
    const configError = validateTopicConfigs(configs);
    if (configError) return fail(ErrorCode.INVALID_CONFIG, configError);
    const overLimit = this.budget.check(name, 0, partitions);
    if (overLimit) return fail(overLimit.errorCode, overLimit.message);
    const topic: TopicRecord = { name, topicId: newKafkaId(), partitions, configs: configs as Record<string, string> };
    if (validateOnly) return ok({ ...topic, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' });
    return this.budget.reserve(partitions, async (recorded) => {
      try {
        await this.logs.createPartitions(topic, 0, partitions);
      } catch (err) {
        return failure(err, `Creating the partitions of ${name}`);
      }
      try {
        const created = await this.store.createTopic(topic);
        recorded();
        return ok(created);
      } catch (err) {
        await this.logs.deleteTopic(topic).catch(() => undefined);
        return failure(err, `Recording topic ${name}`);
      }
    });
  }

  /** Deletes topic `name`; with `topicId`, only while the topic of that name still has that id. */
  delete(name: string, topicId?: string): Promise<TopicResult> {
    return this.mutate(name, async () => {
      if (!this.config.bool('delete.topic.enable')) return fail(ErrorCode.TOPIC_DELETION_DISABLED, 'Topic deletion is disabled.');
      const topic = this.store.topic(name);
      if (topicId !== undefined && topic?.topicId !== topicId) return fail(ErrorCode.UNKNOWN_TOPIC_ID, `Topic id ${topicId} does not exist.`);
      if (!topic) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `This server does not host this topic: ${name}`);
      if (isInternalTopic(name)) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, `Internal topic ${name} cannot be deleted.`);
      try {
        await this.store.deleteTopic(name, topic.topicId);
      } catch (err) {
        return failure(err, `Deleting topic ${name}`);
      }
      let logsError: unknown = null;
      try {
        await this.logs.deleteTopic(topic);
      } catch (err) {
        logsError = err;
      }
      for (const listener of this.deletedListeners) await listener(topic).catch(() => undefined);
      // The topic is gone from the table; what could not be set aside now is at the next creation or start.
      if (logsError !== null) return { ...failure(logsError, `Setting aside the logs of deleted topic ${name}`), topic };
      return ok(topic);
    });
  }

  addPartitions(name: string, count: number, validateOnly: boolean): Promise<TopicResult> {
    return this.mutate(name, async () => {
      const topic = this.store.topic(name);
      if (!topic) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`);
      if (count < topic.partitions) return fail(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${topic.partitions} partitions, which is higher than the requested ${count}.`);
      if (count === topic.partitions) return fail(ErrorCode.INVALID_PARTITIONS, `Topic already has ${topic.partitions} partitions.`);
      const overLimit = this.budget.check(name, topic.partitions, count);
      if (overLimit) return fail(overLimit.errorCode, overLimit.message);
      if (validateOnly) return ok(topic);
      return this.budget.reserve(count - topic.partitions, async (recorded) => {
        try {
          await this.logs.createPartitions(topic, topic.partitions, count);
        } catch (err) {
          return failure(err, `Creating partitions of ${name}`);
        }
        try {
          const updated = await this.store.setPartitionCount(name, topic.topicId, count);
          recorded();
          return ok(updated);
        } catch (err) {
          await this.logs.deletePartitions(topic, topic.partitions, count).catch(() => undefined);
          return failure(err, `Recording the partitions of ${name}`);
        }
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
      const topic = this.store.topic(name);
      if (!topic) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${name} does not exist.`);
      const configs = edit(topic);
      if (typeof configs === 'string') return fail(ErrorCode.INVALID_CONFIG, configs);
      const configError = validateTopicConfigs(configs);
      if (configError) return fail(ErrorCode.INVALID_CONFIG, configError);
      if (validateOnly) return ok(topic);
      try {
        const updated = await this.store.setConfigs(name, topic.topicId, configs as Record<string, string>);
        this.logs.configsChanged(updated);
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
