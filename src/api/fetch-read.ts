/**
 * The reading half of Fetch: read each wanted partition within the request's byte budgets, and
 * long-poll until `min_bytes` are there or `max_wait_ms` has passed.
 */
import { ErrorCode, KafkaError } from '../protocol/error-codes.js';
import type { Partition } from '../partition/partition.js';
import type { RequestContext } from './handler.js';

export interface WantedPartition {
  topic: string;
  topicId: string;
  partition: number;
  fetchOffset: number;
  maxBytes: number;
  currentLeaderEpoch: number;
}

export interface PartitionOutcome {
  wanted: WantedPartition;
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  records: Buffer;
}

const EMPTY = Buffer.alloc(0);

function failed(wanted: WantedPartition, errorCode: number): PartitionOutcome {
  return { wanted, errorCode, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: EMPTY };
}

/** Finds the partition or says which error the client gets instead. */
function locate(ctx: RequestContext, w: WantedPartition): Partition | number {
  const p = ctx.broker.replicas.get(w.topic, w.partition);
  if (!p) return w.topic === '' ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  if (w.currentLeaderEpoch >= 0 && w.currentLeaderEpoch !== p.leaderEpoch) {
    return w.currentLeaderEpoch > p.leaderEpoch ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.FENCED_LEADER_EPOCH;
  }
  if (w.fetchOffset < p.logStartOffset || w.fetchOffset > p.logEndOffset) return ErrorCode.OFFSET_OUT_OF_RANGE;
  return p;
}

/** One pass over the partitions: the first batch found is returned whole even past the limits (KIP-74). */
async function readOnce(ctx: RequestContext, wanted: WantedPartition[], maxBytes: number, isolationLevel: number): Promise<PartitionOutcome[]> {
  let budget = maxBytes;
  let gotAny = false;
  const out: PartitionOutcome[] = [];
  for (const w of wanted) {
    const found = locate(ctx, w);
    if (typeof found === 'number') {
      out.push(failed(w, found));
      continue;
    }
    const limit = Math.max(0, Math.min(w.maxBytes, budget));
    let read: Awaited<ReturnType<Partition['read']>> | null = null;
    try {
      read = limit > 0 || !gotAny ? await found.read(w.fetchOffset, limit, isolationLevel, !gotAny) : null;
    } catch (err) {
      // A partition-level failure (an offline log) answers that partition, not the whole fetch.
      if (!(err instanceof KafkaError)) throw err;
      out.push(failed(w, err.code));
      continue;
    }
    const records = read?.records ?? EMPTY;
    if (records.length > 0) gotAny = true;
    budget -= records.length;
    out.push({
      wanted: w,
      errorCode: ErrorCode.NONE,
      highWatermark: read?.highWatermark ?? found.highWatermark,
      lastStableOffset: read?.lastStableOffset ?? found.lastStableOffset,
      logStartOffset: read?.logStartOffset ?? found.logStartOffset,
      records,
    });
  }
  return out;
}

/** Reads, and waits for more data while fewer than `minBytes` are there and time is left. */
export async function readWithLongPoll(
  ctx: RequestContext,
  wanted: WantedPartition[],
  opts: { maxBytes: number; minBytes: number; maxWaitMs: number; isolationLevel: number },
): Promise<PartitionOutcome[]> {
  const deadline = Date.now() + Math.max(0, opts.maxWaitMs);
  for (;;) {
    const outcomes = await readOnce(ctx, wanted, opts.maxBytes, opts.isolationLevel);
    const bytes = outcomes.reduce((n, o) => n + o.records.length, 0);
    const hasError = outcomes.some((o) => o.errorCode !== ErrorCode.NONE);
    const remaining = deadline - Date.now();
    if (bytes >= opts.minBytes || hasError || remaining <= 0) return outcomes;
    const partitions = wanted.map((w) => ctx.broker.replicas.get(w.topic, w.partition)).filter((p): p is Partition => p !== undefined);
    if (!(await ctx.broker.replicas.waitForChange(partitions, remaining))) return outcomes;
  }
}
