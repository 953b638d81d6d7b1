/**
 * What the transaction tests look at from outside the producer: a topic read with kcat (librdkafka)
 * under either isolation level, the high watermark and last stable offset by ListOffsets, and the
 * Kafka error types a kafkajs rejection carries (kafkajs wraps a protocol error in retry and
 * non-retriable errors, each holding the previous one as `cause`).
 */
import assert from 'node:assert/strict';
import { kcat, parseJsonLines } from './kcat.js';
import { RawClient } from './raw-client.js';
import type { ListOffsetsResponse } from '../../src/protocol/generated/index.js';
import type { Kafka } from 'kafkajs';

export type Isolation = 'read_committed' | 'read_uncommitted';

/** One record as `partition:offset:value`. */
export type Seen = string;

/**
 * Every record of `topic` from the beginning up to its end for `isolation` (the last stable offset
 * for read_committed, the high watermark otherwise), as `partition:offset:value`, sorted by
 * partition then offset. Control batches (markers) are never records, so they never show.
 */
export async function readTopic(bootstrap: string, topic: string, isolation: Isolation): Promise<Seen[]> {
  const r = await kcat(['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-J', '-X', `isolation.level=${isolation}`, '-X', 'fetch.wait.max.ms=10']);
  assert.equal(r.code, 0, `kcat reading ${topic} (${isolation}) failed: ${r.stderr}`);
  return parseJsonLines(r.stdout)
    .sort((a, b) => a.partition - b.partition || a.offset - b.offset)
    .map((m) => `${m.partition}:${m.offset}:${m.payload ?? ''}`);
}

/** The values of `readTopic`'s answer, in its order. */
export function values(seen: Seen[]): string[] {
  return seen.map((s) => s.split(':').slice(2).join(':'));
}

/**
 * ListOffsets (v5) for the latest offset of each of `partitions`: with isolation 0 (read_uncommitted)
 * the high watermark, with 1 (read_committed) the last stable offset.
 */
export async function latestOffsets(bootstrap: string, topic: string, partitions: number[], isolationLevel: 0 | 1): Promise<number[]> {
  const c = await RawClient.open(bootstrap);
  try {
    c.sendRequest(2, 5, 1, { replicaId: -1, isolationLevel, topics: [{ name: topic, partitions: partitions.map((p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp: -1n })) }] });
    const res = (await c.response(2, 5))?.body as ListOffsetsResponse | undefined;
    if (!res) throw new Error(`no ListOffsets answer for ${topic}`);
    const byIndex = new Map(res.topics[0].partitions.map((p) => [p.partitionIndex, p]));
    return partitions.map((p) => {
      const found = byIndex.get(p);
      if (!found || found.errorCode !== 0) throw new Error(`ListOffsets ${topic}/${p}: error ${found?.errorCode}`);
      return Number(found.offset);
    });
  } finally {
    c.close();
  }
}

/** The Kafka error types (kafkajs' names, e.g. INVALID_PRODUCER_EPOCH) and messages along a rejection's cause chain. */
export function errorChain(err: unknown): { types: string[]; text: string } {
  const types: string[] = [];
  const texts: string[] = [];
  let at: unknown = err;
  for (let depth = 0; at !== undefined && at !== null && depth < 10; depth++) {
    if (typeof at !== 'object') {
      texts.push(String(at));
      break;
    }
    const e = at as { type?: unknown; name?: unknown; message?: unknown; cause?: unknown };
    if (typeof e.type === 'string') types.push(e.type);
    texts.push(`${String(e.name)}: ${String(e.message)}`);
    at = e.cause === at ? undefined : e.cause;
  }
  return { types, text: texts.join(' <- ') };
}

/** Asserts that `promise` rejects with a kafkajs protocol error of `type` somewhere in its cause chain. */
export async function rejectsWithType(promise: Promise<unknown>, type: string, what: string): Promise<void> {
  let caught: unknown = undefined;
  let rejected = false;
  try {
    await promise;
  } catch (err) {
    rejected = true;
    caught = err;
  }
  assert.ok(rejected, `${what}: expected a rejection with ${type}, but it succeeded`);
  const chain = errorChain(caught);
  assert.ok(chain.types.includes(type), `${what}: expected ${type}, got ${chain.types.join(', ') || 'no Kafka error type'} (${chain.text})`);
}

/**
 * What a kafkajs read_committed consumer group reads of `topic` from the beginning, as
 * `partition:value`, once it has `count` records; then it waits `settleMs` more (an aborted
 * record would come with the same fetches) and leaves the group.
 */
export async function consumeCommitted(kafka: Kafka, topic: string, groupId: string, count: number, settleMs = 0): Promise<string[]> {
  const consumer = kafka.consumer({ groupId, readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${seen.length} of ${count} committed records of ${topic}: ${seen.join(',')}`)), 30_000);
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          seen.push(`${partition}:${String(message.value)}`);
          if (seen.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    if (settleMs > 0) await new Promise((r) => setTimeout(r, settleMs));
  } finally {
    await consumer.disconnect();
  }
  return seen;
}
