/**
 * A small HTTP(S) client for the admin server's tests: node:http / node:https requests with a CA,
 * an optional client certificate and optional Basic credentials; the whole answer as text.
 */
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface AdminAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface AdminRequest {
  readonly method?: string;
  /** user and password for HTTP Basic. */
  readonly basic?: readonly [string, string];
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

export function adminRequest(url: string, o: AdminRequest = {}): Promise<AdminAnswer> {
  const u = new URL(url);
  const headers: Record<string, string> = { ...o.headers };
  if (o.basic) headers.authorization = `Basic ${Buffer.from(`${o.basic[0]}:${o.basic[1]}`, 'utf8').toString('base64')}`;
  if (o.body !== undefined) headers['content-length'] = String(Buffer.byteLength(o.body));
  return new Promise((resolve, reject) => {
    const options = { method: o.method ?? 'GET', headers, agent: false as const };
    const onResponse = (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    };
    const req = u.protocol === 'https:' ? httpsRequest(u, { ...options, ca: o.ca, cert: o.cert, key: o.key }, onResponse) : httpRequest(u, options, onResponse);
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer from ${url}`)));
    req.on('error', reject);
    req.end(o.body);
  });
}
