/**
 * The metrics of one broker (several may run in one process): the families of this folder,
 * filled by the channel subscribers and read at scrape time, written as Prometheus text by
 * exposition.ts, followed by the process-wide default metrics, which prom-client renders.
 */
import type { Registry } from 'prom-client';
import type { ObservedBroker } from '../../broker/observed.js';
import { Exposition } from './exposition.js';
import { Scrape } from './scrape.js';
import { requestMetrics } from './request-metrics.js';
import { topicMetrics } from './topic-metrics.js';
import { logMetrics } from './log-metrics.js';
import { replicaMetrics } from './replica-metrics.js';
import { groupMetrics } from './group-metrics.js';
import { runtimeMetrics } from './runtime-metrics.js';

/** Prometheus' text format 0.0.4, as prom-client names it. */
const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface BrokerMetrics {
  readonly contentType: string;
  /** The Prometheus text exposition of this broker and its process. */
  render(): Promise<string>;
  /** Stops listening on the channels. */
  close(): void;
}

export function brokerMetrics(broker: ObservedBroker, onError: (err: unknown) => void): BrokerMetrics {
  const exposition = new Exposition();
  const scrape = new Scrape(broker);
  const stops = [requestMetrics(exposition, broker, onError), topicMetrics(exposition, broker, onError), logMetrics(exposition, scrape, onError), replicaMetrics(exposition, scrape, onError)];
  groupMetrics(exposition, scrape);
  runtimeMetrics(exposition, scrape);
  // prom-client (some 25 ms to load) comes with the first scrape, off the broker's start path; its
  // figures are the process's own (CPU, memory, handles), or counted from then on (GC, event-loop delay).
  let processWide: Promise<Registry> | null = null;
  return {
    contentType: PROMETHEUS_CONTENT_TYPE,
    async render() {
      scrape.begin();
      const own = exposition.text();
      processWide ??= import('./process-metrics.js').then((m) => m.processRegistry());
      return `${own}\n${await (await processWide).metrics()}`;
    },
    close() {
      for (const stop of stops) stop();
    },
  };
}
