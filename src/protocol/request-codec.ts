/**
 * Whole frames: a request frame decoded into its header and body, a response encoded with its
 * header and size prefix, ready for `writev`.
 */
import { API_BY_KEY, encodeRequestHeader, type ApiDefinition } from './generated/index.js';
import { DecodeError } from './codec-errors.js';
import { parseRequestHeader, requestHeaderVersion, writeResponseHeader } from './headers.js';
import type { RequestHeader } from './generated/index.js';
import { inRange } from './schema.js';
import { Writer } from './writer.js';

/** The frame names an API key or version this broker's codecs do not have. */
export class UnsupportedApiError extends DecodeError {
  constructor(
    readonly apiKey: number,
    readonly apiVersion: number,
    readonly correlationId: number,
  ) {
    super(API_BY_KEY.has(apiKey) ? `unsupported version ${apiVersion} of API ${apiKey}` : `unknown API key ${apiKey}`);
  }
}

export interface DecodedRequest {
  header: RequestHeader;
  api: ApiDefinition;
  body: unknown;
  /** Array elements (and tagged fields) the request decoded to: what it costs beyond its bytes. */
  elements: number;
}

/** Looks up an API definition, throwing UnsupportedApiError for keys or versions the codecs lack. */
export function apiFor(apiKey: number, apiVersion: number, correlationId = -1): ApiDefinition {
  const api = API_BY_KEY.get(apiKey);
  if (!api || !inRange(api.request.validVersions, apiVersion)) throw new UnsupportedApiError(apiKey, apiVersion, correlationId);
  return api;
}

/** Decodes a request frame (without its size prefix). Throws DecodeError (or UnsupportedApiError). */
export function decodeRequestFrame(frame: Buffer): DecodedRequest {
  if (frame.length < 8) throw new DecodeError(`request frame of ${frame.length} bytes is shorter than a header`);
  // Key, version and correlation id sit at fixed places in every header version: an unsupported
  // request is recognised (and can be answered) before the rest of its header is parsed.
  const api = apiFor(frame.readInt16BE(0), frame.readInt16BE(2), frame.readInt32BE(4));
  const { header, body } = parseRequestHeader(frame);
  const decoded = api.decodeRequest(body, header.requestApiVersion);
  return { header, api, body: decoded, elements: body.elementsDecoded };
}

/** Encodes a request frame with its size prefix (used by tests, tools and the replica fetcher). */
export function encodeRequestFrame(apiKey: number, apiVersion: number, correlationId: number, clientId: string | null, body: unknown): Buffer[] {
  const api = apiFor(apiKey, apiVersion);
  const w = new Writer();
  const setSize = w.reserveInt32();
  const header = { requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId, clientId };
  encodeRequestHeader(w, requestHeaderVersion(apiKey, apiVersion), header);
  api.encodeRequest(w, apiVersion, body);
  setSize(w.length - 4);
  return w.finish();
}

/** Encodes a response frame with its size prefix. */
export function encodeResponseFrame(apiKey: number, apiVersion: number, correlationId: number, body: unknown): Buffer[] {
  const api = apiFor(apiKey, apiVersion);
  const w = new Writer();
  const setSize = w.reserveInt32();
  writeResponseHeader(w, apiKey, apiVersion, correlationId);
  api.encodeResponse(w, apiVersion, body);
  setSize(w.length - 4);
  return w.finish();
}
