/**
 * One transaction marker appended to a partition this broker leads, as WriteTxnMarkers does it
 * (and the local transaction coordinator, without a round trip): a COMMIT or ABORT control batch
 * at the coordinator's epoch, written with acks=all. A marker on a __consumer_offsets partition
 * also ends the transaction's pending offset commits there. Resolves to the partition's error code.
 */
import { ErrorCode, KafkaError } from '../protocol/error-codes.js';
import { ControlType } from '../protocol/records/control-record.js';
import { appendCommitted } from '../partition/committed-append.js';
import { logValidationConfig } from '../config/log-validation-config.js';
import type { BrokerServices } from './services.js';

const OFFSETS_TOPIC = '__consumer_offsets';

export interface MarkerToWrite {
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly coordinatorEpoch: number;
  readonly committed: boolean;
}

export async function appendMarkerHere(broker: BrokerServices, marker: MarkerToWrite, topic: string, index: number): Promise<number> {
  const partition = broker.replicas.get(topic, index);
  const record = broker.topics.get(topic);
  if (!partition || !record) return record && index >= 0 && index < record.partitions ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  let markerOffset = -1;
  try {
    const options = {
      purgatory: broker.replicas.purgatory,
      timeoutMs: broker.config.int('request.timeout.ms'),
      minInsyncReplicas: logValidationConfig(broker.config, record.configs).minInsyncReplicas,
    };
    await appendCommitted(partition, options, async () => {
      const type = marker.committed ? ControlType.COMMIT : ControlType.ABORT;
      markerOffset = (await partition.appendTxnMarker({ producerId: marker.producerId, producerEpoch: marker.producerEpoch, coordinatorEpoch: marker.coordinatorEpoch, type })).offset;
      return markerOffset;
    });
  } catch (err) {
    if (err instanceof KafkaError) return err.code;
    throw err;
  }
  // The transaction's offset commits on this partition become committed (or are dropped), in
  // their place in the log relative to the marker.
  if (topic === OFFSETS_TOPIC) broker.groups.completeTransaction(index, marker.producerId, marker.committed, markerOffset);
  return ErrorCode.NONE;
}
