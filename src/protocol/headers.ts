/**
 * Request and response headers. Which header version a message uses follows from its API and
 * version: flexible versions use request header v2 and response header v1, others v1 and v0 —
 * except that ApiVersions responses always use header v0, so a client can read the answer
 * whatever version it asked in, and ControlledShutdown v0 uses request header v0.
 *
 *   request header v1:  apiKey int16 | apiVersion int16 | correlationId int32 | clientId nullable string
 *   request header v2:  the same, then a tagged-field section
 *   response header v0: correlationId int32;  v1: the same, then a tagged-field section
 */
import { API_BY_KEY, decodeRequestHeader, encodeResponseHeader, type RequestHeader } from './generated/index.js';
import { DecodeError } from './codec-errors.js';
import { inRange } from './schema.js';
import { Reader } from './reader.js';
import type { Writer } from './writer.js';

export const API_VERSIONS_KEY = 18;
const CONTROLLED_SHUTDOWN_KEY = 7;

export function isFlexibleVersion(apiKey: number, apiVersion: number): boolean {
  const api = API_BY_KEY.get(apiKey);
  return api !== undefined && inRange(api.request.flexibleVersions, apiVersion);
}

export function requestHeaderVersion(apiKey: number, apiVersion: number): number {
  if (isFlexibleVersion(apiKey, apiVersion)) return 2;
  if (apiKey === CONTROLLED_SHUTDOWN_KEY && apiVersion === 0) return 0;
  return 1;
}

export function responseHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === API_VERSIONS_KEY) return 0;
  return isFlexibleVersion(apiKey, apiVersion) ? 1 : 0;
}

export interface ParsedRequestHeader {
  header: RequestHeader;
  headerVersion: number;
  /** A reader positioned at the first byte of the request body. */
  body: Reader;
}

/**
 * Reads the header of one request frame (without its 4-byte size prefix). An API version newer
 * than the codecs know is still read with the header its API's flexible range implies, so that
 * the broker can answer it (ApiVersions in particular must answer any version, per KIP-511).
 */
export function parseRequestHeader(frame: Buffer): ParsedRequestHeader {
  if (frame.length < 8) throw new DecodeError(`request frame of ${frame.length} bytes is shorter than a header`);
  const apiKey = frame.readInt16BE(0);
  const apiVersion = frame.readInt16BE(2);
  const headerVersion = requestHeaderVersion(apiKey, apiVersion);
  const body = new Reader(frame);
  const header = decodeRequestHeader(body, headerVersion);
  return { header, headerVersion, body };
}

/** Writes a response header for the given request. */
export function writeResponseHeader(w: Writer, apiKey: number, apiVersion: number, correlationId: number): void {
  encodeResponseHeader(w, responseHeaderVersion(apiKey, apiVersion), { correlationId });
}
