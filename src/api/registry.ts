/** Every API handler this broker has; importing this module registers them. */
import { registerHandlers } from './api-table.js';
import type { AnyApiHandler } from './handler.js';
import { apiVersionsHandler } from './api-versions.js';
import { metadataHandler } from './metadata.js';
import { produceHandler } from './produce.js';
import { fetchHandler } from './fetch.js';
import { listOffsetsHandler } from './list-offsets.js';
import { createTopicsHandler } from './create-topics.js';
import { deleteTopicsHandler } from './delete-topics.js';
import { createPartitionsHandler } from './create-partitions.js';
import { describeConfigsHandler } from './describe-configs.js';
import { alterConfigsHandler } from './alter-configs.js';
import { incrementalAlterConfigsHandler } from './incremental-alter-configs.js';
import { describeClusterHandler } from './describe-cluster.js';
import { deleteRecordsHandler } from './delete-records.js';
import { findCoordinatorHandler } from './find-coordinator.js';
import { joinGroupHandler } from './join-group.js';
import { syncGroupHandler } from './sync-group.js';
import { heartbeatHandler } from './heartbeat.js';
import { leaveGroupHandler } from './leave-group.js';
import { offsetCommitHandler } from './offset-commit.js';
import { offsetFetchHandler } from './offset-fetch.js';
import { listGroupsHandler } from './list-groups.js';
import { describeGroupsHandler } from './describe-groups.js';
import { deleteGroupsHandler } from './delete-groups.js';
import { offsetDeleteHandler } from './offset-delete.js';
import { initProducerIdHandler } from './init-producer-id.js';
import { addPartitionsToTxnHandler } from './add-partitions-to-txn.js';
import { addOffsetsToTxnHandler } from './add-offsets-to-txn.js';
import { endTxnHandler } from './end-txn.js';
import { writeTxnMarkersHandler } from './write-txn-markers.js';
import { txnOffsetCommitHandler } from './txn-offset-commit.js';
import { describeTransactionsHandler } from './describe-transactions.js';
import { listTransactionsHandler } from './list-transactions.js';
import { describeProducersHandler } from './describe-producers.js';
import { offsetForLeaderEpochHandler } from './offset-for-leader-epoch.js';
import { electLeadersHandler } from './elect-leaders.js';
import { describeLogDirsHandler } from './describe-log-dirs.js';
import { alterPartitionReassignmentsHandler } from './alter-partition-reassignments.js';
import { listPartitionReassignmentsHandler } from './list-partition-reassignments.js';
import { saslHandshakeHandler } from './sasl-handshake.js';
import { saslAuthenticateHandler } from './sasl-authenticate.js';
import { describeUserScramCredentialsHandler } from './describe-user-scram-credentials.js';
import { alterUserScramCredentialsHandler } from './alter-user-scram-credentials.js';
import { describeClientQuotasHandler } from './describe-client-quotas.js';
import { alterClientQuotasHandler } from './alter-client-quotas.js';
import { createAclsHandler } from './create-acls.js';
import { describeAclsHandler } from './describe-acls.js';
import { deleteAclsHandler } from './delete-acls.js';

const ALL: readonly AnyApiHandler[] = [
  apiVersionsHandler,
  metadataHandler,
  produceHandler,
  fetchHandler,
  listOffsetsHandler,
  createTopicsHandler,
  deleteTopicsHandler,
  createPartitionsHandler,
  describeConfigsHandler,
  alterConfigsHandler,
  incrementalAlterConfigsHandler,
  describeClusterHandler,
  deleteRecordsHandler,
  findCoordinatorHandler,
  joinGroupHandler,
  syncGroupHandler,
  heartbeatHandler,
  leaveGroupHandler,
  offsetCommitHandler,
  offsetFetchHandler,
  listGroupsHandler,
  describeGroupsHandler,
  deleteGroupsHandler,
  offsetDeleteHandler,
  initProducerIdHandler,
  addPartitionsToTxnHandler,
  addOffsetsToTxnHandler,
  endTxnHandler,
  writeTxnMarkersHandler,
  txnOffsetCommitHandler,
  describeTransactionsHandler,
  listTransactionsHandler,
  describeProducersHandler,
  offsetForLeaderEpochHandler,
  electLeadersHandler,
  describeLogDirsHandler,
  alterPartitionReassignmentsHandler,
  listPartitionReassignmentsHandler,
  saslHandshakeHandler,
  saslAuthenticateHandler,
  describeUserScramCredentialsHandler,
  alterUserScramCredentialsHandler,
  describeClientQuotasHandler,
  alterClientQuotasHandler,
  createAclsHandler,
  describeAclsHandler,
  deleteAclsHandler,
] as readonly AnyApiHandler[];

registerHandlers(ALL);

export { handlerFor, supportedApis } from './api-table.js';
