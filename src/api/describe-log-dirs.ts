/**
 * DescribeLogDirs (key 35, v0-4): this broker's log directory with the partitions it holds there,
 * each with its size in bytes and its offset lag as Kafka computes it for a current (not future)
 * log, max(high watermark - log end offset, 0): a follower behind the high watermark its leader
 * told it has a lag, a leader none. Tributary keeps every partition in the first of `log.dirs`
 * and has no future logs (AlterReplicaLogDirs), so isFutureKey is always false. Partitions this
 * broker does not hold are left out, as Kafka does. v4 adds the volume's total and usable bytes.
 */
import { statfs } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { DescribeLogDirsRequest, DescribeLogDirsResponseInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ApiHandler, RequestContext } from './handler.js';
import { authorizeCluster, Op } from './authorize.js';

type LogDirTopic = DescribeLogDirsResponseInput['results'][number]['topics'][number];

/** The volume's total and usable bytes, or -1 each when the system cannot tell. */
async function volume(dir: string): Promise<{ totalBytes: bigint; usableBytes: bigint }> {
  try {
    const s = await statfs(dir, { bigint: true });
    return { totalBytes: s.blocks * s.bsize, usableBytes: s.bavail * s.bsize };
  } catch {
    return { totalBytes: -1n, usableBytes: -1n };
  }
}

function describedTopics(ctx: RequestContext, request: DescribeLogDirsRequest): LogDirTopic[] {
  const replicas = ctx.broker.replicas;
  const wanted = request.topics === null ? replicas.localTopicNames().map((topic) => ({ topic, partitions: replicas.localPartitions(topic) })) : request.topics;
  const topics: LogDirTopic[] = [];
  for (const t of wanted) {
    const partitions: LogDirTopic['partitions'] = [];
    for (const index of new Set(t.partitions)) {
      const p = replicas.get(t.topic, index);
      if (!p) continue;
      partitions.push({ partitionIndex: index, partitionSize: BigInt(p.log.sizeInBytes), offsetLag: BigInt(Math.max(p.highWatermark - p.logEndOffset, 0)), isFutureKey: false });
    }
    if (partitions.length > 0) topics.push({ name: t.topic, partitions: partitions.sort((a, b) => a.partitionIndex - b.partitionIndex) });
  }
  return topics.sort((a, b) => a.name.localeCompare(b.name));
}

export const describeLogDirsHandler: ApiHandler<DescribeLogDirsRequest, DescribeLogDirsResponseInput> = {
  apiKey: 35,
  name: 'DescribeLogDirs',
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, request) {
    if (!authorizeCluster(ctx, Op.DESCRIBE)) return this.errorResponse(request, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, `${ctx.principal} may not describe the cluster.`, ctx.apiVersion);
    const logDir = resolve(ctx.broker.config.dataDir);
    const topics = describedTopics(ctx, request);
    const space = ctx.apiVersion >= 4 ? await volume(logDir) : { totalBytes: -1n, usableBytes: -1n };
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results: [{ errorCode: ErrorCode.NONE, logDir, topics, ...space }] };
  },
  errorResponse(_request, errorCode) {
    return { throttleTimeMs: 0, errorCode, results: [] };
  },
};
