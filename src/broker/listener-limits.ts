/** The listener's limits, read from the broker's config keys (Kafka's and Tributary's own). */
import type { BrokerConfig } from '../config/broker-configs.js';
import type { ListenerLimits } from '../server/listener.js';

export function listenerLimits(config: BrokerConfig): ListenerLimits {
  return {
    maxFrameBytes: config.int('socket.request.max.bytes'),
    maxInFlightRequests: config.int('tributary.connection.max.inflight.requests'),
    maxInFlightBytes: config.int('tributary.connection.max.inflight.bytes'),
    maxQueuedRequestBytes: config.int('queued.max.request.bytes'),
    maxConnections: config.int('max.connections'),
    maxConnectionsPerIp: config.int('max.connections.per.ip'),
    perIpOverrides: config.perIpOverrides,
    idleTimeoutMs: config.int('connections.max.idle.ms'),
    maxConnectionCreationRate: config.int('max.connection.creation.rate'),
  };
}
