/**
 * TxnOffsetCommit (key 28): a transactional producer commits a consumer group's offsets inside
 * its transaction (sendOffsetsToTransaction); the group coordinator holds them pending until the
 * transaction's marker reaches the group's __consumer_offsets partition. With KIP-890 verification
 * on, the first commit of a transaction on that partition is accepted only if the transaction
 * coordinator has the partition in the transaction (AddOffsetsToTxn ran), as for produce: a late
 * commit after the transaction ended would otherwise open a transaction nobody ends.
 */
import type { TxnOffsetCommitRequest, TxnOffsetCommitResponseInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ApiHandler, RequestContext } from './handler.js';
import { authorize, authorizedNames, groupRefusal, Op, ResourceType } from './authorize.js';

const OFFSETS_TOPIC = '__consumer_offsets';

/** Verification's produce-side codes in this API's vocabulary: "try again" is COORDINATOR_LOAD_IN_PROGRESS, which every client retries. */
function commitError(verified: number): number {
  return verified === ErrorCode.NOT_ENOUGH_REPLICAS ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : verified;
}

async function verify(ctx: RequestContext, request: TxnOffsetCommitRequest): Promise<number> {
  const verifier = ctx.broker.verifyTransaction;
  if (!verifier) return ErrorCode.NONE;
  const partition = ctx.broker.groups.partitionFor(request.groupId);
  const hosted = ctx.broker.replicas.get(OFFSETS_TOPIC, partition);
  // The transaction is open on the partition already: it was verified with its first commit.
  if (hosted?.transactions.isOpen(request.producerId)) return ErrorCode.NONE;
  return commitError(await verifier({ transactionalId: request.transactionalId, producerId: request.producerId, producerEpoch: request.producerEpoch, topic: OFFSETS_TOPIC, partition }));
}

export const txnOffsetCommitHandler: ApiHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponseInput> = {
  apiKey: 28,
  name: 'TxnOffsetCommit',
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, request) {
    // Kafka: WRITE on the transactional id, READ on the group, READ on each topic.
    if (!authorize(ctx, Op.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactionalId)) return this.errorResponse(request, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, '', ctx.apiVersion);
    const denied = groupRefusal(ctx, request.groupId);
    if (denied) return this.errorResponse(request, denied.errorCode, denied.message, ctx.apiVersion);
    const flat = request.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, p })));
    const readable = authorizedNames(ctx, Op.READ, ResourceType.TOPIC, request.topics.map((t) => t.name));
    // As Kafka: a partition the cluster does not have is refused on its own, the others go ahead.
    const known = flat.map(({ topic, p }) => {
      if (!readable.has(topic)) return false;
      const record = ctx.broker.topics.get(topic);
      return record !== undefined && p.partitionIndex >= 0 && p.partitionIndex < record.partitions;
    });
    const verified = known.some((k) => k) ? await verify(ctx, request) : ErrorCode.NONE;
    let codes: number[] = [];
    if (verified === ErrorCode.NONE) {
      codes = await ctx.broker.groups.commitTransactionalOffsets({
        groupId: request.groupId,
        transactionalId: request.transactionalId,
        producerId: request.producerId,
        producerEpoch: request.producerEpoch,
        // v3+ name the member (KIP-447); older versions leave the defaults, which are not checked.
        memberId: ctx.apiVersion >= 3 ? request.memberId : '',
        groupInstanceId: ctx.apiVersion >= 3 ? request.groupInstanceId : null,
        generationId: ctx.apiVersion >= 3 ? request.generationId : -1,
        entries: flat
          .filter((_, i) => known[i])
          .map(({ topic, p }) => ({ topic, partition: p.partitionIndex, committedOffset: p.committedOffset, committedLeaderEpoch: ctx.apiVersion >= 2 ? p.committedLeaderEpoch : -1, metadata: p.committedMetadata })),
      });
    }
    let next = 0;
    const codeFor = (i: number): number => (!known[i] ? (readable.has(flat[i].topic) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.TOPIC_AUTHORIZATION_FAILED) : verified !== ErrorCode.NONE ? verified : codes[next++]);
    let i = 0;
    const topics = request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: codeFor(i++) })) }));
    return { throttleTimeMs: 0, topics };
  },
  errorResponse(request, errorCode) {
    return { throttleTimeMs: 0, topics: request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })) };
  },
};
