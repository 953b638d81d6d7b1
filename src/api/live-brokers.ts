/** The brokers a client is told about: every live one, as Metadata and DescribeCluster list them. */
import type { RequestContext } from './handler.js';

/** Every live broker with its PLAINTEXT endpoint; this broker as it advertises itself. */
export function liveBrokers(ctx: RequestContext): { nodeId: number; host: string; port: number; rack: string | null }[] {
  const self = ctx.broker.endpoint();
  const out = [{ nodeId: ctx.broker.nodeId, host: self.host, port: self.port, rack: ctx.broker.config.rack }];
  for (const b of ctx.broker.cluster.brokers()) {
    if (b.nodeId === ctx.broker.nodeId) continue;
    const endpoint = b.endpoints[0];
    if (endpoint) out.push({ nodeId: b.nodeId, host: endpoint.host, port: endpoint.port, rack: b.rack });
  }
  return out.sort((a, b) => a.nodeId - b.nodeId);
}
