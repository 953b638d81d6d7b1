/**
 * The broker process: the event loop's idle share as Kafka's NetworkProcessorAvgIdlePercent (one
 * event loop does what Kafka's network processors do), connections per listener as Kafka's
 * socket-server-metrics, purgatory sizes, and the broker state. The raw event-loop delay
 * (perf_hooks.monitorEventLoopDelay) and process figures are prom-client's default metrics,
 * kept in one registry for the whole process (process-metrics.ts).
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Scrape } from './scrape.js';

/** Idle share is measured over the time since the previous scrape, but never over less than this. */
const MIN_WINDOW_MS = 1000;

export function runtimeMetrics(registry: Registry, scrape: Scrape): void {
  const broker = scrape.broker;
  let mark: EventLoopUtilization = performance.eventLoopUtilization();
  let idle = 1;
  new Gauge({
    name: 'kafka_network_socketserver_networkprocessoravgidle_percent',
    help: 'Share (0-1) of time the event loop was idle since the previous scrape: 1 - event loop utilization (NetworkProcessorAvgIdlePercent).',
    registers: [registry],
    collect() {
      const now = performance.eventLoopUtilization();
      const window = performance.eventLoopUtilization(now, mark);
      if (window.idle + window.active >= MIN_WINDOW_MS) {
        idle = 1 - window.utilization;
        mark = now;
      }
      this.set(idle);
    },
  });
  new Gauge({
    name: 'kafka_server_socket_server_metrics_connection_count',
    help: 'Client connections open now, per listener (socket-server-metrics connection-count; one network processor: the event loop).',
    labelNames: ['listener', 'networkProcessor'],
    registers: [registry],
    collect() {
      this.reset();
      for (const l of broker.listeners()) this.set({ listener: l.name, networkProcessor: '0' }, l.connections);
    },
  });
  const refused = new Counter({
    name: 'tributary_listener_connections_refused_total',
    help: 'Connections closed when accepted because of max.connections or max.connections.per.ip, per listener.',
    labelNames: ['listener'],
    registers: [registry],
    collect() {
      // The listener counts refusals itself; the counter shows its running total.
      refused.reset();
      for (const l of broker.listeners()) refused.inc({ listener: l.name }, l.refused);
    },
  });
  new Gauge({
    name: 'kafka_server_delayedoperationpurgatory_purgatorysize',
    help: 'Requests waiting in the purgatory: Fetch long polls and acks=all Produce waits (PurgatorySize).',
    labelNames: ['delayedOperation'],
    registers: [registry],
    collect() {
      this.set({ delayedOperation: 'Fetch' }, broker.purgatory('fetch'));
      this.set({ delayedOperation: 'Produce' }, broker.purgatory('produce'));
    },
  });
  new Gauge({
    name: 'kafka_server_kafkaserver_brokerstate',
    help: 'Kafka\'s BrokerState: 1 starting, 3 running, 7 shutting down.',
    registers: [registry],
    collect() {
      this.set(broker.state);
    },
  });
}
