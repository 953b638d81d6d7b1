/**
 * Kafka's RequestMetrics (kafka.network:type=RequestMetrics) from the server's request channel:
 * requests per API and version, error codes per API, and time histograms per API. As in Kafka, a
 * Fetch also counts as FetchConsumer or FetchFollower.
 *
 * Histogram buckets (milliseconds): 0.25 to 30 000. Loopback answers from memory take well under a
 * millisecond, an fsync'd produce one to ten, a long-polling Fetch up to fetch.max.wait.ms (500 by
 * default), a JoinGroup waits for the rebalance (seconds), and nothing outlives request.timeout.ms
 * (30 000). Roughly ×2.5 steps keep histogram_quantile's error near a bucket's width without
 * multiplying series (16 buckets × 5 histograms × the APIs actually used).
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Exposition } from './exposition.js';
import { REQUEST_CHANNEL_NAME, type ObservedBroker, type RequestTrace } from '../../broker/observed.js';
import { CounterCells, HistogramCells, type CounterCell, type HistogramCell } from './cells.js';
import { guarded } from './scrape.js';

export const REQUEST_TIME_BUCKETS_MS = [0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000];

const FETCH_KEY = 1;

/** The series of one API name, found once: the request path then only adds to numbers. */
interface ApiSeries {
  requests: Map<number, CounterCell>;
  errors: Map<number, CounterCell>;
  total: HistogramCell;
  local: HistogramCell;
  remote: HistogramCell;
  responseQueue: HistogramCell;
  responseSend: HistogramCell;
}

export function requestMetrics(exposition: Exposition, broker: ObservedBroker, onError: (err: unknown) => void): () => void {
  const requests = new CounterCells(exposition, 'kafka_network_requestmetrics_requests_total', 'Requests answered, by API (Kafka RequestsPerSec) and version.', ['request', 'version']);
  const errors = new CounterCells(exposition, 'kafka_network_requestmetrics_errors_total', 'Error codes in answers, by API and Kafka error name (NONE included), counted per partition or entry as Kafka counts them (ErrorsPerSec).', ['request', 'error']);
  const histogram = (name: string, help: string) => new HistogramCells(exposition, name, help, ['request'], REQUEST_TIME_BUCKETS_MS);
  const total = histogram('kafka_network_requestmetrics_totaltimems', 'Milliseconds from a complete request frame to the last byte of its answer written (TotalTimeMs).');
  const local = histogram('kafka_network_requestmetrics_localtimems', 'Milliseconds from a complete request frame to its answer built, less its waits in the purgatory (LocalTimeMs).');
  const remote = histogram('kafka_network_requestmetrics_remotetimems', 'Milliseconds a request waited in the purgatory: for followers (acks=all) or for data (Fetch long polls) (RemoteTimeMs).');
  const responseQueue = histogram('kafka_network_requestmetrics_responsequeuetimems', 'Milliseconds an answer waited for the answers before it on its connection (ResponseQueueTimeMs).');
  const responseSend = histogram('kafka_network_requestmetrics_responsesendtimems', 'Milliseconds from an answer handed to the socket to its last byte written (ResponseSendTimeMs).');

  const byName = new Map<string, ApiSeries>();
  const series = (name: string): ApiSeries => {
    let s = byName.get(name);
    if (!s) byName.set(name, (s = { requests: new Map(), errors: new Map(), total: total.cell(name), local: local.cell(name), remote: remote.cell(name), responseQueue: responseQueue.cell(name), responseSend: responseSend.cell(name) }));
    return s;
  };

  const observe = (s: ApiSeries, name: string, version: number, t: RequestTrace) => {
    let counter = s.requests.get(version);
    if (!counter) s.requests.set(version, (counter = requests.cell(name, String(version))));
    counter.value++;
    s.total.observe(t.sentAt - t.receivedAt);
    const waited = t.remoteStartedAt < 0 ? 0 : Math.max(0, t.remoteEndedAt - t.remoteStartedAt);
    s.local.observe(Math.max(0, t.answeredAt - t.receivedAt - waited));
    s.remote.observe(waited);
    s.responseQueue.observe(t.writtenAt - t.answeredAt);
    s.responseSend.observe(t.sentAt - t.writtenAt);
  };

  const counts = new Map<number, number>();
  const onRequest = guarded<RequestTrace>(onError, (t) => {
    if (t.broker !== broker.services) return;
    const s = series(t.apiName);
    observe(s, t.apiName, t.apiVersion, t);
    if (t.apiKey === FETCH_KEY) {
      const role = isFollowerFetch(t.request, t.apiVersion) ? 'FetchFollower' : 'FetchConsumer';
      observe(series(role), role, t.apiVersion, t);
    }
    if (t.response === null) return;
    counts.clear();
    collectErrorCodes(t.response, counts, 0);
    for (const [code, n] of counts) {
      let cell = s.errors.get(code);
      if (!cell) s.errors.set(code, (cell = errors.cell(t.apiName, broker.errorName(code))));
      cell.value += n;
    }
  });
  subscribe(REQUEST_CHANNEL_NAME, onRequest);
  return () => unsubscribe(REQUEST_CHANNEL_NAME, onRequest);
}

function isFollowerFetch(request: unknown, version: number): boolean {
  const r = request as { replicaId?: number; replicaState?: { replicaId?: number } };
  const id = version >= 15 ? r.replicaState?.replicaId : r.replicaId;
  return typeof id === 'number' && id >= 0;
}

/** Every `errorCode` field of a response tree (top level, per topic, per partition ...), record bytes skipped. */
export function collectErrorCodes(node: unknown, counts: Map<number, number>, depth: number): void {
  if (depth > 8 || node === null || typeof node !== 'object' || ArrayBuffer.isView(node)) return;
  if (Array.isArray(node)) {
    for (const item of node) if (item !== null && typeof item === 'object') collectErrorCodes(item, counts, depth + 1);
    return;
  }
  const record = node as Record<string, unknown>;
  for (const key in record) {
    const value = record[key];
    if (key === 'errorCode') {
      if (typeof value === 'number') counts.set(value, (counts.get(value) ?? 0) + 1);
    } else if (value !== null && typeof value === 'object') collectErrorCodes(value, counts, depth + 1);
  }
}
