/**
 * Topic lifecycle on one broker: validation with Kafka's error codes, the durable topic table,
 * and the partition logs that go with it. Handlers call this; it never sees a request.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import type { BrokerConfig } from '../config/broker-configs.js';
import { validateTopicConfigs } from '../config/topic-config-values.js';
import type { LocalMetadataStore, TopicRecord } from '../metadata/local-store.js';
import { isInternalTopic, topicNameError } from '../metadata/topic-names.js';

/** What the topic service needs from whoever owns the partition logs. */
export interface PartitionLogs {
  createPartitions(topic: TopicRecord, from: number, to: number): Promise<void>;
  deleteTopic(topic: TopicRecord): Promise<void>;
  configsChanged(topic: TopicRecord): void;
}

export interface TopicResult {
  errorCode: number;
  errorMessage: string | null;
  topic?: TopicRecord;
}

const MAX_PARTITIONS = 100_000;

function fail(errorCode: number, errorMessage: string): TopicResult {
  return { errorCode, errorMessage };
}

export class TopicService {
  constructor(
    private readonly store: LocalMetadataStore,
    private readonly config: BrokerConfig,
    private readonly logs: PartitionLogs,
    /** Brokers available for replicas: one for a single node. */
    private readonly brokerCount: () => number,
  ) {}

  list(): TopicRecord[] {
    return this.store.topics();
  }

  get(name: string): TopicRecord | undefined {
    return this.store.topic(name);
  }

  getById(id: string): TopicRecord | undefined {
    return this.store.topicById(id);
  }

  async create(name: string, numPartitions: number, replicationFactor: number, configs: Record<string, string | null>, validateOnly: boolean): Promise<TopicResult> {
    const nameError = topicNameError(name);
    if (nameError) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, nameError);
    if (this.store.topic(name)) return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
    const partitions = numPartitions === -1 ? this.config.int('num.partitions') : numPartitions;
    if (partitions <= 0 || partitions > MAX_PARTITIONS) return fail(ErrorCode.INVALID_PARTITIONS, `Number of partitions must be between 1 and ${MAX_PARTITIONS}, got ${partitions}.`);
    const replicas = replicationFactor === -1 ? this.config.int('default.replication.factor') : replicationFactor;
    if (replicas <= 0) return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `Replication factor must be larger than 0, got ${replicas}.`);
    if (replicas > this.brokerCount()) return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `Unable to replicate the partition ${replicas} time(s): The target replication factor of ${replicas} cannot be reached because only ${this.brokerCount()} broker(s) are registered.`);
    const configError = validateTopicConfigs(configs);
    if (configError) return fail(ErrorCode.INVALID_CONFIG, configError);
    if (validateOnly) return { errorCode: ErrorCode.NONE, errorMessage: null, topic: { name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions, configs: configs as Record<string, string> } };
    const topic = await this.store.createTopic(name, partitions, configs as Record<string, string>);
    await this.logs.createPartitions(topic, 0, partitions);
    return { errorCode: ErrorCode.NONE, errorMessage: null, topic };
  }

  /** Creates a topic for a client that asked about it, when the broker allows it (auto.create.topics.enable). */
  async autoCreate(name: string): Promise<TopicResult> {
    const existing = this.store.topic(name);
    if (existing) return { errorCode: ErrorCode.NONE, errorMessage: null, topic: existing };
    return this.create(name, -1, -1, {}, false);
  }

  async delete(name: string): Promise<TopicResult> {
    if (!this.config.bool('delete.topic.enable')) return fail(ErrorCode.TOPIC_DELETION_DISABLED, 'Topic deletion is disabled.');
    const topic = this.store.topic(name);
    if (!topic) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `This server does not host this topic: ${name}`);
    if (isInternalTopic(name)) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, `Internal topic ${name} cannot be deleted.`);
    await this.store.deleteTopic(name);
    await this.logs.deleteTopic(topic);
    return { errorCode: ErrorCode.NONE, errorMessage: null, topic };
  }

  async addPartitions(name: string, count: number, validateOnly: boolean): Promise<TopicResult> {
    const topic = this.store.topic(name);
    if (!topic) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`);
    if (count < topic.partitions) return fail(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${topic.partitions} partitions, which is higher than the requested ${count}.`);
    if (count === topic.partitions) return fail(ErrorCode.INVALID_PARTITIONS, `Topic already has ${topic.partitions} partitions.`);
    if (count > MAX_PARTITIONS) return fail(ErrorCode.INVALID_PARTITIONS, `Number of partitions must be at most ${MAX_PARTITIONS}.`);
    if (validateOnly) return { errorCode: ErrorCode.NONE, errorMessage: null, topic };
    const updated = await this.store.setPartitionCount(name, count);
    await this.logs.createPartitions(updated, topic.partitions, count);
    return { errorCode: ErrorCode.NONE, errorMessage: null, topic: updated };
  }

  /** Replaces a topic's overrides (AlterConfigs) or sets them after incremental edits. */
  async setConfigs(name: string, configs: Record<string, string | null>, validateOnly: boolean): Promise<TopicResult> {
    const topic = this.store.topic(name);
    if (!topic) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${name} does not exist.`);
    const configError = validateTopicConfigs(configs);
    if (configError) return fail(ErrorCode.INVALID_CONFIG, configError);
    if (validateOnly) return { errorCode: ErrorCode.NONE, errorMessage: null, topic };
    const updated = await this.store.setConfigs(name, configs as Record<string, string>);
    this.logs.configsChanged(updated);
    return { errorCode: ErrorCode.NONE, errorMessage: null, topic: updated };
  }
}
