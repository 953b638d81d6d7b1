/**
 * Whether an OffsetCommit or a TxnOffsetCommit may go ahead for a group, and what a commit whose
 * append failed answers: pure decisions on the group as it is, after Kafka's GroupCoordinator
 * (validateOffsetCommit) and GroupMetadataManager (the append error mapping).
 */
import { ErrorCode, KafkaError } from '../../protocol/error-codes.js';
import type { Group } from './group.js';
import { NotCoordinatorError } from './ownership.js';

/** OffsetCommit: members of the current generation, or anyone while the group has no members. */
export function commitGroupError(group: Group | undefined, memberId: string, groupInstanceId: string | null, generationId: number): number {
  if (generationId < 0 && memberId === '') {
    // Commits from outside the group protocol are allowed only while the group has no members.
    return !group || group.state === 'Empty' ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
  }
  if (!group || group.state === 'Dead') return ErrorCode.UNKNOWN_MEMBER_ID;
  if (groupInstanceId !== null && group.staticMembers.has(groupInstanceId) && group.staticMembers.get(groupInstanceId) !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
  if (!group.members.has(memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
  if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
  if (group.state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
  return ErrorCode.NONE;
}

/**
 * TxnOffsetCommit, as Kafka checks it (a group that does not exist is taken as a new Empty one):
 * the member is checked only when the request names one (a generation >= 0, a member id or an
 * instance id; TxnOffsetCommit v0-2 send none of them), and then its generation too. Unlike
 * OffsetCommit, a commit naming no member is accepted whatever the group's state, and a
 * rebalance in progress does not refuse it.
 */
export function txnCommitGroupError(group: Group | undefined, memberId: string, groupInstanceId: string | null, generationId: number): number {
  if (group?.state === 'Dead') return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  if (generationId < 0 && (!group || group.state === 'Empty')) return ErrorCode.NONE;
  if (generationId < 0 && memberId === '' && groupInstanceId === null) return ErrorCode.NONE;
  if (groupInstanceId !== null) {
    const current = group?.staticMembers.get(groupInstanceId);
    if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (current !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
  }
  if (!group?.members.has(memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
  return generationId === group.generationId ? ErrorCode.NONE : ErrorCode.ILLEGAL_GENERATION;
}

/**
 * What an offset commit whose append failed answers, as Kafka's GroupMetadataManager maps a log
 * append error: the partition moved away (or its disk failed) sends the client to look for the
 * coordinator again; too few replicas is a retriable COORDINATOR_NOT_AVAILABLE. Other codes (a
 * fenced producer epoch of a transactional commit: INVALID_PRODUCER_EPOCH) pass through.
 */
export function commitErrorFor(err: unknown): number {
  if (err instanceof NotCoordinatorError) return ErrorCode.NOT_COORDINATOR;
  if (!(err instanceof KafkaError)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  switch (err.code) {
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    default:
      return err.code;
  }
}
