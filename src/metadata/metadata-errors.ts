/**
 * How metadata stores fail. A caller's mistake (the topic exists, the id is stale) is a KafkaError
 * with Kafka's code, so a handler can answer it as it is; an unreachable store is a
 * MetadataUnavailableError, which is retriable and says which store could not be reached.
 */
import { ErrorCode, KafkaError } from '../protocol/error-codes.js';

export class MetadataUnavailableError extends Error {
  override readonly name = 'MetadataUnavailableError';
  /** What a client waiting on the store is answered: Kafka's retriable REQUEST_TIMED_OUT. */
  readonly code = ErrorCode.REQUEST_TIMED_OUT;
}

export function topicExists(name: string): KafkaError {
  return new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
}

export function unknownTopic(name: string): KafkaError {
  return new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
}

export function staleTopicId(name: string, topicId: string, actual: string): KafkaError {
  return new KafkaError(ErrorCode.UNKNOWN_TOPIC_ID, `Topic '${name}' has id ${actual}, not ${topicId}.`);
}

export function partitionCountChanged(name: string, expected: number, actual: number): KafkaError {
  return new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic '${name}' has ${actual} partitions, not the ${expected} this change was based on.`);
}

export function duplicateBroker(nodeId: number): KafkaError {
  return new KafkaError(ErrorCode.DUPLICATE_BROKER_REGISTRATION, `Broker ${nodeId} is already registered by another live broker process.`);
}

/** A value in the store that is not what Tributary writes there. */
export function corruptValue(key: string, why: string): KafkaError {
  return new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `The metadata at ${key} cannot be read: ${why}.`);
}

/** A fenced controller write made after the controller's election ended. */
export function notController(epoch: number): KafkaError {
  return new KafkaError(ErrorCode.NOT_CONTROLLER, `The controller elected at epoch ${epoch} is no longer the controller.`);
}
