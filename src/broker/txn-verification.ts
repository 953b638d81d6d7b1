/**
 * KIP-890 produce verification, the leader's side: asks the coordinator of a transactional id
 * whether a partition is in the producer's ongoing transaction. The coordinator is the leader of
 * the id's __transaction_state partition: this broker's own transaction coordinator (no round
 * trip) or a peer, asked with AddPartitionsToTxn v4 verifyOnly as Kafka's brokers do. The answer
 * is the error code the Produce handler gives the partition.
 */
import type { ClusterView } from '../metadata/cluster-view.js';
import type { TransactionCoordinator } from '../coordinator/txn/transaction-coordinator.js';
import { partitionForTransactionalId } from '../coordinator/txn/records.js';
import type { AddPartitionsToTxnResponse } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { TransactionVerifier } from '../api/services.js';
import type { PeerRequests } from './peer-requests.js';
import { TXN_STATE_TOPIC } from './txn.js';

const ADD_PARTITIONS_TO_TXN = 24;
const VERIFY_VERSION = 4;

/**
 * What the producer is told: the partition is not in the transaction (it ended, or the producer
 * never added it) is INVALID_TXN_STATE; a coordinator that cannot answer now is NOT_ENOUGH_REPLICAS,
 * which every client retries (Kafka 3.6's choice, for clients older than TRANSACTION_ABORTABLE).
 */
function produceError(coordinatorCode: number): number {
  switch (coordinatorCode) {
    case ErrorCode.NONE:
      return ErrorCode.NONE;
    case ErrorCode.TRANSACTION_ABORTABLE:
    case ErrorCode.INVALID_TXN_STATE:
      return ErrorCode.INVALID_TXN_STATE;
    case ErrorCode.PRODUCER_FENCED:
    case ErrorCode.INVALID_PRODUCER_EPOCH:
      return ErrorCode.INVALID_PRODUCER_EPOCH;
    case ErrorCode.INVALID_PRODUCER_ID_MAPPING:
      return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    default:
      return ErrorCode.NOT_ENOUGH_REPLICAS;
  }
}

export function transactionVerifier(view: ClusterView, nodeId: number, local: () => TransactionCoordinator, peers: PeerRequests): TransactionVerifier {
  return async ({ transactionalId, producerId, producerEpoch, topic, partition }) => {
    const stateTopic = view.topic(TXN_STATE_TOPIC);
    if (!stateTopic) return ErrorCode.NOT_ENOUGH_REPLICAS;
    const leader = view.partition(stateTopic.topicId, partitionForTransactionalId(transactionalId, stateTopic.partitions))?.state.leader ?? -1;
    const request = { transactionalId, producerId, producerEpoch, partitions: [{ topic, partition }] };
    if (leader === nodeId) return produceError(local().verifyPartitions(request)[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR);
    if (leader < 0) return ErrorCode.NOT_ENOUGH_REPLICAS;
    try {
      const body = { transactions: [{ transactionalId, producerId, producerEpoch, verifyOnly: true, topics: [{ name: topic, partitions: [partition] }] }] };
      const response = await peers.request<AddPartitionsToTxnResponse>(leader, ADD_PARTITIONS_TO_TXN, VERIFY_VERSION, body);
      if (response.errorCode !== ErrorCode.NONE) return produceError(response.errorCode);
      const code = response.resultsByTransaction[0]?.topicResults[0]?.resultsByPartition[0]?.partitionErrorCode;
      return produceError(code ?? ErrorCode.UNKNOWN_SERVER_ERROR);
    } catch {
      return ErrorCode.NOT_ENOUGH_REPLICAS;
    }
  };
}
