/**
 * Waiting for a cluster condition in fault tests: polls `probe` (a probe that throws counts as
 * "not yet") until it answers non-null, within a bound; on timeout the error carries each
 * broker's last log lines. Also reads a partition directory's log segments, for byte comparisons.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProcessCluster } from './process-cluster.js';

export const CLUSTER_BOUND_MS = 60_000;

export async function until<T>(what: string, probe: () => Promise<T | null>, cluster: ProcessCluster, boundMs = CLUSTER_BOUND_MS): Promise<T> {
  const deadline = Date.now() + boundMs;
  let lastError: unknown = null;
  for (;;) {
    const got = await probe().catch((err: unknown) => ((lastError = err), null));
    if (got !== null) return got;
    if (Date.now() > deadline) {
      const tails = cluster.nodeIds.map((id) => `--- broker ${id}\n${cluster.logTail(id, 15)}`).join('\n');
      throw new Error(`timed out waiting for ${what}${lastError ? ` (last probe error: ${String(lastError)})` : ''}\n${tails}`);
    }
    await new Promise((r) => setTimeout(r, 50));
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
