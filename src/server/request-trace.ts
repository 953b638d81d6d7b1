/**
 * One diagnostics channel event per request, for metrics and tracing, published once its answer
 * left (or, with no answer to send, once it was settled). Nothing is measured unless someone
 * subscribes: `startTrace` returns undefined then, and the request path pays one boolean check.
 *
 * Times are `performance.now()` milliseconds, split as Kafka's RequestMetrics split them, as far as
 * one event loop can tell them apart:
 *   received  the frame was complete and handed to the dispatcher (Tributary has no request queue
 *             between network and handler threads, so Kafka's RequestQueueTimeMs has no twin here)
 *   answered  the handler's response was encoded (the handler's work and its waits in the purgatory)
 *   written   the answer was handed to the socket, after the answers before it on its connection
 *   sent      the socket wrote the last byte of it to the kernel
 */
import { channel } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import type { Socket } from 'node:net';
import type { BrokerServices } from '../api/services.js';
import type { ClientSession } from './client-session.js';

export const REQUEST_CHANNEL_NAME = 'tributary:server:request';
export const requestChannel = channel(REQUEST_CHANNEL_NAME);

export interface RequestTrace {
  /** The broker that served it (several may run in one process). */
  readonly broker: BrokerServices;
  readonly session: ClientSession;
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly apiName: string;
  /** The decoded request body. */
  readonly request: unknown;
  readonly requestBytes: number;
  /** The response object the handler gave (before encoding); null when none (acks=0, a closed connection). */
  response: unknown;
  responseBytes: number;
  readonly receivedAt: number;
  answeredAt: number;
  writtenAt: number;
  sentAt: number;
  /** How it ended: answered, not answered (acks=0), or the connection closed instead. */
  outcome: 'response' | 'none' | 'close';
}

export function startTrace(broker: BrokerServices, session: ClientSession, apiKey: number, apiVersion: number, apiName: string, request: unknown, requestBytes: number): RequestTrace | undefined {
  if (!requestChannel.hasSubscribers) return undefined;
  const now = performance.now();
  return { broker, session, apiKey, apiVersion, apiName, request, requestBytes, response: null, responseBytes: 0, receivedAt: now, answeredAt: now, writtenAt: now, sentAt: now, outcome: 'none' };
}

/** The handler answered with `response` (about to be encoded). */
export function traceAnswered(trace: RequestTrace | undefined, response: unknown): void {
  if (!trace) return;
  trace.response = response;
  trace.answeredAt = performance.now();
}

/**
 * The connection handed the answer to the socket (or dropped it): publishes once the socket wrote
 * it. `chunks` are the answer's bytes, null when nothing was written.
 */
export function traceWritten(trace: RequestTrace, socket: Socket, chunks: readonly Buffer[] | null, outcome: RequestTrace['outcome']): void {
  const now = performance.now();
  trace.writtenAt = now;
  trace.outcome = outcome;
  if (trace.response === null) trace.answeredAt = now;
  if (chunks === null) {
    trace.sentAt = now;
    requestChannel.publish(trace);
    return;
  }
  for (const c of chunks) trace.responseBytes += c.length;
  // Writes complete in order: an empty write's callback runs once the answer's bytes are written.
  socket.write(EMPTY, () => {
    trace.sentAt = performance.now();
    requestChannel.publish(trace);
  });
}

const EMPTY = Buffer.alloc(0);
