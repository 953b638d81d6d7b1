/**
 * One request frame to one response: decode, find the handler, run it inside a failure boundary,
 * encode. What cannot be answered in the client's own format closes the connection, with one
 * log line, as Kafka does for undecodable requests and for versions it does not serve (only
 * ApiVersions is answered at any version, KIP-511).
 *
 * Decoding happens at once, so that the connection learns how large the answer may grow (see
 * response-estimate.ts) before it starts the next pipelined request; the handler runs afterwards.
 */
import type { Logger } from 'pino';
import { DecodeError, EncodeError } from '../protocol/codec-errors.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { decodeRequestFrame, encodeResponseFrame, UnsupportedApiError, type DecodedRequest } from '../protocol/request-codec.js';
import { API_VERSIONS_KEY } from '../protocol/headers.js';
import { handlerFor } from '../api/registry.js';
import { unsupportedApiVersionsResponse } from '../api/api-versions.js';
import type { BrokerServices } from '../api/services.js';
import type { AnyApiHandler, RequestContext } from '../api/handler.js';
import { responseBytesEstimate } from './response-estimate.js';
import type { ClientSession } from './client-session.js';
import { FETCH_KEY, fetchThrottle, isReplicaFetch, PRODUCE_KEY, produceThrottle, throttledFetchResponse, type QuotaSubject } from './quota-throttle.js';
import { startTrace, traceAnswered, type RequestTrace } from './request-trace.js';

/**
 * `closeAfter`: the connection closes once this response is written (a failed authentication).
 * `throttleMs`: the client is over a quota; the connection reads nothing for that long after it.
 * `afterWrite`: the connection calls it once, when the kernel took every chunk or the chunks were
 * dropped unwritten; only then may memory the chunks point into be reused.
 */
export type DispatchResult = { kind: 'response'; chunks: Buffer[]; closeAfter?: boolean; throttleMs?: number; afterWrite?: () => void } | { kind: 'none'; throttleMs?: number } | { kind: 'close' };

/** A request under way: what its decoded form and its answer may cost in memory, and the answer. */
export interface Dispatched {
  readonly responseBytesEstimate: number;
  readonly decodedBytesEstimate?: number;
  readonly answer: Promise<DispatchResult>;
  /** Present while someone listens on the request channel (request-trace.ts); the connection completes it. */
  readonly trace?: RequestTrace;
}

/** Rough heap cost of one decoded array element (a small object or a boxed value). */
const DECODED_BYTES_PER_ELEMENT = 64;

/** Turns one request frame into what the connection sends back; a seam for fault-injection tests. */
/** `closed` is aborted when the client's connection goes: a request waiting for data stops waiting. */
export type Dispatcher = (frame: Buffer, services: BrokerServices, session: ClientSession, log: Logger, closed?: AbortSignal) => Dispatched;

const CLOSE: DispatchResult = { kind: 'close' };

function settled(result: DispatchResult): Dispatched {
  return { responseBytesEstimate: 0, answer: Promise.resolve(result) };
}

export function dispatch(frame: Buffer, services: BrokerServices, session: ClientSession, log: Logger, closed?: AbortSignal): Dispatched {
  let decoded: DecodedRequest;
  try {
    decoded = decodeRequestFrame(frame);
  } catch (err) {
    if (err instanceof UnsupportedApiError && err.apiKey === API_VERSIONS_KEY) {
      // KIP-511: answer a too-new ApiVersions in the v0 format so the client can retry lower.
      return settled({ kind: 'response', chunks: encodeResponseFrame(API_VERSIONS_KEY, 0, err.correlationId, unsupportedApiVersionsResponse()) });
    }
    if (err instanceof DecodeError) {
      log.warn(`closing connection: undecodable request: ${err.message}`);
      return settled(CLOSE);
    }
    // Any other exception is a decoder bug: the connection's boundary closes the connection.
    throw err;
  }
  const trace = startTrace(services, session, decoded.header.requestApiKey, decoded.header.requestApiVersion, decoded.api.name, decoded.header.clientId, decoded.body, frame.length);
  return {
    responseBytesEstimate: responseBytesEstimate(decoded, services.config.int('fetch.max.bytes')),
    decodedBytesEstimate: decoded.elements * DECODED_BYTES_PER_ELEMENT,
    answer: answer(decoded, frame.length, services, session, log, closed, trace),
    trace,
  };
}

