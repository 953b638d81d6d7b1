/**
 * A producer over raw frames, pinned to one broker address: every request goes to exactly that
 * socket (no metadata, no retries, no leader discovery), so a fault test can write straight to a
 * broker it has isolated and read each partition error code the broker answers. Also asks that
 * broker's Metadata for one partition's leader, epoch and ISR as the broker sees them.
 */
import { RawClient } from './raw-client.js';
import { buildBatch } from '../../src/protocol/records/batch-records.js';
import type { MetadataResponse, ProduceResponse } from '../../src/protocol/generated/index.js';

const PRODUCE = 0;
const PRODUCE_VERSION = 9;
const METADATA = 3;
const METADATA_VERSION = 9;

export interface ProduceAnswer {
  errorCode: number;
  baseOffset: number;
}

export interface PartitionView {
  leader: number;
  leaderEpoch: number;
  isr: number[];
  replicas: number[];
}

export class RawProducer {
  private correlationId = 1;

  private constructor(private readonly client: RawClient) {}

  static async open(address: string): Promise<RawProducer> {
    return new RawProducer(await RawClient.open(address));
  }

  private async call<T>(apiKey: number, version: number, body: unknown, answerWithinMs: number): Promise<T> {
    const id = this.correlationId++;
    this.client.sendRequest(apiKey, version, id, body);
    const answer = await this.client.response(apiKey, version, answerWithinMs);
    if (answer === null) throw new Error(`the broker closed the connection instead of answering api ${apiKey}`);
    if (answer.correlationId !== id) throw new Error(`answer ${answer.correlationId} to request ${id}`);
    return answer.body as T;
  }

  /** One record `value` to `topic`-`partition` with `acks`; the broker has `timeoutMs` to commit it. */
  async produce(topic: string, partition: number, value: string, acks: number, timeoutMs: number): Promise<ProduceAnswer> {
    const records = await buildBatch([{ key: null, value: Buffer.from(value), timestamp: Date.now() }]);
    const body = { transactionalId: null, acks, timeoutMs, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] };
    const response = await this.call<ProduceResponse>(PRODUCE, PRODUCE_VERSION, body, timeoutMs + 10_000);
    const p = response.responses[0].partitionResponses[0];
    return { errorCode: p.errorCode, baseOffset: Number(p.baseOffset) };
  }

  /** The partition as this broker's metadata has it; null when it does not know the topic. */
  async partition(topic: string, partition: number): Promise<PartitionView | null> {
    const body = { topics: [{ name: topic, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false };
    const response = await this.call<MetadataResponse>(METADATA, METADATA_VERSION, body, 10_000);
    const p = response.topics[0]?.partitions.find((x) => x.partitionIndex === partition);
    if (!p) return null;
    return { leader: p.leaderId, leaderEpoch: p.leaderEpoch, isr: [...p.isrNodes].sort(), replicas: [...p.replicaNodes].sort() };
  }

  close(): void {
    this.client.close();
  }
}

/** Asks the broker at `address` (one short connection) how it sees `topic`-`partition`. */
export async function partitionSeenBy(address: string, topic: string, partition = 0): Promise<PartitionView | null> {
  const probe = await RawProducer.open(address);
  try {
    return await probe.partition(topic, partition);
  } finally {
    probe.close();
  }
}
