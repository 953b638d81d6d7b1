/**
 * Notes a wait in the purgatory (acks=all replication, a long poll) on the request's timing, when
 * requests are measured; otherwise hands the promise back untouched (no extra await on the path).
 * Waits of one request may overlap (one per partition): the span from the first start to the last
 * end is the request's remote time, as Kafka's one delayed operation per request measures it.
 */
import { performance } from 'node:perf_hooks';
import type { RequestContext } from './handler.js';

export function timedWait<T>(ctx: RequestContext, wait: Promise<T>): Promise<T> {
  const timing = ctx.timing;
  if (!timing) return wait;
  const startedAt = performance.now();
  if (timing.remoteStartedAt < 0 || startedAt < timing.remoteStartedAt) timing.remoteStartedAt = startedAt;
  const done = () => {
    timing.remoteEndedAt = Math.max(timing.remoteEndedAt, performance.now());
  };
  return wait.finally(done);
}