async function answer(decoded: DecodedRequest, requestBytes: number, services: BrokerServices, session: ClientSession, log: Logger, closed: AbortSignal | undefined, trace?: RequestTrace): Promise<DispatchResult> {
  const { header, body } = decoded;
  const apiKey = header.requestApiKey;
  const version = header.requestApiVersion;
  const handler = handlerFor(apiKey);
  const respond = (response: unknown): DispatchResult => {
    traceAnswered(trace, response);
    try {
      return { kind: 'response', chunks: encodeResponseFrame(apiKey, version, header.correlationId, response) };
    } catch (err) {
      const why = err instanceof EncodeError ? err.message : String(err);
      log.error(`closing connection: cannot encode the ${decoded.api.name} v${version} response: ${why}`);
      return CLOSE;
    }
  };
  if (!handler) {
    log.warn(`closing connection: API ${decoded.api.name} (key ${apiKey}) is not implemented`);
    return CLOSE;
  }
  if (version < handler.minVersion || version > handler.maxVersion) {
    if (apiKey === API_VERSIONS_KEY) return respond(unsupportedApiVersionsResponse());
    // As Kafka's SocketServer does for a version it does not serve: close, never answer. An error
    // body in an old version's format may have no field to say so (Fetch before v7 has no
    // top-level error code), and the client would read it as "no topics" and wait forever.
    log.warn(`closing connection: ${handler.name} v${version} is not supported (this broker serves v${handler.minVersion}-${handler.maxVersion})`);
    return CLOSE;
  }
  const ctx: RequestContext = {
    apiVersion: version,
    correlationId: header.correlationId,
    clientId: header.clientId,
    clientHost: session.host,
    clientAddress: session.address,
    principal: session.principal,
    listenerName: session.listener.name,
    apiName: handler.name,
    broker: services,
    log,
    connectionClosed: closed,
    timing: trace,
  };
  try {
    const response = await handler.handle(ctx, body);
    const result =
      (apiKey === PRODUCE_KEY || apiKey === FETCH_KEY) && services.clientQuotas.any
        ? withQuota(response, respond, { quotas: services.clientQuotas, principal: session.principal, clientId: header.clientId, now: services.now() }, apiKey, requestBytes, body)
        : response === null
          ? ({ kind: 'none' } as const)
          : respond(response);
    return withAfterSent(result, handler, response);
  } catch (err) {
    log.error({ err, api: handler.name, version }, 'handler failed');
    try {
      return respond(handler.errorResponse(body, ErrorCode.UNKNOWN_SERVER_ERROR, 'internal error', version));
    } catch {
      return CLOSE;
    }
  }
}

/** Hands the handler's afterSent to the connection; a response that will not be written releases at once. */
function withAfterSent(result: DispatchResult, handler: AnyApiHandler, response: unknown): DispatchResult {
  const after = handler.afterSent;
  if (!after || response === null) return result;
  const release = () => after.call(handler, response);
  if (result.kind === 'response') return { ...result, afterWrite: release };
  release();
  return result;
}

/** Applies the client's byte-rate quota to a Produce or Fetch answer (quota-throttle.ts). */
function withQuota(response: unknown, respond: (r: unknown) => DispatchResult, subject: QuotaSubject, apiKey: number, requestBytes: number, body: unknown): DispatchResult {
  if (apiKey === PRODUCE_KEY) {
    const throttleMs = produceThrottle(subject, requestBytes);
    // acks=0 has no answer to carry the wait; the mute alone slows the producer.
    if (response === null) return { kind: 'none', throttleMs };
    if (throttleMs === 0) return respond(response);
    const result = respond({ ...(response as object), throttleTimeMs: throttleMs });
    return result.kind === 'response' ? { ...result, throttleMs } : result;
  }
  const result = respond(response);
  if (result.kind !== 'response' || isReplicaFetch(body)) return result;
  const throttleMs = fetchThrottle(subject, result.chunks.reduce((n, c) => n + c.length, 0));
  if (throttleMs === 0) return result;
  const throttled = respond(throttledFetchResponse(response, throttleMs));
  return throttled.kind === 'response' ? { ...throttled, throttleMs } : throttled;
}
