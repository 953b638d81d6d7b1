/**
 * Kafka's RequestMetrics (kafka.network:type=RequestMetrics) from the server's request channel:
 * requests per API and version, error codes per API, and time histograms per API. As in Kafka, a
 * Fetch also counts as FetchConsumer or FetchFollower.
 *
 * Histogram buckets (milliseconds): 0.25 to 30 000. Loopback answers from memory take well under a
 * millisecond, an fsync'd produce one to ten, a long-polling Fetch up to fetch.max.wait.ms (500 by
 * default), a JoinGroup waits for the rebalance (seconds), and nothing outlives request.timeout.ms
 * (30 000). Roughly ×2.5 steps keep histogram_quantile's error near a bucket's width without
 * multiplying series (16 buckets × 4 histograms × the APIs actually used).
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Counter, Histogram, type Registry } from 'prom-client';
import { REQUEST_CHANNEL_NAME, type ObservedBroker, type RequestTrace } from '../../broker/observed.js';
import { guarded } from './scrape.js';

export const REQUEST_TIME_BUCKETS_MS = [0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000];

const FETCH_KEY = 1;

interface ApiSeries {
  requests: Map<number, Counter.Internal>;
  total: Histogram.Internal<'request'>;
  local: Histogram.Internal<'request'>;
  responseQueue: Histogram.Internal<'request'>;
  responseSend: Histogram.Internal<'request'>;
}

export function requestMetrics(registry: Registry, broker: ObservedBroker, onError: (err: unknown) => void): () => void {
  const requests = new Counter({ name: 'kafka_network_requestmetrics_requests_total', help: 'Requests answered, by API (Kafka RequestsPerSec) and version.', labelNames: ['request', 'version'], registers: [registry] });
  const errors = new Counter({ name: 'kafka_network_requestmetrics_errors_total', help: 'Error codes in answers, by API and Kafka error name (NONE included), counted per partition or entry as Kafka counts them (ErrorsPerSec).', labelNames: ['request', 'error'], registers: [registry] });
  const histogram = (name: string, help: string) => new Histogram({ name, help, labelNames: ['request'], buckets: REQUEST_TIME_BUCKETS_MS, registers: [registry] });
  const total = histogram('kafka_network_requestmetrics_totaltimems', 'Milliseconds from a complete request frame to the last byte of its answer written (TotalTimeMs).');
  const local = histogram('kafka_network_requestmetrics_localtimems', 'Milliseconds from a complete request frame to its answer built: the handler, its waits in the purgatory included (Tributary does not split LocalTimeMs from RemoteTimeMs).');
  const responseQueue = histogram('kafka_network_requestmetrics_responsequeuetimems', 'Milliseconds an answer waited for the answers before it on its connection (ResponseQueueTimeMs).');
  const responseSend = histogram('kafka_network_requestmetrics_responsesendtimems', 'Milliseconds from an answer handed to the socket to its last byte written (ResponseSendTimeMs).');

  // Children are looked up once per API: a label hash per request would be the most costly part.
  const byName = new Map<string, ApiSeries>();
  const series = (name: string): ApiSeries => {
    let s = byName.get(name);
    if (!s) {
      s = { requests: new Map(), total: total.labels(name), local: local.labels(name), responseQueue: responseQueue.labels(name), responseSend: responseSend.labels(name) };
      byName.set(name, s);
    }
    return s;
  };
  const errorChildren = new Map<string, Counter.Internal>();

  const observe = (name: string, version: number, t: RequestTrace) => {
    const s = series(name);
    let counter = s.requests.get(version);
    if (!counter) s.requests.set(version, (counter = requests.labels(name, String(version))));
    counter.inc();
    s.total.observe(t.sentAt - t.receivedAt);
    s.local.observe(t.answeredAt - t.receivedAt);
    s.responseQueue.observe(t.writtenAt - t.answeredAt);
    s.responseSend.observe(t.sentAt - t.writtenAt);
  };

  const onRequest = guarded<RequestTrace>(onError, (t) => {
    if (t.broker !== broker.services) return;
    observe(t.apiName, t.apiVersion, t);
    if (t.apiKey === FETCH_KEY) observe(isFollowerFetch(t.request, t.apiVersion) ? 'FetchFollower' : 'FetchConsumer', t.apiVersion, t);
    if (t.response === null) return;
    const counts = new Map<number, number>();
    collectErrorCodes(t.response, counts, 0);
    for (const [code, n] of counts) {
      const key = `${t.apiName}\u0000${code}`;
      let child = errorChildren.get(key);
      if (!child) errorChildren.set(key, (child = errors.labels(t.apiName, broker.errorName(code))));
      child.inc(n);
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
  for (const [key, value] of Object.entries(node)) {
    if (key === 'errorCode' && typeof value === 'number') counts.set(value, (counts.get(value) ?? 0) + 1);
    else if (value !== null && typeof value === 'object') collectErrorCodes(value, counts, depth + 1);
  }
}
