/**
 * The admin HTTP server (tributary.admin.listener): GET /metrics (Prometheus text), /health (the
 * process serves HTTP) and /ready (storage loaded and, in a cluster, the metadata store reachable;
 * 503 with a JSON reason otherwise), and the web console: its pages under /console/ and their JSON
 * API under /v1/ (console/api.ts). Loopback by default. Served over TLS for an https:// address, and
 * with the Kafka listeners' users and ACLs (broker/admin-access.ts): every path but /health and /ready
 * first authenticates the request (HTTP Basic, or a client certificate) and, under ACLs, needs
 * DESCRIBE on the cluster.
 *
 * Hostile input must not hurt the broker: only GET and HEAD but for the console's one write (a
 * bounded JSON body behind a cross-site guard); no other request body is ever read (a request
 * announcing one is answered and its connection closed), headers are bounded in size and
 * time (slow senders are cut off), connections are bounded in number, and every handler runs in a
 * failure boundary.
 */
import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { ObservedBroker } from '../broker/observed.js';
import { AdminAccess, OPEN_ADMIN, type AdminPrincipal, type AdminSecurity } from '../broker/admin-access.js';
import { basicCredentials } from './basic-auth.js';
import { brokerMetrics, type BrokerMetrics } from './metrics/registry.js';
import { hostname } from 'node:os';
import { handleApi } from './console/api.js';
import { hostAllowed } from './console/http-util.js';
import { ConsoleAssets } from './console/static.js';
import { RateTracker } from './console/rates.js';

/** What a request is answered with. */
interface Served {
  /** The host the server was asked to listen on (the console answers requests naming it). */
  readonly host: string;
  readonly broker: ObservedBroker;
  readonly metrics: BrokerMetrics;
  readonly assets: ConsoleAssets;
  readonly rates: RateTracker;
  readonly access: AdminAccess;
  readonly log: Logger;
}

/** Probes of an orchestrator: answered to anyone, without credentials. */
const OPEN_PATHS = new Set(['/health', '/ready']);

/** Admin clients are a scraper, a probe and an operator: a few connections are plenty. */
const MAX_CONNECTIONS = 64;
const MAX_HEADER_BYTES = 16 * 1024;
const HEADERS_TIMEOUT_MS = 5000;
const REQUEST_TIMEOUT_MS = 10_000;
const IDLE_TIMEOUT_MS = 30_000;

export interface RunningAdminServer {
  readonly host: string;
  readonly port: number;
  readonly scheme: 'http' | 'https';
  close(): Promise<void>;
}

