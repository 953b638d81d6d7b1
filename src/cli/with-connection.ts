/**
 * Runs one CLI command over the project's own client: a connection to the bootstrap broker (SASL
 * and TLS from the environment), closed afterwards; a CliError (or a refused SASL login) becomes
 * one line on stderr and exit status 1. `withRoutes` also reaches the other brokers a command
 * needs (cluster-routes.ts).
 */
import { KafkaConnection } from '../client/kafka-connection.js';
import { CliError } from './group-queries.js';
import { ClusterRoutes } from './cluster-routes.js';
import { saslFromEnvironment } from './sasl-env.js';
import { tlsFromEnvironment } from './tls-env.js';

interface Common {
  bootstrap: string;
}

/** A connection to the broker at `address`, authenticated as the environment says. */
export function openBroker(address: string): Promise<KafkaConnection> {
  return KafkaConnection.open(address, 10_000, 'tributary-cli', saslFromEnvironment(), tlsFromEnvironment());
}

export async function withConnection(opts: Common, fn: (c: KafkaConnection) => Promise<void>): Promise<void> {
  let c: KafkaConnection;
  try {
    c = await openBroker(opts.bootstrap);
  } catch (err) {
    if (!(err instanceof CliError) && !(err instanceof Error && /^SASL /.test(err.message))) throw err;
    console.error(err.message);
    process.exitCode = 1;
    return;
  }
  try {
    await fn(c);
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    console.error(err.message);
    process.exitCode = 1;
  } finally {
    c.close();
  }
}

export function withRoutes(opts: Common, fn: (routes: ClusterRoutes) => Promise<void>): Promise<void> {
  return withConnection(opts, async (c) => {
    const routes = new ClusterRoutes(c, openBroker);
    try {
      await fn(routes);
    } finally {
      routes.close();
    }
  });
}
