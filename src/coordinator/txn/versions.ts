/**
 * What each request version can be told. PRODUCER_FENCED (KIP-588) is newer than the first
 * versions of the transactional APIs; clients speaking those get INVALID_PRODUCER_EPOCH instead,
 * which they handle the same way (Kafka's KafkaApis does this per handler).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import type { PartitionError } from './coordinator.js';

export type TxnApi = 'InitProducerId' | 'AddPartitionsToTxn' | 'AddOffsetsToTxn' | 'EndTxn';

/** The first version of each API whose clients understand PRODUCER_FENCED. */
const FIRST_FENCED_VERSION: Record<TxnApi, number> = {
  InitProducerId: 4,
  AddPartitionsToTxn: 2,
  AddOffsetsToTxn: 2,
  EndTxn: 2,
};

export function errorForVersion(api: TxnApi, version: number, errorCode: number): number {
  return errorCode === ErrorCode.PRODUCER_FENCED && version < FIRST_FENCED_VERSION[api] ? ErrorCode.INVALID_PRODUCER_EPOCH : errorCode;
}

/** Per-partition codes in AddPartitionsToTxn's response shape (topic results, partitions in the order given). */
export function topicResults(errors: readonly PartitionError[]): { name: string; resultsByPartition: { partitionIndex: number; partitionErrorCode: number }[] }[] {
  const byTopic = new Map<string, { partitionIndex: number; partitionErrorCode: number }[]>();
  for (const e of errors) {
    let list = byTopic.get(e.topic);
    if (!list) byTopic.set(e.topic, (list = []));
    list.push({ partitionIndex: e.partition, partitionErrorCode: e.errorCode });
  }
  return [...byTopic].map(([name, resultsByPartition]) => ({ name, resultsByPartition }));
}
