/**
 * The broker process: the event loop's idle share as Kafka's NetworkProcessorAvgIdlePercent (one
 * event loop does what Kafka's network processors do), connections per listener as Kafka's
 * socket-server-metrics, purgatory sizes, and the broker state. The raw event-loop delay
 * (perf_hooks.monitorEventLoopDelay) and process figures are prom-client's default metrics,
 * kept in one registry for the whole process (process-metrics.ts).
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { CollectedFamily, escapeLabelValue, gauge, type Exposition } from './exposition.js';
import type { Scrape } from './scrape.js';

/** Idle share is measured over the time since the previous scrape, but never over less than this. */
const MIN_WINDOW_MS = 1000;

export function runtimeMetrics(exposition: Exposition, scrape: Scrape): void {
  const broker = scrape.broker;
  let mark: EventLoopUtilization = performance.eventLoopUtilization();
  let idle = 1;
  gauge(exposition, 'kafka_network_socketserver_networkprocessoravgidle_percent', 'Share (0-1) of time the event loop was idle since the previous scrape: 1 - event loop utilization (NetworkProcessorAvgIdlePercent).', () => {
    const now = performance.eventLoopUtilization();
    const window = performance.eventLoopUtilization(now, mark);
    if (window.idle + window.active >= MIN_WINDOW_MS) {
      idle = 1 - window.utilization;
      mark = now;
    }
    return idle;
  });
  new CollectedFamily(exposition, 'kafka_server_socket_server_metrics_connection_count', 'Client connections open now, per listener (socket-server-metrics connection-count; one network processor: the event loop).', 'gauge', (emit) => {
    for (const l of broker.listeners()) emit(`listener="${escapeLabelValue(l.name)}",networkProcessor="0"`, l.connections);
  });
  // The listener counts refusals itself; the counter shows its running total.
  new CollectedFamily(exposition, 'tributary_listener_connections_refused_total', 'Connections closed when accepted because of max.connections or max.connections.per.ip, per listener.', 'counter', (emit) => {
    for (const l of broker.listeners()) emit(`listener="${escapeLabelValue(l.name)}"`, l.refused);
  });
  new CollectedFamily(exposition, 'kafka_server_delayedoperationpurgatory_purgatorysize', 'Requests waiting in the purgatory: Fetch long polls and acks=all Produce waits (PurgatorySize).', 'gauge', (emit) => {
    emit('delayedOperation="Fetch"', broker.purgatory('fetch'));
    emit('delayedOperation="Produce"', broker.purgatory('produce'));
  });
  gauge(exposition, 'kafka_server_kafkaserver_brokerstate', 'Kafka\'s BrokerState: 1 starting, 3 running, 7 shutting down.', () => broker.state);
}
