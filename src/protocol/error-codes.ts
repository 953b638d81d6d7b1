/**
 * Kafka's error codes, by name, with whether a client may retry. The numbers and names are
 * Kafka's wire contract (Errors.java); the messages are this project's own words.
 */

interface ErrorInfo {
  readonly code: number;
  readonly retriable: boolean;
  readonly message: string;
}

function e(code: number, retriable: boolean, message: string): ErrorInfo {
  return { code, retriable, message };
}

const TABLE = {
  UNKNOWN_SERVER_ERROR: e(-1, false, 'The server hit an unexpected error.'),
  NONE: e(0, false, ''),
  OFFSET_OUT_OF_RANGE: e(1, false, 'The requested offset is outside the range the server holds for this partition.'),
  CORRUPT_MESSAGE: e(2, true, 'A record failed its checksum or is otherwise corrupt.'),
  UNKNOWN_TOPIC_OR_PARTITION: e(3, true, 'This server does not host this topic-partition.'),
  INVALID_FETCH_SIZE: e(4, false, 'The requested fetch size is invalid.'),
  LEADER_NOT_AVAILABLE: e(5, true, 'The partition has no leader right now (an election may be in progress).'),
  NOT_LEADER_OR_FOLLOWER: e(6, true, 'This server is not the leader or a follower of the partition.'),
  REQUEST_TIMED_OUT: e(7, true, 'The request timed out.'),
  BROKER_NOT_AVAILABLE: e(8, false, 'The broker is not available.'),
  REPLICA_NOT_AVAILABLE: e(9, true, 'The replica is not available for the requested partition.'),
  MESSAGE_TOO_LARGE: e(10, false, 'The record batch is larger than the server accepts.'),
  STALE_CONTROLLER_EPOCH: e(11, false, 'The controller epoch is stale.'),
  OFFSET_METADATA_TOO_LARGE: e(12, false, 'The metadata attached to the offset commit is too large.'),
  NETWORK_EXCEPTION: e(13, true, 'The connection closed before the response arrived.'),
  COORDINATOR_LOAD_IN_PROGRESS: e(14, true, 'The coordinator is still loading its state.'),
  COORDINATOR_NOT_AVAILABLE: e(15, true, 'The coordinator is not available.'),
  NOT_COORDINATOR: e(16, true, 'This server is not the coordinator for the group or transaction.'),
  INVALID_TOPIC_EXCEPTION: e(17, false, 'The topic name is invalid, or the operation is not allowed on this topic.'),
  RECORD_LIST_TOO_LARGE: e(18, false, 'The record batch set exceeds the segment size.'),
  NOT_ENOUGH_REPLICAS: e(19, true, 'Fewer in-sync replicas than min.insync.replicas.'),
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: e(20, true, 'Written, but fewer in-sync replicas than required acknowledged it.'),
  INVALID_REQUIRED_ACKS: e(21, false, 'acks must be 0, 1 or -1.'),
  ILLEGAL_GENERATION: e(22, false, 'The generation id is not the group\'s current one.'),
  INCONSISTENT_GROUP_PROTOCOL: e(23, false, 'The member\'s protocol type or protocols do not match the group\'s.'),
  INVALID_GROUP_ID: e(24, false, 'The group id is invalid.'),
  UNKNOWN_MEMBER_ID: e(25, false, 'The coordinator does not know this member id.'),
  INVALID_SESSION_TIMEOUT: e(26, false, 'The session timeout is outside the broker\'s allowed range.'),
  REBALANCE_IN_PROGRESS: e(27, false, 'The group is rebalancing; rejoin.'),
  INVALID_COMMIT_OFFSET_SIZE: e(28, false, 'The committing offset data is too large.'),
  TOPIC_AUTHORIZATION_FAILED: e(29, false, 'Not authorized to access the topic.'),
  GROUP_AUTHORIZATION_FAILED: e(30, false, 'Not authorized to access the group.'),
  CLUSTER_AUTHORIZATION_FAILED: e(31, false, 'Not authorized for this cluster operation.'),
  INVALID_TIMESTAMP: e(32, false, 'The record timestamp is out of the accepted range.'),
  UNSUPPORTED_SASL_MECHANISM: e(33, false, 'The broker does not support this SASL mechanism.'),
  ILLEGAL_SASL_STATE: e(34, false, 'The request is not valid in the current SASL state.'),
  UNSUPPORTED_VERSION: e(35, false, 'The broker does not support this version of the API.'),
  TOPIC_ALREADY_EXISTS: e(36, false, 'The topic already exists.'),
  INVALID_PARTITIONS: e(37, false, 'The number of partitions is invalid.'),
  INVALID_REPLICATION_FACTOR: e(38, false, 'The replication factor is invalid.'),
  INVALID_REPLICA_ASSIGNMENT: e(39, false, 'The replica assignment is invalid.'),
  INVALID_CONFIG: e(40, false, 'The configuration is invalid.'),
  NOT_CONTROLLER: e(41, true, 'This is not the active controller.'),
  INVALID_REQUEST: e(42, false, 'The request is malformed or not allowed; the broker log has details.'),
  UNSUPPORTED_FOR_MESSAGE_FORMAT: e(43, false, 'The record format on disk does not support this request.'),
  POLICY_VIOLATION: e(44, false, 'The request breaks a configured policy.'),
  OUT_OF_ORDER_SEQUENCE_NUMBER: e(45, false, 'The broker received an out-of-order sequence number.'),
  DUPLICATE_SEQUENCE_NUMBER: e(46, false, 'The broker received a duplicate sequence number.'),
  INVALID_PRODUCER_EPOCH: e(47, false, 'The producer epoch is older than the current one (a newer producer exists).'),
  INVALID_TXN_STATE: e(48, false, 'The producer tried an operation its transaction state does not allow.'),
  INVALID_PRODUCER_ID_MAPPING: e(49, false, 'The producer id does not match the transactional id.'),
  INVALID_TRANSACTION_TIMEOUT: e(50, false, 'The transaction timeout exceeds transaction.max.timeout.ms.'),
  CONCURRENT_TRANSACTIONS: e(51, true, 'Another transaction of this producer is still completing.'),
  TRANSACTION_COORDINATOR_FENCED: e(52, false, 'A newer transaction coordinator epoch exists.'),
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: e(53, false, 'Not authorized for this transactional id.'),
  SECURITY_DISABLED: e(54, false, 'Security features are disabled.'),
  OPERATION_NOT_ATTEMPTED: e(55, false, 'The operation was not attempted because another in the batch failed.'),
  KAFKA_STORAGE_ERROR: e(56, true, 'A disk error on the broker.'),
  LOG_DIR_NOT_FOUND: e(57, false, 'The log directory does not exist.'),
  SASL_AUTHENTICATION_FAILED: e(58, false, 'SASL authentication failed.'),
  UNKNOWN_PRODUCER_ID: e(59, false, 'The broker has no state for this producer id.'),
  REASSIGNMENT_IN_PROGRESS: e(60, false, 'A partition reassignment is in progress.'),
  DELEGATION_TOKEN_AUTH_DISABLED: e(61, false, 'Delegation token authentication is disabled.'),
  DELEGATION_TOKEN_NOT_FOUND: e(62, false, 'The delegation token was not found.'),
  DELEGATION_TOKEN_OWNER_MISMATCH: e(63, false, 'The principal does not own the delegation token.'),
  DELEGATION_TOKEN_REQUEST_NOT_ALLOWED: e(64, false, 'Delegation token requests are not allowed on this connection.'),
  DELEGATION_TOKEN_AUTHORIZATION_FAILED: e(65, false, 'Not authorized for the delegation token.'),
  DELEGATION_TOKEN_EXPIRED: e(66, false, 'The delegation token has expired.'),
  INVALID_PRINCIPAL_TYPE: e(67, false, 'The principal type is not supported.'),
  NON_EMPTY_GROUP: e(68, false, 'The group is not empty.'),
  GROUP_ID_NOT_FOUND: e(69, false, 'The group id does not exist.'),
  FETCH_SESSION_ID_NOT_FOUND: e(70, true, 'The fetch session id was not found.'),
  INVALID_FETCH_SESSION_EPOCH: e(71, true, 'The fetch session epoch is not the expected one.'),
  LISTENER_NOT_FOUND: e(72, true, 'The leader has no endpoint for the listener the request came in on.'),
  TOPIC_DELETION_DISABLED: e(73, false, 'Topic deletion is disabled.'),
  FENCED_LEADER_EPOCH: e(74, true, 'The leader epoch in the request is older than the broker\'s.'),
  UNKNOWN_LEADER_EPOCH: e(75, true, 'The leader epoch in the request is newer than the broker\'s.'),
  UNSUPPORTED_COMPRESSION_TYPE: e(76, false, 'The requesting client does not support the compression type.'),
  STALE_BROKER_EPOCH: e(77, false, 'The broker epoch has changed.'),
  OFFSET_NOT_AVAILABLE: e(78, true, 'The leader high watermark has not caught up since an election.'),
  MEMBER_ID_REQUIRED: e(79, false, 'The group member must rejoin with the member id the coordinator gave it.'),
  PREFERRED_LEADER_NOT_AVAILABLE: e(80, true, 'The preferred leader is not available.'),
  GROUP_MAX_SIZE_REACHED: e(81, false, 'The group has reached group.max.size.'),
  FENCED_INSTANCE_ID: e(82, false, 'Another member with the same group.instance.id fenced this one.'),
  ELIGIBLE_LEADERS_NOT_AVAILABLE: e(83, true, 'No eligible leader for the partition.'),
  ELECTION_NOT_NEEDED: e(84, false, 'The leader election is not needed.'),
  NO_REASSIGNMENT_IN_PROGRESS: e(85, false, 'No partition reassignment is in progress.'),
  GROUP_SUBSCRIBED_TO_TOPIC: e(86, false, 'The group still has active subscriptions to the topic.'),
  INVALID_RECORD: e(87, false, 'A record failed validation on the broker.'),
  UNSTABLE_OFFSET_COMMIT: e(88, true, 'Pending transactional offset commits exist for the partition.'),
  THROTTLING_QUOTA_EXCEEDED: e(89, true, 'The throttling quota has been exceeded.'),
  PRODUCER_FENCED: e(90, false, 'A newer producer with the same transactional id fenced this one.'),
  RESOURCE_NOT_FOUND: e(91, false, 'The resource does not exist.'),
  DUPLICATE_RESOURCE: e(92, false, 'The resource is named twice in the request.'),
  UNACCEPTABLE_CREDENTIAL: e(93, false, 'The credential does not meet the requirements.'),
  INCONSISTENT_VOTER_SET: e(94, false, 'The voter set does not match the leader\'s.'),
  INVALID_UPDATE_VERSION: e(95, false, 'The update version is invalid.'),
  FEATURE_UPDATE_FAILED: e(96, false, 'The feature update could not be applied.'),
  PRINCIPAL_DESERIALIZATION_FAILURE: e(97, false, 'The principal in the envelope could not be read.'),
  SNAPSHOT_NOT_FOUND: e(98, false, 'The snapshot was not found.'),
  POSITION_OUT_OF_RANGE: e(99, false, 'The position is outside the snapshot.'),
  UNKNOWN_TOPIC_ID: e(100, true, 'This server does not host a topic with this id.'),
  DUPLICATE_BROKER_REGISTRATION: e(101, false, 'This broker id is already registered.'),
  BROKER_ID_NOT_REGISTERED: e(102, false, 'The broker id is not registered.'),
  INCONSISTENT_TOPIC_ID: e(103, true, 'The topic id in the request does not match the topic\'s.'),
  INCONSISTENT_CLUSTER_ID: e(104, false, 'The cluster id in the request does not match this cluster\'s.'),
  TRANSACTIONAL_ID_NOT_FOUND: e(105, false, 'The transactional id was not found.'),
  FETCH_SESSION_TOPIC_ID_ERROR: e(106, true, 'The fetch session saw topic ids used inconsistently.'),
  INELIGIBLE_REPLICA: e(107, false, 'The new in-sync replica set contains an ineligible replica.'),
  NEW_LEADER_ELECTED: e(108, false, 'A new leader was elected while the ISR change was pending.'),
  OFFSET_MOVED_TO_TIERED_STORAGE: e(109, false, 'The requested offset lives in tiered storage.'),
  FENCED_MEMBER_EPOCH: e(110, false, 'The member epoch is fenced by the group coordinator.'),
  UNRELEASED_INSTANCE_ID: e(111, false, 'The instance id is still used by another member.'),
  UNSUPPORTED_ASSIGNOR: e(112, false, 'The assignor is not supported by the group.'),
  STALE_MEMBER_EPOCH: e(113, false, 'The member epoch is stale.'),
  MISMATCHED_ENDPOINT_TYPE: e(114, false, 'The request was sent to an endpoint of the wrong type.'),
  UNSUPPORTED_ENDPOINT_TYPE: e(115, false, 'This endpoint type is not supported.'),
  UNKNOWN_CONTROLLER_ID: e(116, false, 'This controller id is not known.'),
  UNKNOWN_SUBSCRIPTION_ID: e(117, false, 'The client telemetry subscription id is not known.'),
  TELEMETRY_TOO_LARGE: e(118, false, 'The client telemetry payload is too large.'),
  INVALID_REGISTRATION: e(119, false, 'The controller rejected the registration.'),
  TRANSACTION_ABORTABLE: e(120, false, 'The server hit an error the client can recover from by aborting the transaction.'),
  INVALID_RECORD_STATE: e(121, false, 'The record state is invalid.'),
  SHARE_SESSION_NOT_FOUND: e(122, true, 'The share session was not found.'),
  INVALID_SHARE_SESSION_EPOCH: e(123, true, 'The share session epoch is invalid.'),
  FENCED_STATE_EPOCH: e(124, false, 'The share coordinator state epoch is fenced.'),
  INVALID_VOTER_KEY: e(125, false, 'The voter key does not match the receiving replica.'),
  DUPLICATE_VOTER: e(126, false, 'The voter is already part of the voter set.'),
  VOTER_NOT_FOUND: e(127, false, 'The voter is not part of the voter set.'),
} as const;

export type ErrorName = keyof typeof TABLE;

/** Error codes by Kafka name: `ErrorCode.UNKNOWN_TOPIC_OR_PARTITION === 3`. */
export const ErrorCode = Object.fromEntries(Object.entries(TABLE).map(([name, info]) => [name, info.code])) as { readonly [K in ErrorName]: (typeof TABLE)[K]['code'] };

export interface ErrorDescription {
  readonly name: ErrorName;
  readonly code: number;
  readonly retriable: boolean;
  readonly message: string;
}

const BY_CODE: ReadonlyMap<number, ErrorDescription> = new Map(Object.entries(TABLE).map(([name, info]) => [info.code, { name: name as ErrorName, ...info }]));

/** Name, retriability and a short message for a code (undefined for codes Kafka does not define). */
export function describeError(code: number): ErrorDescription | undefined {
  return BY_CODE.get(code);
}

/** An error that carries the Kafka error code a client should get for it. */
export class KafkaError extends Error {
  override readonly name = 'KafkaError';
  constructor(
    readonly code: number,
    message?: string,
  ) {
    super(message ?? describeError(code)?.message ?? `Kafka error ${code}`);
  }

  get retriable(): boolean {
    return describeError(this.code)?.retriable ?? false;
  }
}
