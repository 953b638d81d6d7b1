/**
 * Diagnostics channel events for what clients move in and out per topic, published by the Produce
 * and Fetch handlers: the counts behind Kafka's BrokerTopicMetrics (MessagesInPerSec, BytesInPerSec,
 * BytesOutPerSec, ReplicationBytesOutPerSec, Total/FailedProduceRequestsPerSec, ...). Each call
 * costs one boolean check while nobody subscribes.
 */
import { channel } from 'node:diagnostics_channel';
import { batchesIn } from '../protocol/records/batch-records.js';
import type { BrokerServices } from './services.js';

export const PRODUCED_CHANNEL_NAME = 'tributary:api:produced';
export const FETCHED_CHANNEL_NAME = 'tributary:api:fetched';
const produced = channel(PRODUCED_CHANNEL_NAME);
const fetched = channel(FETCHED_CHANNEL_NAME);

/** One partition of a Produce request, appended (errorCode 0) or refused. */
export interface ProducedEvent {
  readonly broker: BrokerServices;
  readonly topic: string;
  readonly partition: number;
  readonly errorCode: number;
  /** Records appended (0 when refused). */
  readonly messages: number;
  /** The request's record bytes for the partition, as Kafka's BytesInPerSec counts them. */
  readonly bytes: number;
}

/** One partition of a Fetch answer. */
export interface FetchedEvent {
  readonly broker: BrokerServices;
  readonly topic: string;
  readonly errorCode: number;
  /** Record bytes in the answer. */
  readonly bytes: number;
  /** The fetch came from a follower broker (replication), not a consumer. */
  readonly follower: boolean;
}

/** A produced partition was appended (`appended` the batches as they went to the log) or refused (`appended` null). */
export function noteProduced(broker: BrokerServices, topic: string, partition: number, errorCode: number, requestBytes: number, appended: Buffer | null): void {
  if (!produced.hasSubscribers) return;
  let messages = 0;
  if (appended !== null) for (const batch of batchesIn(appended)) messages += batch.recordCount;
  const event: ProducedEvent = { broker, topic, partition, errorCode, messages, bytes: appended === null ? 0 : requestBytes };
  produced.publish(event);
}

export function noteFetched(broker: BrokerServices, partitions: readonly { wanted: { topic: string }; errorCode: number; records: Buffer }[], follower: boolean): void {
  if (!fetched.hasSubscribers) return;
  for (const p of partitions) {
    const event: FetchedEvent = { broker, topic: p.wanted.topic, errorCode: p.errorCode, bytes: p.records.length, follower };
    fetched.publish(event);
  }
}
