/**
 * The contract between the server and one Kafka API: a handler names its API key and the versions
 * it implements, answers a decoded request with a response body, and can build the error response
 * the server sends when the handler cannot answer (unsupported version, an internal failure).
 */
import type { Logger } from 'pino';
import type { BrokerServices } from './services.js';

/**
 * Where a request's waits in the purgatory are noted while someone measures requests (Kafka's
 * RemoteTimeMs): the first wait's start and the last one's end, performance.now() ms, -1 before any.
 */
export interface WaitTiming {
  remoteStartedAt: number;
  remoteEndedAt: number;
}

export interface RequestContext {
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  /** The client's address, for logs. */
  readonly clientHost: string;
  /** The client's IP address alone (what ACLs match). */
  readonly clientAddress: string;
  /** The authenticated Kafka principal ("User:alice"), User:ANONYMOUS when none. */
  readonly principal: string;
  /** The name of the listener the request arrived on (its advertised address is what clients get). */
  readonly listenerName: string;
  /** The API's name ("Produce"), for the authorizer's audit lines. */
  readonly apiName?: string;
  readonly broker: BrokerServices;
  readonly log: Logger;
  /** Aborted when the client's connection closes: nobody will read the answer any more. */
  readonly connectionClosed?: AbortSignal;
  /** Present while requests are measured (see wait-timing.ts). */
  readonly timing?: WaitTiming;
}

export interface ApiHandler<Request, Response> {
  readonly apiKey: number;
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** Answers the request. `null` means no response is sent (Produce with acks=0). */
  handle(ctx: RequestContext, request: Request): Promise<Response | null> | Response | null;
  /**
   * Called once the response's bytes were handed to the kernel, or dropped unsent (the connection
   * closed): what the response referenced may then be reused (Fetch gives back its read buffers).
   */
  afterSent?(response: Response): void;
  /** A response that gives `errorCode` for everything the request asked about. */
  errorResponse(request: Request, errorCode: number, message: string, apiVersion: number): Response;
}

/** Type-erased handler, as the registry holds them (method parameters are bivariant, so typed handlers fit). */
export type AnyApiHandler = ApiHandler<unknown, unknown>;
