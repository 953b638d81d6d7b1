/**
 * One diagnostics channel event per request, for metrics and tracing, published once its answer
 * left (or, with no answer to send, once it was settled). Nothing is measured unless someone
 * subscribes: `startTrace` returns undefined then, and the request path pays one boolean check.
 *
 * Times are `performance.now()` milliseconds, split as Kafka's RequestMetrics split them, as far as
 * one event loop can tell them apart:
 *   received  the frame was complete and handed to the dispatcher (Tributary has no request queue
 *             between network and handler threads, so Kafka's RequestQueueTimeMs has no twin here)
 *   answered  the handler's response was encoded (the handler's work and its waits in the purgatory,
 *             which it notes in remoteStartedAt / remoteEndedAt: see api/wait-timing.ts)
 *   written   the answer was handed to the socket, after the answers before it on its connection
 *   sent      the socket wrote the last byte of it to the kernel
 */
import { channel } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import type { Socket } from 'node:net';
import type { BrokerServices } from '../api/services.js';
import type { ClientSession } from './client-session.js';
import type { WaitTiming } from '../api/handler.js';

export const REQUEST_CHANNEL_NAME = 'tributary:server:request';
export const requestChannel = channel(REQUEST_CHANNEL_NAME);

export interface RequestTrace extends WaitTiming {
  /** The broker that served it (several may run in one process). */
  readonly broker: BrokerServices;
  readonly session: ClientSession;
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly apiName: string;
  /** The request header's client id (null when the client sent none). */
  readonly clientId: string | null;
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

export function startTrace(broker: BrokerServices, session: ClientSession, apiKey: number, apiVersion: number, apiName: string, clientId: string | null, request: unknown, requestBytes: number): RequestTrace | undefined {
  if (!requestChannel.hasSubscribers) return undefined;
  const now = performance.now();
  return { broker, session, apiKey, apiVersion, apiName, clientId, request, requestBytes, response: null, responseBytes: 0, receivedAt: now, answeredAt: now, writtenAt: now, sentAt: now, outcome: 'none', remoteStartedAt: -1, remoteEndedAt: -1 };
}

/** The handler answered with `response` (about to be encoded). */
export function traceAnswered(trace: RequestTrace | undefined, response: unknown): void {
  if (!trace) return;
  trace.response = response;
  trace.answeredAt = performance.now();
}

/** The connection dropped the request's answer, or had none to send (acks=0): publishes now. */
export function traceDone(trace: RequestTrace, outcome: RequestTrace['outcome']): void {
  const now = performance.now();
  trace.writtenAt = now;
  trace.sentAt = now;
  trace.outcome = outcome;
  if (trace.response === null) trace.answeredAt = now;
  requestChannel.publish(trace);
}

/**
 * Writes an answer's chunks in order; `afterWrite` runs once the socket is done with the last one
 * (written, or dropped because the socket was destroyed: Node calls a write's callback either way).
 */
export function writeChunks(socket: Socket, chunks: readonly Buffer[], afterWrite?: () => void): void {
  const last = chunks.length - 1;
  for (let i = 0; i < last; i++) socket.write(chunks[i]);
  if (last < 0) afterWrite?.();
  else if (afterWrite) socket.write(chunks[last], () => afterWrite());
  else socket.write(chunks[last]);
}

/**
 * Writes a traced answer to the socket in the connection's place (the same writes, in order), the
 * last chunk with a callback: it publishes once the socket wrote the answer's last byte.
 */
export function writeTraced(trace: RequestTrace, socket: Socket, chunks: readonly Buffer[], afterWrite?: () => void): void {
  trace.writtenAt = performance.now();
  trace.outcome = 'response';
  const last = chunks.length - 1;
  for (let i = 0; i < last; i++) {
    trace.responseBytes += chunks[i].length;
    socket.write(chunks[i]);
  }
  if (last < 0) {
    trace.sentAt = trace.writtenAt;
    requestChannel.publish(trace);
    afterWrite?.();
    return;
  }
  trace.responseBytes += chunks[last].length;
  socket.write(chunks[last], () => {
    trace.sentAt = performance.now();
    requestChannel.publish(trace);
    afterWrite?.();
  });
}
