/**
 * The reading half of Fetch: read each wanted partition within the request's byte budgets, and
 * long-poll until `min_bytes` are there or `max_wait_ms` has passed. The waiting itself is a
 * delayed fetch in the replica manager's purgatory (partition/delayed-fetch.ts).
 */
import { ErrorCode, KafkaError } from '../protocol/error-codes.js';
import type { Partition } from '../partition/partition.js';
import { waitForFetchData, type FetchWatch } from '../partition/delayed-fetch.js';
import type { RequestContext } from './handler.js';
import { isNotHere, leaderPartition } from './leader-partition.js';
import { errorForVersion, recordsForVersion, refusedBeforeRead } from './fetch-old-versions.js';
import { timedWait } from './wait-timing.js';

export interface WantedPartition {
  topic: string;
  topicId: string;
  /** Named by topic id (Fetch v13+): an unknown one is UNKNOWN_TOPIC_ID, not UNKNOWN_TOPIC_OR_PARTITION. */
  byId: boolean;
  partition: number;
  fetchOffset: number;
  maxBytes: number;
  currentLeaderEpoch: number;
}

export interface PartitionOutcome {
  wanted: WantedPartition;
  errorCode: number;
  /** With NOT_LEADER_OR_FOLLOWER: the leader this broker knows of (KIP-951), when there is one. */
  currentLeader?: { leaderId: number; leaderEpoch: number };
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  records: Buffer;
  /** read_committed: producer id and first offset of each aborted transaction overlapping `records`. */
  abortedTransactions?: { producerId: bigint; firstOffset: number }[];
}

const EMPTY = Buffer.alloc(0);
/** current_leader_epoch -1: the client does not know the epoch; any other value is checked (Kafka's NO_PARTITION_LEADER_EPOCH). */
const NO_LEADER_EPOCH = -1;

function failed(wanted: WantedPartition, errorCode: number): PartitionOutcome {
  return { wanted, errorCode, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: EMPTY };
}

