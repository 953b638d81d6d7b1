/**
 * Fetch (key 1): consumers read record batches as stored (never decoded), with long polling and
 * incremental fetch sessions (KIP-227). v13+ name topics by id.
 */
import type { FetchRequest, FetchResponseInput, FetchResponseFetchableTopicResponseInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { FINAL_EPOCH, INITIAL_EPOCH, sessionKey, type FetchSession } from '../partition/fetch-sessions.js';
import { READ_COMMITTED } from '../partition/partition.js';
import type { ApiHandler, RequestContext } from './handler.js';
import { readWithLongPoll, type PartitionOutcome, type WantedPartition } from './fetch-read.js';
import { ZERO_UUID } from './constants.js';

/** The partitions named in the request, with topic names resolved from ids for v13+. */
function requested(ctx: RequestContext, request: FetchRequest): WantedPartition[] {
  const out: WantedPartition[] = [];
  for (const t of request.topics) {
    const byId = ctx.apiVersion >= 13;
    const topic = byId ? ctx.broker.topics.getById(t.topicId) : ctx.broker.topics.get(t.topic);
    for (const p of t.partitions) {
      out.push({
        topic: topic?.name ?? (byId ? '' : t.topic),
        topicId: byId ? t.topicId : (topic?.topicId ?? ZERO_UUID),
        partition: p.partition,
        fetchOffset: Number(p.fetchOffset),
        maxBytes: p.partitionMaxBytes,
        currentLeaderEpoch: p.currentLeaderEpoch,
      });
    }
  }
  return out;
}

function forgotten(ctx: RequestContext, request: FetchRequest): string[] {
  return request.forgottenTopicsData.flatMap((f) => {
    const name = ctx.apiVersion >= 13 ? (ctx.broker.topics.getById(f.topicId)?.name ?? '') : f.topic;
    return f.partitions.map((p) => sessionKey(name, p));
  });
}

function updateSession(session: FetchSession, wanted: WantedPartition[], forget: string[]): void {
  for (const key of forget) session.partitions.delete(key);
  for (const w of wanted) {
    const key = sessionKey(w.topic, w.partition);
    const known = session.partitions.get(key);
    if (known) {
      known.fetchOffset = w.fetchOffset;
      known.maxBytes = w.maxBytes;
    } else {
      session.partitions.set(key, { topic: w.topic, topicId: w.topicId, partition: w.partition, fetchOffset: w.fetchOffset, maxBytes: w.maxBytes, lastHighWatermark: -1, lastLogStartOffset: -1 });
    }
  }
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
      abortedTransactions: isolationLevel === READ_COMMITTED ? [] : null,
      preferredReadReplica: -1,
      records: o.records,
    });
  }
  return topics;
}

function topLevelError(errorCode: number): FetchResponseInput {
  return { throttleTimeMs: 0, errorCode, sessionId: 0, responses: [] };
}

export const fetchHandler: ApiHandler<FetchRequest, FetchResponseInput> = {
  apiKey: 1,
  name: 'Fetch',
  minVersion: 4,
  maxVersion: 17,
  async handle(ctx, request) {
    const sessions = ctx.broker.replicas.fetchSessions;
    const now = ctx.broker.now();
    const wanted = requested(ctx, request);
    let session: FetchSession | undefined;
    let incremental = false;
    if (request.sessionId === 0 && request.sessionEpoch === INITIAL_EPOCH) {
      session = sessions.create(now);
      updateSession(session, wanted, []);
    } else if (request.sessionEpoch === FINAL_EPOCH) {
      if (request.sessionId !== 0) sessions.remove(request.sessionId);
    } else if (request.sessionId === 0) {
      return topLevelError(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
    } else {
      session = sessions.get(request.sessionId, now);
      if (!session) return topLevelError(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
      if (request.sessionEpoch !== session.nextEpoch) return topLevelError(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
      updateSession(session, wanted, forgotten(ctx, request));
      incremental = true;
    }
    if (session) session.nextEpoch = session.nextEpoch === 2 ** 31 - 1 ? 1 : session.nextEpoch + 1;
    const toRead: WantedPartition[] = incremental && session ? [...session.partitions.values()].map((p) => ({ ...p, currentLeaderEpoch: -1 })) : wanted;
    // The broker's fetch.max.bytes bounds what one answer may hold, as in Kafka.
    const cap = ctx.broker.config.int('fetch.max.bytes');
    const outcomes = await readWithLongPoll(ctx, toRead.map((w) => ({ ...w, maxBytes: Math.min(w.maxBytes, cap) })), {
      maxBytes: Math.min(request.maxBytes, cap),
      minBytes: request.minBytes,
      maxWaitMs: request.maxWaitMs,
      isolationLevel: request.isolationLevel,
    });
    let reported = outcomes;
    if (session) {
      // An incremental answer leaves out partitions with nothing new since the last one.
      reported = outcomes.filter((o) => {
        const known = session.partitions.get(sessionKey(o.wanted.topic, o.wanted.partition));
        const changed = !known || o.records.length > 0 || o.errorCode !== ErrorCode.NONE || known.lastHighWatermark !== o.highWatermark || known.lastLogStartOffset !== o.logStartOffset;
        if (known) {
          known.lastHighWatermark = o.highWatermark;
          known.lastLogStartOffset = o.logStartOffset;
        }
        return !incremental || changed;
      });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: session?.id ?? 0, responses: toResponse(reported, request.isolationLevel) };
  },
  errorResponse(_request, errorCode) {
    return topLevelError(errorCode);
  },
};
