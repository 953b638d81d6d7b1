/**
 * The console's JSON API under /v1: what the pages show, computed by the broker
 * (ObservedBroker.console), and the one write, a topic config edit. Reads are GET (and HEAD);
 * the write is POST or PATCH and passes the cross-site guard. Every input is bounded (path
 * segments, query parameters, body) and every failure is a JSON body with a message.
 *
 *   GET /v1/cluster                      brokers, controller, health, readiness
 *   GET /v1/topics                       topics with partition counts, sizes, records
 *   GET /v1/topics/{t}                   partitions (leader, replicas, ISR, offsets, size), configs with source
 *   GET /v1/topics/{t}/partitions/{p}/records?offset=|timestamp=&key=&limit=&maxBytes=
 *   POST|PATCH /v1/topics/{t}/configs    {"configs":[{"name":..,"value":..|null}]} (null deletes the override)
 *   GET /v1/groups, /v1/groups/{g}       groups; members, assignments, committed offsets, lag
 *   GET /v1/rates                        per-second produce/consume counts of the last minute
 *
 * The admin server has admitted the request's principal (`who`) before it comes here; under ACLs
 * reading records and editing configs need what Fetch and IncrementalAlterConfigs need (access.refusal).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { MAX_RECORDS, MAX_SCAN_BYTES, RecordLookupError, type ObservedBroker } from '../../broker/observed.js';
import type { AdminAccess, AdminAction, AdminPrincipal } from '../../broker/admin-access.js';
import { guardWrite, HttpError, intParam, readJsonBody, sendError, sendJson, stringParam } from './http-util.js';
import type { RateTracker } from './rates.js';

/** Kafka's longest topic name; group ids are bounded generously. */
const MAX_TOPIC_LENGTH = 249;
const MAX_GROUP_LENGTH = 1024;
const MAX_KEY_SEARCH = 256;
const MAX_CONFIG_CHANGES = 100;
const MAX_CONFIG_VALUE = 16 * 1024;
const MAX_PATH = 2048;

/** What a console request is answered from, and for whom. */
export interface ApiContext {
  readonly broker: ObservedBroker;
  readonly rates: RateTracker;
  readonly access: AdminAccess;
  readonly who: AdminPrincipal;
}

export async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL, ctx: ApiContext, log: Logger): Promise<void> {
  try {
    await route(req, res, url, ctx);
  } catch (err) {
    if (err instanceof HttpError) sendError(req, res, err);
    else if (err instanceof RecordLookupError) sendError(req, res, new HttpError(err.status, err.message));
    else if (!res.headersSent) {
      // A log offline (KAFKA_STORAGE_ERROR), a batch that does not decode: the operator reads why.
      log.warn({ err, path: url.pathname }, 'a console request failed');
      sendError(req, res, new HttpError(500, err instanceof Error ? err.message : String(err)));
    } else throw err;
  }
}

function segment(raw: string, what: string, max: number): string {
  let s: string;
  try {
    s = decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, `the ${what} is not valid percent-encoding`);
  }
  if (s === '' || s.length > max) throw new HttpError(400, `the ${what} must be 1 to ${max} characters`);
  return s;
}

function readOnly(req: IncomingMessage): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, `${req.method ?? ''} is not served here`, { allow: 'GET, HEAD' });
}

