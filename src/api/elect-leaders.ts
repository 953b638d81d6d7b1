/**
 * ElectLeaders (key 43, v0-2): preferred (replicas[0] leads again) or unclean (a leaderless
 * partition gets any live replica) elections, decided and written by the controller; other brokers
 * answer NOT_CONTROLLER, at the top (v1+) and for every partition, as Kafka does.
 *
 * As Kafka's DelayedElectLeader, the answer waits (up to `timeoutMs`) until this broker's metadata
 * shows the elected leaders, so a client's next Metadata request sees them; partitions still not
 * there then get REQUEST_TIMED_OUT. Without a partition list every partition is tried, and the
 * ones that needed no election are left out of the answer (Kafka's behaviour).
 */
import type { ElectLeadersRequest, ElectLeadersResponseInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ApiHandler, RequestContext } from './handler.js';
import type { NamedPartition, PartitionElection } from './services.js';
import { authorizeCluster, Op } from './authorize.js';

const PREFERRED = 0;
const UNCLEAN = 1;

type Answer = ElectLeadersResponseInput;

function grouped(results: readonly PartitionElection[]): Answer['replicaElectionResults'] {
  const byTopic = new Map<string, Answer['replicaElectionResults'][number]>();
  for (const r of results) {
    let topic = byTopic.get(r.topic);
    if (!topic) byTopic.set(r.topic, (topic = { topic: r.topic, partitionResult: [] }));
    topic.partitionResult.push({ partitionId: r.partition, errorCode: r.errorCode, errorMessage: r.errorMessage });
  }
  return [...byTopic.values()];
}

function everyPartition(ctx: RequestContext): NamedPartition[] {
  return ctx.broker.cluster.topics().flatMap((t) => Array.from({ length: t.partitions }, (_, partition) => ({ topic: t.name, partition })));
}

/** Has this broker's view caught up with an election of `type` for the partition? */
function electedInView(ctx: RequestContext, type: 'preferred' | 'unclean', p: NamedPartition): boolean {
  const topic = ctx.broker.cluster.topic(p.topic);
  const state = topic && ctx.broker.cluster.partition(topic.topicId, p.partition)?.state;
  if (!state) return true;
  return type === 'preferred' ? state.leader === state.replicas[0] : state.leader !== -1;
}

/** Waits for the view to show the elected leaders; those it does not show within `timeoutMs` timed out. */
async function awaitElected(ctx: RequestContext, type: 'preferred' | 'unclean', results: readonly PartitionElection[], timeoutMs: number): Promise<PartitionElection[]> {
  const elected = results.filter((r) => r.errorCode === ErrorCode.NONE);
  const signal = AbortSignal.timeout(Math.max(0, timeoutMs));
  await ctx.broker.cluster.waitFor(() => elected.every((r) => electedInView(ctx, type, r)), signal).catch(() => undefined);
  return results.map((r) =>
    r.errorCode === ErrorCode.NONE && !electedInView(ctx, type, r)
      ? { ...r, errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: 'The election was written but this broker has not seen it yet.' }
      : r,
  );
}

export const electLeadersHandler: ApiHandler<ElectLeadersRequest, ElectLeadersResponseInput> = {
  apiKey: 43,
  name: 'ElectLeaders',
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, request) {
    if (!authorizeCluster(ctx, Op.ALTER)) return this.errorResponse(request, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, `${ctx.principal} may not alter the cluster.`, ctx.apiVersion);
    if (request.electionType !== PREFERRED && request.electionType !== UNCLEAN) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, replicaElectionResults: [] };
    }
    const type = request.electionType === PREFERRED ? 'preferred' : 'unclean';
    const requested = request.topicPartitions;
    const all = requested === null;
    const named = all ? everyPartition(ctx) : requested.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
    const answer = await ctx.broker.controller.electLeaders(type, named);
    if (answer.errorCode !== ErrorCode.NONE) {
      const message = 'This is not the active controller.';
      return { throttleTimeMs: 0, errorCode: answer.errorCode, replicaElectionResults: grouped(named.map((p) => ({ ...p, errorCode: answer.errorCode, errorMessage: message }))) };
    }
    let results = await awaitElected(ctx, type, answer.results, request.timeoutMs);
    if (all) results = results.filter((r) => r.errorCode !== ErrorCode.ELECTION_NOT_NEEDED);
    const elected = results.filter((r) => r.errorCode === ErrorCode.NONE).length;
    if (elected > 0) ctx.log.info({ type, elected }, 'leaders elected');
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: grouped(results) };
  },
  errorResponse(request, errorCode, message) {
    const named = (request.topicPartitions ?? []).flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition, errorCode, errorMessage: message })));
    return { throttleTimeMs: 0, errorCode, replicaElectionResults: grouped(named) };
  },
};
