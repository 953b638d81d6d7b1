/**
 * Byte-rate quotas on the request path (KIP-13, KIP-219): a Produce request's bytes count against
 * the client's producer_byte_rate, a Fetch answer's bytes against its consumer_byte_rate. A client
 * over its rate gets the wait in the answer's throttle_time_ms and its connection is muted for that
 * long (the connection reads nothing meanwhile); a throttled Fetch is answered empty, its bytes
 * not counted, as Kafka does, so the records are fetched again after the wait. Followers' fetches
 * are replication, not consumption: never throttled.
 */
import type { ClientQuotas } from '../security/quota/client-quotas.js';

export const PRODUCE_KEY = 0;
export const FETCH_KEY = 1;

export interface QuotaSubject {
  readonly quotas: ClientQuotas;
  /** "User:alice" → alice, as Kafka's quotas name users. */
  readonly principal: string;
  readonly clientId: string | null;
  readonly now: number;
}

function userOf(principal: string): string {
  return principal.startsWith('User:') ? principal.slice(5) : principal;
}

/** The wait for a Produce of `requestBytes`, in ms (0: within quota). */
export function produceThrottle(s: QuotaSubject, requestBytes: number): number {
  return s.quotas.record('producer_byte_rate', userOf(s.principal), s.clientId ?? '', requestBytes, s.now);
}

/** Whether a Fetch request comes from a follower broker (replica id set, in the body or, from v15, its replica state). */
export function isReplicaFetch(body: unknown): boolean {
  const b = body as { replicaId?: number; replicaState?: { replicaId?: number } };
  return (b.replicaId ?? -1) >= 0 || (b.replicaState?.replicaId ?? -1) >= 0;
}

/**
 * Counts a Fetch answer of `responseBytes`; when that puts the client over its quota, takes the
 * bytes back and answers the wait (the caller then sends an empty answer instead).
 */
export function fetchThrottle(s: QuotaSubject, responseBytes: number): number {
  const user = userOf(s.principal);
  const clientId = s.clientId ?? '';
  const wait = s.quotas.record('consumer_byte_rate', user, clientId, responseBytes, s.now);
  if (wait > 0) s.quotas.unrecord('consumer_byte_rate', user, clientId, responseBytes, s.now);
  return wait;
}

/** A Fetch answer with no data and the wait, keeping the session id so an incremental session goes on. */
export function throttledFetchResponse(response: unknown, throttleTimeMs: number): unknown {
  const r = response as { sessionId?: number };
  return { throttleTimeMs, errorCode: 0, sessionId: r.sessionId ?? 0, responses: [] };
}
