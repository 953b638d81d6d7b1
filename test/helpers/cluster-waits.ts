/**
 * Waiting for a cluster condition in fault tests: polls `probe` (a probe that throws counts as
 * "not yet", except with ProbeFailed) until it answers non-null, within a bound; on timeout the error carries each
 * broker's last log lines. Also waits for a partition's copies to agree and reads a partition
 * directory's log segments, for byte comparisons.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProcessCluster } from './process-cluster.js';
import { askBroker, partitionsOf } from './cluster-admin.js';

export const CLUSTER_BOUND_MS = 60_000;

/**
 * Thrown by a probe for an answer that no retry can mend (a write acknowledged that must not be):
 * until() fails with it at once instead of counting it as "not yet" and probing again.
 */
export class ProbeFailed extends Error {}

/** Throws ProbeFailed with `message` unless `condition` holds. */
export function probeCheck(condition: boolean, message: string): asserts condition {
  if (!condition) throw new ProbeFailed(message);
}

export async function until<T>(what: string, probe: () => Promise<T | null>, cluster: ProcessCluster, boundMs = CLUSTER_BOUND_MS): Promise<T> {
  const deadline = Date.now() + boundMs;
  let lastError: unknown = null;
  for (;;) {
    const got = await probe().catch((err: unknown) => {
      if (err instanceof ProbeFailed) throw err;
      lastError = err;
      return null;
    });
    if (got !== null) return got;
    if (Date.now() > deadline) {
      const tails = cluster.nodeIds.map((id) => `--- broker ${id}\n${cluster.logTail(id, 15)}`).join('\n');
      throw new Error(`timed out waiting for ${what}${lastError ? ` (last probe error: ${String(lastError)})` : ''}\n${tails}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface LogDirsBody {
  results: { topics: { name: string; partitions: { partitionIndex: number; partitionSize: bigint }[] }[] }[];
}

/** The size of broker `nodeId`'s own copy of `topic`-`partition` (DescribeLogDirs), -1 when it holds none. */
async function copySize(cluster: ProcessCluster, nodeId: number, topic: string, partition: number): Promise<bigint> {
  const body = await askBroker<LogDirsBody>(cluster.address(nodeId), 35, 4, { topics: [{ topic, partitions: [partition] }] }, 5000);
  const p = body.results.flatMap((r) => r.topics).find((t) => t.name === topic)?.partitions.find((x) => x.partitionIndex === partition);
  return p?.partitionSize ?? -1n;
}

/**
 * Waits until each of `partitions` of `topic` has, in its leader's own eyes, every replica in its
 * ISR, and every replica's copy has the same size: the point from which the copies, once their
 * brokers stop, can be compared byte for byte. Neither alone is enough: another broker's metadata
 * may show an ISR the leader has just shrunk (a follower slow to fetch on a loaded machine), and
 * an in-sync follower may not yet hold records the leader appended beyond the high watermark; a
 * leader stopped before it does would leave a longer copy than its successor's.
 */
export async function untilCopiesAgree(cluster: ProcessCluster, topic: string, partitions: number[]): Promise<void> {
  for (const partition of partitions) {
    await until(`${topic}-${partition}: every copy in sync and of one size`, async () => {
      const running = cluster.nodeIds.filter((id) => cluster.isRunning(id));
      const seen = (await partitionsOf(cluster.address(running[0]), topic)).find((p) => p.partition === partition);
      if (!seen || seen.leader <= 0) return null;
      const byLeader = (await partitionsOf(cluster.address(seen.leader), topic)).find((p) => p.partition === partition);
      if (!byLeader || byLeader.leader !== seen.leader || byLeader.isr.length !== byLeader.replicas.length) return null;
      const sizes = await Promise.all(byLeader.replicas.map((id) => copySize(cluster, id, topic, partition)));
      return sizes.every((size) => size >= 0n && size === sizes[0]) ? true : null;
    }, cluster);
  }
}

/** The concatenated .log segments of one partition directory. */
export async function logBytes(dir: string): Promise<Buffer> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.log')).sort();
  return Buffer.concat(await Promise.all(names.map((n) => readFile(join(dir, n)))));
}

/**
 * Cleanup after a failed run: clients may be retrying against stopped brokers, so their stop is
 * given `ms` and then left behind (the test's own process ends anyway).
 */
export function bounded(cleanup: Promise<unknown>, ms = 5000): Promise<unknown> {
  return Promise.race([cleanup.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, ms).unref())]);
}