/** NOT_LEADER_OR_FOLLOWER, naming the current leader when this broker knows a live one (KIP-951). */
function movedAway(ctx: RequestContext, wanted: WantedPartition): PartitionOutcome {
  const outcome = failed(wanted, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  const found = leaderPartition(ctx, wanted.topic, wanted.partition);
  return isNotHere(found) && found.leaderId >= 0 ? { ...outcome, currentLeader: { leaderId: found.leaderId, leaderEpoch: found.leaderEpoch } } : outcome;
}

/**
 * Finds the partition or says which error the client gets instead, in Kafka's order: the
 * partition, then the client's leader epoch (-1 skips the check; newer than ours is
 * UNKNOWN_LEADER_EPOCH, older, including other negative values, is FENCED_LEADER_EPOCH), then the offset, which must lie between
 * the log start and the log end (reading past the high watermark answers empty, as in Kafka).
 */
function locate(ctx: RequestContext, w: WantedPartition): Partition | number {
  if (w.byId && w.topic === '') return ErrorCode.UNKNOWN_TOPIC_ID;
  const p = leaderPartition(ctx, w.topic, w.partition);
  if (isNotHere(p)) return p.errorCode;
  if (w.currentLeaderEpoch !== NO_LEADER_EPOCH && w.currentLeaderEpoch !== p.leaderEpoch) {
    return w.currentLeaderEpoch > p.leaderEpoch ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.FENCED_LEADER_EPOCH;
  }
  if (w.fetchOffset < p.logStartOffset || w.fetchOffset > p.logEndOffset) return ErrorCode.OFFSET_OUT_OF_RANGE;
  return p;
}

/** Who reads: a consumer (up to the high watermark) or a follower broker (up to the leader's log end). */
export interface Reader {
  readonly isolationLevel: number;
  /** The follower's node id, or -1 for a consumer. */
  readonly replicaId: number;
}

interface ReadPass {
  outcomes: PartitionOutcome[];
  /** The partitions read without an error, with what each read saw: a wait watches them. */
  watches: FetchWatch[];
}

/** One pass over the partitions: the first batch found is returned whole even past the limits (KIP-74). */
async function readOnce(ctx: RequestContext, wanted: WantedPartition[], maxBytes: number, reader: Reader): Promise<ReadPass> {
  const forReplica = reader.replicaId >= 0;
  let budget = maxBytes;
  let gotAny = false;
  const out: PartitionOutcome[] = [];
  const watches: FetchWatch[] = [];
  for (const w of wanted) {
    const found = locate(ctx, w);
    if (typeof found === 'number') {
      out.push(found === ErrorCode.NOT_LEADER_OR_FOLLOWER ? movedAway(ctx, w) : failed(w, found));
      continue;
    }
    const refused = refusedBeforeRead(ctx, w.topic, forReplica);
    if (refused !== null) {
      out.push(failed(w, refused));
      continue;
    }
    const limit = Math.max(0, Math.min(w.maxBytes, budget));
    // Taken before the read: anything written while it runs wakes the follower's long poll.
    const replicaEndBefore = forReplica ? found.replicaEnd : undefined;
    let read: Awaited<ReturnType<Partition['read']>> | null = null;
    try {
      if (limit > 0 || !gotAny) read = forReplica ? await found.readForReplica(w.fetchOffset, limit, !gotAny) : await found.read(w.fetchOffset, limit, reader.isolationLevel, !gotAny);
    } catch (err) {
      // A partition-level failure (an offline log) answers that partition, not the whole fetch.
      if (!(err instanceof KafkaError)) throw err;
      out.push(failed(w, errorForVersion(ctx, err.code)));
      continue;
    }
    // Below Fetch v10: zstd cut off, and below v4 down-converted (fetch-old-versions.ts).
    const records = await recordsForVersion(ctx, w.topic, w.fetchOffset, read?.records ?? EMPTY, { maxBytes: limit, minOneMessage: !gotAny });
    if (typeof records === 'number') {
      out.push(failed(w, records));
      continue;
    }
    if (records.length > 0) gotAny = true;
    budget -= records.length;
    const highWatermark = read?.highWatermark ?? found.highWatermark;
    const lastStableOffset = read?.lastStableOffset ?? found.lastStableOffset;
    out.push({ wanted: w, errorCode: ErrorCode.NONE, highWatermark, lastStableOffset, logStartOffset: read?.logStartOffset ?? found.logStartOffset, records, abortedTransactions: read?.abortedTransactions });
    watches.push({ partition: found, fetchOffset: w.fetchOffset, currentLeaderEpoch: w.currentLeaderEpoch, seenHighWatermark: highWatermark, seenLastStableOffset: lastStableOffset, seenEnd: replicaEndBefore });
  }
  return { outcomes: out, watches };
}

/**
 * Reads, and waits for more data while fewer than `minBytes` are there and time is left. A wait
 * of 0 or less answers at once. No wait outlasts connections.max.idle.ms: Kafka sets no bound of
 * its own, but no client waits that long for an answer, and a poll left behind by a client that
 * went away would otherwise hold its timer and listeners for up to 24 days (max_wait_ms 2^31-1).
 */
export async function readWithLongPoll(
  ctx: RequestContext,
  wanted: WantedPartition[],
  opts: { maxBytes: number; minBytes: number; maxWaitMs: number; isolationLevel: number; replicaId: number },
): Promise<PartitionOutcome[]> {
  const replicas = ctx.broker.replicas;
  const purgatory = replicas.purgatory;
  const waitMs = Math.min(Math.max(0, opts.maxWaitMs), ctx.broker.config.int('connections.max.idle.ms'));
  const deadline = purgatory.now() + waitMs;
  for (;;) {
    const { outcomes, watches } = await readOnce(ctx, wanted, opts.maxBytes, opts);
    const bytes = outcomes.reduce((n, o) => n + o.records.length, 0);
    const hasError = outcomes.some((o) => o.errorCode !== ErrorCode.NONE);
    const remaining = deadline - purgatory.now();
    if (bytes >= opts.minBytes || hasError || remaining <= 0) return outcomes;
    const woke = await timedWait(
      ctx,
      waitForFetchData(purgatory, {
        watches,
        isolationLevel: opts.isolationLevel,
        lookup: (topic, index) => replicas.get(topic, index),
        timeoutMs: remaining,
        signal: ctx.connectionClosed,
      }),
    );
    // Stopping broker or closed connection: answer with what was read (nobody may be listening).
    if (woke === 'aborted' || woke === 'shutdown') return outcomes;
  }
}