/** `security`: TLS and authentication (adminSecurity of the broker's config); none by default. */
export async function startAdminServer(host: string, port: number, broker: ObservedBroker, log: Logger, security: AdminSecurity = OPEN_ADMIN): Promise<RunningAdminServer> {
  const metrics = brokerMetrics(broker, (err) => log.warn({ err }, 'a metrics sample failed'));
  const access = new AdminAccess(broker, security);
  const served: Served = { host, broker, metrics, assets: new ConsoleAssets(), rates: new RateTracker(broker), access, log };
  const options: ServerOptions = { maxHeaderSize: MAX_HEADER_BYTES, headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: 1000 };
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res, served).catch((err: unknown) => fail(res, err, log));
  };
  const tls = security.tls;
  let server: Server;
  if (tls) {
    // A handshake is bounded as the headers are: a client that stalls in it holds a connection slot.
    const https = createHttpsServer({ ...options, ...tls.serverOptions, handshakeTimeout: HEADERS_TIMEOUT_MS }, onRequest);
    tls.follow(https);
    server = https;
  } else {
    server = createServer(options, onRequest);
  }
  const scheme = tls ? 'https' : 'http';
  server.maxConnections = MAX_CONNECTIONS;
  server.keepAliveTimeout = 5000;
  server.setTimeout(IDLE_TIMEOUT_MS, (socket: Socket) => socket.destroy());
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // Malformed requests, oversized headers, timeouts: a short answer when the socket can take it.
    if (socket.writable && !socket.destroyed) {
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    }
    socket.destroy();
  });
  const address = await listen(server, host, port).catch((err: unknown) => {
    served.rates.close();
    metrics.close();
    throw err;
  });
  server.on('error', (err) => log.error({ err }, 'admin HTTP server error'));
  log.info({ authentication: security.authentication, clientAuth: tls?.settings.clientAuth ?? null }, `admin HTTP server on ${scheme}://${address.host}:${address.port} (/metrics, /health, /ready; the console at /console/)`);
  if (!isLoopback(address.host) && !access.authenticates) log.warn(`the admin HTTP server listens on ${address.host}, beyond loopback, and authenticates no one (tributary.admin.authentication=none): keep that network private`);
  let closing: Promise<void> | null = null;
  return {
    ...address,
    scheme,
    close() {
      closing ??= new Promise<void>((resolve) => {
        metrics.close();
        served.rates.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function isLoopback(host: string): boolean {
  return host === '::1' || host.startsWith('127.') || host === 'localhost' || host.startsWith('::ffff:127.');
}

function listen(server: Server, host: string, port: number): Promise<{ host: string; port: number }> {
  return new Promise((resolve, reject) => {
    // A failed bind is the start's error, said once by whoever started the broker.
    const failed = (err: NodeJS.ErrnoException) => {
      const hint = err.code === 'EADDRINUSE' ? ': the address is in use; brokers sharing a host need an admin address each (--admin-listener HOST:PORT, or off)' : `: ${err.message}`;
      reject(Object.assign(new Error(`cannot listen on ${host}:${port} for the admin HTTP server (tributary.admin.listener)${hint} (${err.code ?? 'error'})`), { code: err.code }));
    };
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      const addr = server.address();
      if (addr === null || typeof addr === 'string') reject(new Error('the admin HTTP server has no TCP address'));
      else resolve({ host: addr.address, port: addr.port });
    });
  });
}

async function handle(req: IncomingMessage, res: ServerResponse, served: Served): Promise<void> {
  const { broker, metrics, log } = served;
  const path = pathOf(req.url);
  const consolePath = path !== null && (path === '/' || path.startsWith('/console') || path.startsWith('/v1/'));
  if (consolePath && !hostAllowed(req.headers.host, served.host)) {
    res.shouldKeepAlive = false;
    send(req, res, 403, 'application/json', JSON.stringify({ error: `the console answers requests for an IP address, localhost or ${hostname()}, not Host ${String(req.headers.host).slice(0, 100)}` }) + '\n');
    return;
  }
  // Everything but the probes is for a known principal: the body of a refused request is never read.
  let who: AdminPrincipal | null = null;
  if (path === null || !OPEN_PATHS.has(path)) {
    const admission = await served.access.admit(basicCredentials(req.headers.authorization), req.socket);
    if (!admission.ok) {
      if (announcesBody(req)) res.shouldKeepAlive = false;
      send(req, res, admission.status, 'application/json', JSON.stringify({ error: admission.message }) + '\n', admission.headers);
      return;
    }
    who = admission.who;
  }
  // The console's API reads its one kind of body itself (bounded) and answers in JSON.
  if (path !== null && path.startsWith('/v1/') && who !== null) {
    await handleApi(req, res, new URL(req.url ?? '/', 'http://admin.invalid'), { broker, rates: served.rates, access: served.access, who }, log);
    return;
  }
  // Elsewhere a body is never read: announcing one ends the connection after the answer.
  if (announcesBody(req)) res.shouldKeepAlive = false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(req, res, 405, 'text/plain; charset=utf-8', 'only GET and HEAD are served\n', { Allow: 'GET, HEAD' });
    return;
  }
  if (path === '/' || path === '/console') {
    send(req, res, 302, 'text/plain; charset=utf-8', 'the console is at /console/\n', { Location: '/console/' });
    return;
  }
  if (path !== null && path.startsWith('/console/') && (await served.assets.serve(req, res, path))) return;
  switch (path) {
    case '/metrics': {
      const text = await metrics.render();
      send(req, res, 200, metrics.contentType, text);
      return;
    }
    case '/health':
      send(req, res, 200, 'application/json', JSON.stringify({ status: 'ok' }) + '\n');
      return;
    case '/ready': {
      const readiness = broker.readiness();
      const body = readiness.ready ? { ready: true } : { ready: false, reason: readiness.reason ?? 'not ready' };
      send(req, res, readiness.ready ? 200 : 503, 'application/json', JSON.stringify(body) + '\n');
      return;
    }
    default:
      log.debug({ path }, 'admin HTTP: unknown path');
      send(req, res, 404, 'text/plain; charset=utf-8', 'not found: try /metrics, /health, /ready or /console/\n');
  }
}

function announcesBody(req: IncomingMessage): boolean {
  return (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/** The path of a request target, without query; null for targets that are not a path. */
function pathOf(url: string | undefined): string | null {
  if (url === undefined || !url.startsWith('/')) return null;
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function send(req: IncomingMessage, res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  const bytes = Buffer.from(body);
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': String(bytes.length), 'Cache-Control': 'no-store', ...headers });
  res.end(req.method === 'HEAD' ? undefined : bytes);
}

function fail(res: ServerResponse, err: unknown, log: Logger): void {
  log.error({ err }, 'admin HTTP request failed');
  try {
    if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
    res.end('internal error\n');
  } catch {
    res.destroy();
  }
}
