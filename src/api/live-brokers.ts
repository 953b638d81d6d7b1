/** The brokers a client is told about: every live one, as Metadata and DescribeCluster list them. */
import type { RequestContext } from './handler.js';

/**
 * Every live broker with its endpoint on the listener the request came in on (Kafka's rule: a
 * client of the SSL listener is told SSL addresses); a broker without that listener is left out.
 */
export function liveBrokers(ctx: RequestContext): { nodeId: number; host: string; port: number; rack: string | null }[] {
  const self = ctx.broker.endpoint(ctx.listenerName);
  const out = self ? [{ nodeId: ctx.broker.nodeId, host: self.host, port: self.port, rack: ctx.broker.config.rack }] : [];
  for (const b of ctx.broker.cluster.brokers()) {
    if (b.nodeId === ctx.broker.nodeId) continue;
    const endpoint = b.endpoints.find((e) => e.name === ctx.listenerName);
    if (endpoint) out.push({ nodeId: b.nodeId, host: endpoint.host, port: endpoint.port, rack: b.rack });
  }
  return out.sort((a, b) => a.nodeId - b.nodeId);
}

/** Whether broker `nodeId` has a listener of the name the request came in on (this broker has, by definition). */
export function reachableOnListener(ctx: RequestContext, nodeId: number): boolean {
  if (nodeId === ctx.broker.nodeId) return true;
  return ctx.broker.cluster.broker(nodeId)?.endpoints.some((e) => e.name === ctx.listenerName) ?? false;
}
