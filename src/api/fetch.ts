/**
 * Fetch (key 1): consumers read record batches as stored (never decoded), with long polling and
 * incremental fetch sessions (KIP-227; the session id / epoch table is in fetch-sessions.ts).
 * v13+ name topics by id; v0-3 get their records down-converted to magic 0/1 (fetch-old-versions.ts).
 */
import type { FetchRequest, FetchResponseInput, FetchResponseFetchableTopicResponseInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { FINAL_EPOCH, INITIAL_EPOCH, nextEpoch, sessionKey, type FetchSession } from '../partition/fetch-sessions.js';
import { READ_COMMITTED } from '../partition/partition.js';
import type { ApiHandler, RequestContext } from './handler.js';
import { readWithLongPoll, type PartitionOutcome, type WantedPartition } from './fetch-read.js';
import { ZERO_UUID } from './constants.js';
import { leaderEndpoints } from './leader-partition.js';
import { noteFetched } from './traffic-events.js';
import { processReadBuffers } from '../storage/read-buffers.js';
import { authorizeCluster, authorizedNames, Op, ResourceType } from './authorize.js';

/** The partitions named in the request (the last mention of a partition wins), topic names resolved from ids for v13+. */
function requested(ctx: RequestContext, request: FetchRequest): WantedPartition[] {
  const byId = ctx.apiVersion >= 13;
  const out = new Map<string, WantedPartition>();
  for (const t of request.topics) {
    const topic = byId ? ctx.broker.topics.getById(t.topicId) : ctx.broker.topics.get(t.topic);
    const name = topic?.name ?? (byId ? '' : t.topic);
    const topicId = byId ? t.topicId : (topic?.topicId ?? ZERO_UUID);
    for (const p of t.partitions) {
      out.set(sessionKey(byId, name, topicId, p.partition), {
        topic: name,
        topicId,
        byId,
        partition: p.partition,
        fetchOffset: Number(p.fetchOffset),
        maxBytes: p.partitionMaxBytes,
        currentLeaderEpoch: p.currentLeaderEpoch,
      });
    }
  }
  return [...out.values()];
}

function forgotten(ctx: RequestContext, request: FetchRequest): string[] {
  const byId = ctx.apiVersion >= 13;
  return request.forgottenTopicsData.flatMap((f) => f.partitions.map((p) => sessionKey(byId, f.topic, f.topicId, p)));
}

/** Kafka's order: the request's partitions are added or updated first, then the forgotten ones removed. */
function updateSession(session: FetchSession, wanted: WantedPartition[], forget: string[]): void {
  for (const w of wanted) {
    const key = sessionKey(session.usesTopicIds, w.topic, w.topicId, w.partition);
    const known = session.partitions.get(key);
    if (known) {
      known.fetchOffset = w.fetchOffset;
      known.maxBytes = w.maxBytes;
      known.currentLeaderEpoch = w.currentLeaderEpoch;
    } else {
      session.partitions.set(key, { ...w, lastHighWatermark: -1, lastLogStartOffset: -1 });
    }
  }
  for (const key of forget) session.partitions.delete(key);
}

/** The session's partitions as this fetch reads them; names come from the ids again (a topic may be gone). */
function sessionPartitions(ctx: RequestContext, session: FetchSession): WantedPartition[] {
  return [...session.partitions.values()].map((p) => {
    if (session.usesTopicIds) p.topic = ctx.broker.topics.getById(p.topicId)?.name ?? '';
    return { topic: p.topic, topicId: p.topicId, byId: session.usesTopicIds, partition: p.partition, fetchOffset: p.fetchOffset, maxBytes: p.maxBytes, currentLeaderEpoch: p.currentLeaderEpoch };
  });
}

/**
 * Notes what each partition's answer reported; returns the outcomes an incremental answer must
 * carry: records, an error, or a moved high watermark or log start offset.
 */
function noteReported(session: FetchSession, outcomes: PartitionOutcome[]): PartitionOutcome[] {
  return outcomes.filter((o) => {
    const known = session.partitions.get(sessionKey(session.usesTopicIds, o.wanted.topic, o.wanted.topicId, o.wanted.partition));
    if (!known) return true;
    const changed = o.records.length > 0 || o.errorCode !== ErrorCode.NONE || known.lastHighWatermark !== o.highWatermark || known.lastLogStartOffset !== o.logStartOffset;
    known.lastHighWatermark = o.highWatermark;
    known.lastLogStartOffset = o.logStartOffset;
    return changed;
  });
}

function toResponse(outcomes: PartitionOutcome[], isolationLevel: number): FetchResponseFetchableTopicResponseInput[] {
  const topics: FetchResponseFetchableTopicResponseInput[] = [];
  let current: FetchResponseFetchableTopicResponseInput | undefined;
  for (const o of outcomes) {
    if (!current || current.topicId !== o.wanted.topicId || current.topic !== o.wanted.topic) {
      current = { topic: o.wanted.topic, topicId: o.wanted.topicId, partitions: [] };
      topics.push(current);
    }
    current.partitions.push({
      partitionIndex: o.wanted.partition,
      errorCode: o.errorCode,
      highWatermark: BigInt(o.highWatermark),
      lastStableOffset: BigInt(o.lastStableOffset),
      logStartOffset: BigInt(o.logStartOffset),
      abortedTransactions: isolationLevel === READ_COMMITTED ? (o.abortedTransactions ?? []).map((t) => ({ producerId: t.producerId, firstOffset: BigInt(t.firstOffset) })) : null,
      preferredReadReplica: -1,
      records: o.records,
      ...(o.currentLeader ? { currentLeader: o.currentLeader } : {}),
    });
  }
  return topics;
}

function topLevelError(errorCode: number, sessionId = 0): FetchResponseInput {
  return { throttleTimeMs: 0, errorCode, sessionId, responses: [] };
}

function replicaIdOf(request: FetchRequest, apiVersion: number): number {
  return apiVersion >= 15 ? request.replicaState.replicaId : request.replicaId;
}

function isFollower(request: FetchRequest, apiVersion: number): boolean {
  return replicaIdOf(request, apiVersion) >= 0;
}

/**
 * A follower's fetch says how far it has copied each partition (everything below its fetch
 * offset): the leader notes it before reading, which may advance the high watermark and the ISR.
 */
function noteFollowerPositions(ctx: RequestContext, replicaId: number, wanted: WantedPartition[]): void {
  for (const w of wanted) ctx.broker.replicas.get(w.topic, w.partition)?.recordFollowerFetch(replicaId, w.fetchOffset);
}

/** Reads within the broker's limits: fetch.max.bytes bounds every answer, and min_bytes never exceeds what one may hold (as in Kafka). */
async function read(ctx: RequestContext, request: FetchRequest, wanted: WantedPartition[]): Promise<PartitionOutcome[]> {
  const cap = ctx.broker.config.int('fetch.max.bytes');
  const maxBytes = Math.min(request.maxBytes, cap);
  const readable = readableTopics(ctx, request, wanted);
  const toRead = readable === null ? wanted : wanted.filter((w) => readable.has(w.topic));
  // Refused partitions answer at once (an error ends a long poll, as in Kafka).
  const outcomes =
    readable !== null && toRead.length === 0
      ? []
      : await readWithLongPoll(
          ctx,
          toRead.map((w) => ({ ...w, maxBytes: Math.min(w.maxBytes, cap) })),
          { maxBytes, minBytes: readable === null ? Math.min(request.minBytes, maxBytes) : 0, maxWaitMs: request.maxWaitMs, isolationLevel: request.isolationLevel, replicaId: replicaIdOf(request, ctx.apiVersion) },
        );
  if (readable === null) return outcomes;
  // Refused partitions answer TOPIC_AUTHORIZATION_FAILED in their place among the others.
  const key = (w: WantedPartition) => `${w.topic}\0${w.topicId}\0${w.partition}`;
  const read = new Map(outcomes.map((o) => [key(o.wanted), o]));
  return wanted.map((w) => read.get(key(w)) ?? { wanted: w, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: Buffer.alloc(0) });
}

/**
 * Kafka's rule: a follower needs CLUSTER_ACTION on the cluster for everything, a consumer READ on
 * each topic. Null: every partition may be read (the common case, and always without an authorizer).
 */
function readableTopics(ctx: RequestContext, request: FetchRequest, wanted: WantedPartition[]): Set<string> | null {
  if (!ctx.broker.authorizer) return null;
  const topics = new Set(wanted.map((w) => w.topic));
  if (isFollower(request, ctx.apiVersion)) return authorizeCluster(ctx, Op.CLUSTER_ACTION) ? null : new Set();
  // A topic id this broker does not know has no name to check: it answers UNKNOWN_TOPIC_ID as before.
  const allowed = authorizedNames(ctx, Op.READ, ResourceType.TOPIC, [...topics].filter((t) => t !== ''));
  if (topics.has('')) allowed.add('');
  return allowed.size === topics.size ? null : allowed;
}

function answer(ctx: RequestContext, sessionId: number, outcomes: PartitionOutcome[], request: FetchRequest): FetchResponseInput {
  const movedTo = outcomes.flatMap((o) => (o.currentLeader ? [o.currentLeader.leaderId] : []));
  noteFetched(ctx.broker, outcomes, isFollower(request, ctx.apiVersion));
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId, responses: toResponse(outcomes, request.isolationLevel), nodeEndpoints: leaderEndpoints(ctx, movedTo) };
}

