/**
 * Runs one CLI command over the project's own client: a connection to the bootstrap broker (SASL
 * and TLS from the environment), closed afterwards; a CliError (or a refused SASL login) becomes
 * one line on stderr and exit status 1.
 */
import { KafkaConnection } from '../client/kafka-connection.js';
import { CliError } from './group-queries.js';
import { saslFromEnvironment } from './sasl-env.js';
import { tlsFromEnvironment } from './tls-env.js';

interface Common {
  bootstrap: string;
}

export async function withConnection(opts: Common, fn: (c: KafkaConnection) => Promise<void>): Promise<void> {
  let c: KafkaConnection;
  try {
    c = await KafkaConnection.open(opts.bootstrap, 10_000, 'tributary-cli', saslFromEnvironment(), tlsFromEnvironment());
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
