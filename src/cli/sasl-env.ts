import type { SaslCredentials } from '../client/sasl-client.js';
import { CliError } from './group-queries.js';

/**
 * SASL credentials for the CLI's connections, from the environment as rpk takes them
 * (TRIBUTARY_SASL_MECHANISM, TRIBUTARY_SASL_USERNAME, TRIBUTARY_SASL_PASSWORD); none when unset.
 */
export function saslFromEnvironment(env: NodeJS.ProcessEnv = process.env): SaslCredentials | undefined {
  const mechanism = env.TRIBUTARY_SASL_MECHANISM;
  if (mechanism === undefined || mechanism === '') return undefined;
  const username = env.TRIBUTARY_SASL_USERNAME ?? '';
  const password = env.TRIBUTARY_SASL_PASSWORD ?? '';
  if (username === '') throw new CliError('TRIBUTARY_SASL_MECHANISM is set but TRIBUTARY_SASL_USERNAME is not');
  return { mechanism: mechanism.toUpperCase(), username, password };
}
