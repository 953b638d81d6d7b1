/** Small HTTP pieces of the console: JSON answers, bounded JSON bodies, and the cross-site guard of writes. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { hostname } from 'node:os';

/** Config edits are a handful of names and values. */
export const MAX_BODY_BYTES = 64 * 1024;
/** The header the console's pages send with every write; a cross-site form or image cannot set it. */
export const CONSOLE_HEADER = 'x-tributary-console';

export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly extra: Record<string, unknown> = {}) {
    super(message);
  }
}

export function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const bytes = Buffer.from(JSON.stringify(body) + '\n');
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(bytes.length), 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...headers });
  res.end(req.method === 'HEAD' ? undefined : bytes);
}

export function sendError(req: IncomingMessage, res: ServerResponse, err: HttpError): void {
  const headers: Record<string, string> = err.status === 405 ? { Allow: String(err.extra.allow ?? 'GET, HEAD') } : {};
  const extra = { ...err.extra };
  delete extra.allow;
  if (err.status === 413) res.shouldKeepAlive = false;
  sendJson(req, res, err.status, { error: err.message, ...extra }, headers);
}

/**
 * A write must come from the console's own pages: a JSON content type (a cross-site form cannot
 * send one without a CORS preflight, which this server never grants), the console's header, and,
 * when the browser names an Origin, the same host as the request's.
 */
export function guardWrite(req: IncomingMessage): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') throw new HttpError(415, 'a write needs Content-Type: application/json');
  if (req.headers[CONSOLE_HEADER] !== '1') throw new HttpError(403, `a write needs the header ${CONSOLE_HEADER}: 1`);
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      throw new HttpError(403, 'the Origin header is not a URL');
    }
    if (host !== req.headers.host) throw new HttpError(403, `cross-origin write refused (Origin ${origin})`);
  }
}

/** The request's JSON body, at most MAX_BODY_BYTES. */
export function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const announced = Number(req.headers['content-length'] ?? NaN);
  if (announced > MAX_BODY_BYTES) return Promise.reject(new HttpError(413, `the body is larger than ${MAX_BODY_BYTES} bytes`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, `the body is larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown);
      } catch {
        reject(new HttpError(400, 'the body is not JSON'));
      }
    });
  });
}

/** A bounded integer query parameter; `fallback` when absent. */
export function intParam(params: URLSearchParams, name: string, min: number, max: number, fallback: number | undefined): number | undefined {
  const text = params.get(name);
  if (text === null || text === '') return fallback;
  if (!/^-?\d{1,16}$/.test(text)) throw new HttpError(400, `${name} must be an integer`);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new HttpError(400, `${name} must be between ${min} and ${max}`);
  return n;
}

export function stringParam(params: URLSearchParams, name: string, maxLength: number): string | undefined {
  const text = params.get(name);
  if (text === null) return undefined;
  if (text.length > maxLength) throw new HttpError(400, `${name} is longer than ${maxLength} characters`);
  return text;
}

/**
 * Whether a request's Host names this server as an operator would: an IP address, localhost, this
 * machine's name or the listener's host. Any other name is how a DNS-rebinding page (a site whose
 * name an attacker re-points at 127.0.0.1) would reach the console as "same origin", so the
 * console's pages and API answer only these (Prometheus may scrape /metrics by any name).
 */
export function hostAllowed(host: string | undefined, listenerHost: string): boolean {
  if (host === undefined || host === '') return false;
  let name: string;
  try {
    name = new URL(`http://${host}`).hostname.toLowerCase();
  } catch {
    return false;
  }
  if (name.startsWith('[') && name.endsWith(']')) name = name.slice(1, -1);
  if (isIP(name) !== 0) return true;
  return name === 'localhost' || name.endsWith('.localhost') || name === hostname().toLowerCase() || name === listenerHost.toLowerCase();
}
