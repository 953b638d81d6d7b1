/**
 * The metrics of one broker: a prom-client registry per broker (several may run in one process),
 * filled by the channel subscribers and the scrape-time collectors of this folder, and rendered with
 * the process-wide default metrics.
 */
import { Registry } from 'prom-client';
import type { ObservedBroker } from '../../broker/observed.js';
import { Scrape } from './scrape.js';
import { requestMetrics } from './request-metrics.js';
import { topicMetrics } from './topic-metrics.js';
import { logMetrics } from './log-metrics.js';
import { replicaMetrics } from './replica-metrics.js';
import { groupMetrics } from './group-metrics.js';
import { runtimeMetrics } from './runtime-metrics.js';
import { processRegistry } from './process-metrics.js';

export interface BrokerMetrics {
  readonly contentType: string;
  /** The Prometheus text exposition of this broker and its process. */
  render(): Promise<string>;
  /** Stops listening on the channels. */
  close(): void;
}

export function brokerMetrics(broker: ObservedBroker, onError: (err: unknown) => void): BrokerMetrics {
  const registry = new Registry();
  const scrape = new Scrape(broker);
  const stops = [requestMetrics(registry, broker, onError), topicMetrics(registry, broker, onError), logMetrics(registry, scrape, onError), replicaMetrics(registry, scrape, onError)];
  groupMetrics(registry, scrape);
  runtimeMetrics(registry, scrape);
  const processWide = processRegistry();
  return {
    contentType: registry.contentType,
    async render() {
      scrape.begin();
      const [own, process] = await Promise.all([registry.metrics(), processWide.metrics()]);
      return `${own}\n${process}`;
    },
    close() {
      for (const stop of stops) stop();
    },
  };
}
