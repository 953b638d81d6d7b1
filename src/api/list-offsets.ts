/**
 * ListOffsets (key 2): earliest (-2), latest (-1), max timestamp (-3), earliest local (-4), or the
 * first offset at or after a timestamp. Past the last record a timestamp gets offset -1, as Kafka
 * answers, and clients substitute the end. v0 answers a list of segment offsets instead
 * (old_style_offsets, up to max_num_offsets; see partition/legacy-offsets.ts), and knows only -1 and -2
 * of the special timestamps.
 */
import type { ListOffsetsRequest, ListOffsetsResponseInput, ListOffsetsResponseListOffsetsPartitionResponseInput } from '../protocol/generated/index.js';
import { ErrorCode, KafkaError } from '../protocol/error-codes.js';
import { READ_COMMITTED, type Partition } from '../partition/partition.js';
import type { ApiHandler, RequestContext } from './handler.js';
import { isNotHere, leaderPartition } from './leader-partition.js';
import { legacyOffsetsBefore } from '../partition/legacy-offsets.js';
import { authorizedNames, Op, ResourceType } from './authorize.js';

const LATEST = -1;
const EARLIEST = -2;
const MAX_TIMESTAMP = -3;
const EARLIEST_LOCAL = -4;

type PartitionResponse = ListOffsetsResponseListOffsetsPartitionResponseInput;

function answer(partitionIndex: number, errorCode: number, offset: number, timestamp: number, leaderEpoch: number): PartitionResponse {
  return { partitionIndex, errorCode, oldStyleOffsets: [], timestamp: BigInt(timestamp), offset: BigInt(offset), leaderEpoch };
}

async function lookup(p: Partition, timestamp: number, isolationLevel: number): Promise<{ offset: number; timestamp: number }> {
  switch (timestamp) {
    case LATEST:
      return { offset: isolationLevel === READ_COMMITTED ? p.lastStableOffset : p.highWatermark, timestamp: -1 };
    case EARLIEST:
    case EARLIEST_LOCAL:
      return { offset: p.logStartOffset, timestamp: -1 };
    case MAX_TIMESTAMP:
      return committedOnly(p, (await p.maxTimestamp()) ?? NOT_FOUND, isolationLevel);
    default: {
      if (timestamp < 0) throw new RangeError(`unsupported timestamp ${timestamp}`);
      return committedOnly(p, (await p.offsetForTimestamp(timestamp)) ?? NOT_FOUND, isolationLevel);
    }
  }
}

const NOT_FOUND = { offset: -1, timestamp: -1 };

/** As Kafka: a read_committed lookup by time finds nothing at or past the last stable offset. */
function committedOnly(p: Partition, found: { offset: number; timestamp: number }, isolationLevel: number): { offset: number; timestamp: number } {
  return isolationLevel === READ_COMMITTED && found.offset >= p.lastStableOffset ? NOT_FOUND : found;
}

type PartitionRequest = ListOffsetsRequest['topics'][number]['partitions'][number];

/** ListOffsets v0: the offsets of segments written before the timestamp, newest first. */
async function legacyPartition(ctx: RequestContext, p: Partition, req: PartitionRequest, replicaId: number): Promise<PartitionResponse> {
  const timestamp = Number(req.timestamp);
  // Kafka: other negative timestamps came with later versions.
  if (timestamp < EARLIEST) return answer(req.partitionIndex, ErrorCode.UNSUPPORTED_VERSION, -1, -1, -1);
  try {
    const segments = await p.segmentTimes();
    const offsets = legacyOffsetsBefore({ segments, logStartOffset: p.logStartOffset, logEndOffset: p.logEndOffset, highWatermark: p.highWatermark, now: ctx.broker.now(), timestamp, maxNumOffsets: req.maxNumOffsets, fromConsumer: replicaId === -1 });
    return { ...answer(req.partitionIndex, ErrorCode.NONE, -1, -1, -1), oldStyleOffsets: offsets.map(BigInt) };
  } catch (err) {
    if (err instanceof KafkaError) return answer(req.partitionIndex, err.code, -1, -1, -1);
    throw err;
  }
}

async function listPartition(ctx: RequestContext, topic: string, req: PartitionRequest, request: ListOffsetsRequest): Promise<PartitionResponse> {
  const p = leaderPartition(ctx, topic, req.partitionIndex);
  if (isNotHere(p)) return answer(req.partitionIndex, p.errorCode, -1, -1, -1);
  if (ctx.apiVersion === 0) return legacyPartition(ctx, p, req, request.replicaId);
  const isolationLevel = request.isolationLevel;
  if (req.currentLeaderEpoch >= 0 && req.currentLeaderEpoch !== p.leaderEpoch) {
    const code = req.currentLeaderEpoch > p.leaderEpoch ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.FENCED_LEADER_EPOCH;
    return answer(req.partitionIndex, code, -1, -1, -1);
  }
  const ts = Number(req.timestamp);
  if (ts < EARLIEST_LOCAL) return answer(req.partitionIndex, ErrorCode.INVALID_REQUEST, -1, -1, -1);
  let found: { offset: number; timestamp: number };
  try {
    found = await lookup(p, ts, isolationLevel);
  } catch (err) {
    // An offline log answers its partition with KAFKA_STORAGE_ERROR; the others are unaffected.
    if (err instanceof KafkaError) return answer(req.partitionIndex, err.code, -1, -1, -1);
    throw err;
  }
  // The leader epoch travels from v4 on; before that the field must keep its default.
  const epoch = ctx.apiVersion >= 4 && found.offset >= 0 ? p.leaderEpoch : -1;
  return answer(req.partitionIndex, ErrorCode.NONE, found.offset, found.timestamp, epoch);
}

export const listOffsetsHandler: ApiHandler<ListOffsetsRequest, ListOffsetsResponseInput> = {
  apiKey: 2,
  name: 'ListOffsets',
  minVersion: 0,
  maxVersion: 8,
  async handle(ctx, request) {
    const topics = [];
    const describable = authorizedNames(ctx, Op.DESCRIBE, ResourceType.TOPIC, request.topics.map((t) => t.name));
    for (const t of request.topics) {
      if (!describable.has(t.name)) {
        topics.push({ name: t.name, partitions: t.partitions.map((p) => answer(p.partitionIndex, ErrorCode.TOPIC_AUTHORIZATION_FAILED, -1, -1, -1)) });
        continue;
      }
      const partitions = await Promise.all(t.partitions.map((p) => listPartition(ctx, t.name, p, request)));
      topics.push({ name: t.name, partitions });
    }
    return { throttleTimeMs: 0, topics };
  },
  errorResponse(request, errorCode) {
    return { throttleTimeMs: 0, topics: request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => answer(p.partitionIndex, errorCode, -1, -1, -1)) })) };
  },
};
