/**
 * prom-client's default metrics (CPU, memory, heap, GC, handles, and the event-loop delay from
 * perf_hooks.monitorEventLoopDelay as nodejs_eventloop_lag_*_seconds), registered once per process:
 * they describe the process, however many brokers it runs, and their observers cannot be stopped.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';

let shared: Registry | null = null;

export function processRegistry(): Registry {
  if (!shared) {
    shared = new Registry();
    // 10 ms sampling resolves the delays that matter to a broker (a blocked loop shows in p99 and max).
    collectDefaultMetrics({ register: shared, eventLoopMonitoringPrecision: 10 });
  }
  return shared;
}
