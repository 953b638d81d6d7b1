/**
 * How many bytes a request's answer may take, known before it is handled, so a connection can
 * hold back further pipelined requests instead of letting their answers pile up behind a slow
 * one. Only Fetch answers are large and sized by the client; the rest are counted once built.
 */
import type { FetchRequest } from '../protocol/generated/index.js';
import type { DecodedRequest } from '../protocol/request-codec.js';

const FETCH_KEY = 1;

export function responseBytesEstimate(request: DecodedRequest, fetchMaxBytes: number): number {
  if (request.header.requestApiKey !== FETCH_KEY) return 0;
  // v3+ carries the answer's total cap; the broker's fetch.max.bytes caps it again.
  const asked = (request.body as FetchRequest).maxBytes;
  return Math.max(0, Math.min(typeof asked === 'number' ? asked : fetchMaxBytes, fetchMaxBytes));
}