async function route(req: IncomingMessage, res: ServerResponse, url: URL, ctx: ApiContext): Promise<void> {
  const { broker, rates } = ctx;
  if (url.pathname.length > MAX_PATH) throw new HttpError(414, 'the path is too long');
  const parts = url.pathname.split('/').slice(2); // after "", "v1"
  const c = broker.console;
  const [head, a, b, pRaw, tail] = parts;
  if (parts.length === 1 && head === 'cluster') {
    readOnly(req);
    const cluster = c.cluster();
    if (!cluster) throw new HttpError(503, 'the broker is still starting');
    sendJson(req, res, 200, { ...cluster, readiness: broker.readiness() });
    return;
  }
  if (parts.length === 1 && head === 'rates') {
    readOnly(req);
    sendJson(req, res, 200, rates.series());
    return;
  }
  if (head === 'topics') {
    if (parts.length === 1) {
      readOnly(req);
      sendJson(req, res, 200, { topics: c.topics() });
      return;
    }
    const topic = segment(a, 'topic name', MAX_TOPIC_LENGTH);
    if (parts.length === 2) {
      readOnly(req);
      const t = c.topic(topic);
      if (!t) throw new HttpError(404, `Topic ${topic} does not exist.`);
      sendJson(req, res, 200, t);
      return;
    }
    if (parts.length === 3 && b === 'configs') {
      await editConfigs(req, res, ctx, topic);
      return;
    }
    if (parts.length === 5 && b === 'partitions' && tail === 'records') {
      readOnly(req);
      refuseUnlessAllowed(ctx, 'read-records', topic);
      if (!/^\d{1,9}$/.test(pRaw)) throw new HttpError(400, 'the partition must be a number');
      const q = url.searchParams;
      const offset = intParam(q, 'offset', 0, Number.MAX_SAFE_INTEGER, undefined);
      const timestamp = intParam(q, 'timestamp', 0, Number.MAX_SAFE_INTEGER, undefined);
      if (offset !== undefined && timestamp !== undefined) throw new HttpError(400, 'give offset or timestamp, not both');
      const page = await c.records({
        topic,
        partition: Number(pRaw),
        offset,
        timestamp,
        keyContains: stringParam(q, 'key', MAX_KEY_SEARCH),
        limit: intParam(q, 'limit', 1, MAX_RECORDS, 50) ?? 50,
        maxScanBytes: intParam(q, 'maxBytes', 1, MAX_SCAN_BYTES, MAX_SCAN_BYTES) ?? MAX_SCAN_BYTES,
      });
      sendJson(req, res, 200, page);
      return;
    }
  }
  if (head === 'groups') {
    readOnly(req);
    if (parts.length === 1) {
      sendJson(req, res, 200, { groups: c.groups() });
      return;
    }
    if (parts.length === 2) {
      const id = segment(a, 'group id', MAX_GROUP_LENGTH);
      const g = c.group(id);
      if (!g) throw new HttpError(404, `Group ${id} is not known to this broker (it coordinates only the groups of its __consumer_offsets partitions).`);
      sendJson(req, res, 200, g);
      return;
    }
  }
  throw new HttpError(404, `no such console endpoint: ${url.pathname.slice(0, 200)}`);
}

/** Where ACLs guard the data, the console hands out and changes only what the principal's ACLs allow. */
function refuseUnlessAllowed(ctx: ApiContext, action: AdminAction, topic: string): void {
  const why = ctx.access.refusal(ctx.who, action, topic);
  if (why !== null) throw new HttpError(403, why);
}

async function editConfigs(req: IncomingMessage, res: ServerResponse, ctx: ApiContext, topic: string): Promise<void> {
  const { broker } = ctx;
  if (req.method !== 'POST' && req.method !== 'PATCH') throw new HttpError(405, `${req.method ?? ''} is not served here`, { allow: 'POST, PATCH' });
  guardWrite(req);
  refuseUnlessAllowed(ctx, 'alter-configs', topic);
  const body = await readJsonBody(req);
  const changes = configChanges(body);
  const result = await broker.console.editTopicConfigs(topic, changes);
  const status = result.errorCode === 0 ? 200 : result.errorName === 'UNKNOWN_TOPIC_OR_PARTITION' ? 404 : 400;
  sendJson(req, res, status, result.errorCode === 0 ? { ok: true, ...result } : { error: result.errorMessage ?? result.errorName, ...result });
}

function configChanges(body: unknown): { name: string; value: string | null }[] {
  const list = typeof body === 'object' && body !== null ? (body as { configs?: unknown }).configs : undefined;
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_CONFIG_CHANGES) throw new HttpError(400, `the body must be {"configs":[{"name":..,"value":..}]} with 1 to ${MAX_CONFIG_CHANGES} entries`);
  return list.map((entry: unknown) => {
    const e = (typeof entry === 'object' && entry !== null ? entry : {}) as { name?: unknown; value?: unknown };
    if (typeof e.name !== 'string' || e.name === '' || e.name.length > 255) throw new HttpError(400, 'each config needs a name (a string)');
    if (e.value !== null && typeof e.value !== 'string') throw new HttpError(400, `the value of ${e.name} must be a string, or null to delete the override`);
    if (typeof e.value === 'string' && e.value.length > MAX_CONFIG_VALUE) throw new HttpError(400, `the value of ${e.name} is too long`);
    return { name: e.name, value: e.value };
  });
}
