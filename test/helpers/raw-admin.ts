/**
 * Topic admin calls over raw frames (one connection, one request at a time): CreateTopics,
 * CreatePartitions, DeleteTopics and Metadata, answered as plain objects. Tests open several of
 * these to send concurrent admin traffic for the same names.
 */
import { RawClient } from './raw-client.js';

export interface TopicAnswer {
  name: string | null;
  errorCode: number;
  errorMessage: string | null;
}

export interface MetadataTopic {
  name: string | null;
  errorCode: number;
  topicId: string;
  partitions: number;
}

interface CreateTopicsBody {
  topics: { name: string; errorCode: number; errorMessage: string | null }[];
}
interface CreatePartitionsBody {
  results: { name: string; errorCode: number; errorMessage: string | null }[];
}
interface DeleteTopicsBody {
  responses: { name: string | null; errorCode: number; errorMessage: string | null }[];
}
interface MetadataBody {
  topics: { name: string | null; errorCode: number; topicId: string; partitions: unknown[] }[];
}

export class RawAdmin {
  private correlationId = 1;

  private constructor(private readonly client: RawClient) {}

  static async open(bootstrap: string): Promise<RawAdmin> {
    return new RawAdmin(await RawClient.open(bootstrap));
  }

  private async call<T>(apiKey: number, apiVersion: number, body: unknown): Promise<T> {
    const id = this.correlationId++;
    this.client.sendRequest(apiKey, apiVersion, id, body);
    const answer = await this.client.response(apiKey, apiVersion, 60_000);
    if (answer === null) throw new Error(`the broker closed the connection instead of answering api ${apiKey}`);
    if (answer.correlationId !== id) throw new Error(`answer ${answer.correlationId} to request ${id}`);
    return answer.body as T;
  }

  async createTopic(name: string, numPartitions: number, validateOnly = false): Promise<TopicAnswer> {
    return (await this.createTopics([name], numPartitions, validateOnly))[0];
  }

  /** One CreateTopics request for several topics (the broker creates them one after another). */
  async createTopics(names: string[], numPartitions: number, validateOnly = false): Promise<TopicAnswer[]> {
    const body = await this.call<CreateTopicsBody>(19, 7, {
      topics: names.map((name) => ({ name, numPartitions, replicationFactor: -1, assignments: [], configs: [] })),
      timeoutMs: 30_000,
      validateOnly,
    });
    return body.topics.map(({ name, errorCode, errorMessage }) => ({ name, errorCode, errorMessage }));
  }

  async createPartitions(name: string, count: number, validateOnly = false): Promise<TopicAnswer> {
    return (await this.createPartitionsOf([name], count, validateOnly))[0];
  }

  /** One CreatePartitions request growing several topics to `count`. */
  async createPartitionsOf(names: string[], count: number, validateOnly = false): Promise<TopicAnswer[]> {
    const body = await this.call<CreatePartitionsBody>(37, 3, { topics: names.map((name) => ({ name, count, assignments: null })), timeoutMs: 30_000, validateOnly });
    return body.results.map(({ name, errorCode, errorMessage }) => ({ name, errorCode, errorMessage }));
  }

  async deleteTopic(name: string): Promise<TopicAnswer> {
    return (await this.deleteTopics([name]))[0];
  }

  async deleteTopics(names: string[]): Promise<TopicAnswer[]> {
    const body = await this.call<DeleteTopicsBody>(20, 5, { topicNames: names, timeoutMs: 30_000 });
    return body.responses.map(({ name, errorCode, errorMessage }) => ({ name, errorCode, errorMessage }));
  }

  async deleteTopicById(topicId: string): Promise<TopicAnswer> {
    const body = await this.call<DeleteTopicsBody>(20, 6, { topics: [{ name: null, topicId }], timeoutMs: 30_000 });
    return body.responses[0];
  }

  /** IncrementalAlterConfigs v1: SET each of `set` on topic `name`. */
  async setTopicConfigs(name: string, set: Record<string, string>): Promise<TopicAnswer> {
    const body = await this.call<{ responses: { resourceName: string; errorCode: number; errorMessage: string | null }[] }>(44, 1, {
      resources: [{ resourceType: 2, resourceName: name, configs: Object.entries(set).map(([key, value]) => ({ name: key, configOperation: 0, value })) }],
      validateOnly: false,
    });
    const r = body.responses[0];
    return { name: r.resourceName, errorCode: r.errorCode, errorMessage: r.errorMessage };
  }

  /** Produce v9 (acks=all) of one record batch to one partition; resolves with the partition's error code. */
  async produce(name: string, partition: number, records: Buffer): Promise<number> {
    const body = await this.call<{ responses: { partitionResponses: { errorCode: number }[] }[] }>(0, 9, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 30_000,
      topicData: [{ name, partitionData: [{ index: partition, records }] }],
    });
    return body.responses[0].partitionResponses[0].errorCode;
  }

  /** Metadata v12 for `names` (all topics when null), without auto-creation unless asked. */
  async metadata(names: string[] | null, allowAutoTopicCreation = false): Promise<MetadataTopic[]> {
    const body = await this.call<MetadataBody>(3, 12, {
      topics: names === null ? null : names.map((name) => ({ name })),
      allowAutoTopicCreation,
      includeTopicAuthorizedOperations: false,
    });
    return body.topics.map((t) => ({ name: t.name, errorCode: t.errorCode, topicId: t.topicId, partitions: t.partitions.length }));
  }

  close(): void {
    this.client.close();
  }
}
