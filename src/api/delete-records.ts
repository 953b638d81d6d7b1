/** DeleteRecords (key 21): advance a partition's log start offset; -1 means up to the high watermark. */
import type { DeleteRecordsRequest, DeleteRecordsResponseInput } from '../protocol/generated/index.js';
import { ErrorCode, KafkaError } from '../protocol/error-codes.js';
import type { ApiHandler, RequestContext } from './handler.js';
import { isNotHere, leaderPartition } from './leader-partition.js';
import { authorizedNames, Op, ResourceType } from './authorize.js';

async function deleteBefore(ctx: RequestContext, topic: string, partitionIndex: number, offset: number): Promise<{ partitionIndex: number; lowWatermark: bigint; errorCode: number }> {
  const p = leaderPartition(ctx, topic, partitionIndex);
  if (isNotHere(p)) return { partitionIndex, lowWatermark: -1n, errorCode: p.errorCode };
  const target = offset === -1 ? p.highWatermark : offset;
  if (target < 0 || target > p.highWatermark) return { partitionIndex, lowWatermark: -1n, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
  if (target > p.logStartOffset) {
    try {
      await p.deleteRecordsBefore(target);
    } catch (err) {
      if (err instanceof KafkaError) return { partitionIndex, lowWatermark: -1n, errorCode: err.code };
      throw err;
    }
  }
  return { partitionIndex, lowWatermark: BigInt(p.logStartOffset), errorCode: ErrorCode.NONE };
}

export const deleteRecordsHandler: ApiHandler<DeleteRecordsRequest, DeleteRecordsResponseInput> = {
  apiKey: 21,
  name: 'DeleteRecords',
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, request) {
    const topics = [];
    const deletable = authorizedNames(ctx, Op.DELETE, ResourceType.TOPIC, request.topics.map((t) => t.name));
    for (const t of request.topics) {
      if (!deletable.has(t.name)) {
        topics.push({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })) });
        continue;
      }
      const partitions = [];
      for (const p of t.partitions) partitions.push(await deleteBefore(ctx, t.name, p.partitionIndex, Number(p.offset)));
      topics.push({ name: t.name, partitions });
    }
    return { throttleTimeMs: 0, topics };
  },
  errorResponse(request, errorCode) {
    return { throttleTimeMs: 0, topics: request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode })) })) };
  },
};