/** A full fetch (epoch 0 or -1): any session named is closed first; epoch 0 then opens a new one, when the cache has room. */
async function fullFetch(ctx: RequestContext, request: FetchRequest, wanted: WantedPartition[]): Promise<FetchResponseInput> {
  const sessions = ctx.broker.fetchSessions;
  const replicaId = replicaIdOf(request, ctx.apiVersion);
  if (replicaId >= 0) noteFollowerPositions(ctx, replicaId, wanted);
  if (request.sessionId !== 0) sessions.remove(request.sessionId);
  const outcomes = await read(ctx, request, wanted);
  const session = request.sessionEpoch === INITIAL_EPOCH ? sessions.maybeCreate(ctx.broker.now(), isFollower(request, ctx.apiVersion), wanted.length, ctx.apiVersion >= 13) : null;
  if (session) {
    updateSession(session, wanted, []);
    noteReported(session, outcomes);
  }
  return answer(ctx, session?.id ?? 0, outcomes, request);
}

async function incrementalFetch(ctx: RequestContext, request: FetchRequest, wanted: WantedPartition[]): Promise<FetchResponseInput> {
  const sessions = ctx.broker.fetchSessions;
  const session = sessions.get(request.sessionId);
  if (!session) return topLevelError(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  if (request.sessionEpoch !== session.epoch) return topLevelError(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
  if (session.usesTopicIds !== ctx.apiVersion >= 13) return topLevelError(ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
  updateSession(session, wanted, forgotten(ctx, request));
  if (session.partitions.size === 0) {
    // Everything forgotten: the session ends and this fetch is answered without one.
    sessions.remove(session.id);
    return answer(ctx, 0, await read(ctx, request, wanted), request);
  }
  sessions.touch(session, ctx.broker.now());
  session.epoch = nextEpoch(session.epoch);
  const expected = session.epoch;
  const inSession = sessionPartitions(ctx, session);
  // A follower's incremental fetch lists only what moved; every partition of its session is at
  // the position the session holds, and that is what the leader learns (as Kafka's does).
  const replicaId = replicaIdOf(request, ctx.apiVersion);
  if (replicaId >= 0) noteFollowerPositions(ctx, replicaId, inSession);
  const outcomes = await read(ctx, request, inSession);
  // Another fetch in this session went ahead while this one waited: its answer would mislead the client.
  if (session.epoch !== expected) return topLevelError(ErrorCode.INVALID_FETCH_SESSION_EPOCH, session.id);
  return answer(ctx, session.id, noteReported(session, outcomes), request);
}

export const fetchHandler: ApiHandler<FetchRequest, FetchResponseInput> = {
  apiKey: 1,
  name: 'Fetch',
  // v0-3 read magic 0/1 message sets, down-converted from the stored batches (fetch-old-versions.ts).
  minVersion: 0,
  maxVersion: 17,
  async handle(ctx, request) {
    const wanted = requested(ctx, request);
    const replicaId = replicaIdOf(request, ctx.apiVersion);
    if (replicaId >= 0) {
      // A broker never follows itself; a follower is known per partition, by its replica list.
      if (replicaId === ctx.broker.nodeId) return topLevelError(ErrorCode.INVALID_REQUEST);
      if (ctx.connectionClosed) ctx.broker.replicaConnection?.(replicaId, ctx.connectionClosed);
    }
    const full = request.sessionEpoch === INITIAL_EPOCH || request.sessionEpoch === FINAL_EPOCH;
    return full ? fullFetch(ctx, request, wanted) : incrementalFetch(ctx, request, wanted);
  },
  // The records were read into pooled memory (storage/read-buffers.ts): once the kernel took the
  // answer, the next read may fill it again. Nothing else holds these buffers.
  afterSent(response) {
    for (const t of response.responses) for (const p of t.partitions) if (p.records) processReadBuffers.giveBack(p.records);
  },
  errorResponse(_request, errorCode) {
    return topLevelError(errorCode);
  },
};
