/**
 * AlterPartitionReassignments (key 45, v0; KIP-455): moves partitions to new replica lists, or
 * (replicas null) cancels the reassignment under way. The controller decides and writes it
 * (controller/reassignment-transitions.ts); other brokers answer NOT_CONTROLLER at the top, with
 * no partitions, as Kafka does. The answer comes once this broker's metadata shows each accepted
 * change, so a ListPartitionReassignments after it sees it; the reassignment itself then runs on
 * (the new replicas catch up, the controller completes it).
 */
import type { AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponseInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { reassigning } from '../metadata/metadata-store.js';
import type { ApiHandler, RequestContext } from './handler.js';
import type { PartitionElection } from './services.js';
import { authorizeCluster, Op } from './authorize.js';

type Answer = AlterPartitionReassignmentsResponseInput;

interface Requested {
  readonly topic: string;
  readonly partition: number;
  readonly target: readonly number[] | null;
}

function grouped(results: readonly PartitionElection[]): Answer['responses'] {
  const byTopic = new Map<string, Answer['responses'][number]>();
  for (const r of results) {
    let topic = byTopic.get(r.topic);
    if (!topic) byTopic.set(r.topic, (topic = { name: r.topic, partitions: [] }));
    topic.partitions.push({ partitionIndex: r.partition, errorCode: r.errorCode, errorMessage: r.errorMessage });
  }
  return [...byTopic.values()];
}

/** Does this broker's view show the accepted change: the target leading the replica list, or no reassignment after a cancel? */
function shown(ctx: RequestContext, r: Requested): boolean {
  const topic = ctx.broker.cluster.topic(r.topic);
  const state = topic && ctx.broker.cluster.partition(topic.topicId, r.partition)?.state;
  if (!state) return true;
  if (r.target === null) return !reassigning(state);
  return r.target.every((id, i) => state.replicas[i] === id);
}

export const alterPartitionReassignmentsHandler: ApiHandler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponseInput> = {
  apiKey: 45,
  name: 'AlterPartitionReassignments',
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, request) {
    if (!authorizeCluster(ctx, Op.ALTER)) return this.errorResponse(request, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, `${ctx.principal} may not alter the cluster.`, ctx.apiVersion);
    const requested: Requested[] = request.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, target: p.replicas })));
    const answer = await ctx.broker.controller.alterReassignments(requested);
    if (answer.errorCode !== ErrorCode.NONE) return { throttleTimeMs: 0, errorCode: answer.errorCode, errorMessage: 'This is not the active controller.', responses: [] };
    const accepted = requested.filter((_, i) => answer.results[i]?.errorCode === ErrorCode.NONE);
    await ctx.broker.cluster.waitFor(() => accepted.every((r) => shown(ctx, r)), AbortSignal.timeout(Math.max(0, request.timeoutMs))).catch(() => undefined);
    if (accepted.length > 0) ctx.log.info({ partitions: accepted.map((r) => `${r.topic}-${r.partition}${r.target ? ` -> [${r.target.join(',')}]` : ' cancelled'}`) }, 'partition reassignments changed');
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, responses: grouped(answer.results) };
  },
  errorResponse(_request, errorCode, message) {
    return { throttleTimeMs: 0, errorCode, errorMessage: message, responses: [] };
  },
};
