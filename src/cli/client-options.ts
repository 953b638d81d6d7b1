/**
 * What the commands built on @platformatic/kafka pass it to reach the cluster: the bootstrap
 * address, a client id, SASL credentials and TLS settings from the environment (TRIBUTARY_SASL_*,
 * TRIBUTARY_TLS_*, see sasl-env.ts and tls-env.ts). Their errors become one line for the terminal.
 */
import type { ConnectionOptions } from 'node:tls';
import { saslFromEnvironment } from './sasl-env.js';
import { tlsFromEnvironment } from './tls-env.js';

export interface ClientOptions {
  clientId: string;
  bootstrapBrokers: string[];
  sasl?: { mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; username: string; password: string };
  tls?: ConnectionOptions;
  retries: number;
  timeout: number;
}

export function clientOptions(bootstrap: string, clientId = 'tributary-cli'): ClientOptions {
  const sasl = saslFromEnvironment();
  const mechanism = sasl?.mechanism;
  const options: ClientOptions = { clientId, bootstrapBrokers: bootstrap.split(',').map((b) => b.trim()), retries: 2, timeout: 10_000 };
  const tls = tlsFromEnvironment();
  if (tls) options.tls = tls;
  if (sasl && (mechanism === 'PLAIN' || mechanism === 'SCRAM-SHA-256' || mechanism === 'SCRAM-SHA-512')) options.sasl = { mechanism, username: sasl.username, password: sasl.password };
  return options;
}

/** The broker's own words where the client library wraps them (a response error inside a multiple-error). */
export function oneLine(err: unknown): string {
  const seen = new Set<unknown>();
  const walk = (e: unknown): string | null => {
    if (typeof e !== 'object' || e === null || seen.has(e)) return null;
    seen.add(e);
    const inner = (e as { errors?: unknown[] }).errors;
    if (Array.isArray(inner)) for (const i of inner) {
      const found = walk(i);
      if (found) return found;
    }
    const m = (e as { message?: unknown }).message;
    return typeof m === 'string' && m !== '' && !/^(Received response with error|Multiple errors)/.test(m) ? m : walk((e as { cause?: unknown }).cause);
  };
  return (walk(err) ?? (err instanceof Error ? err.message : String(err))).split('\n')[0];
}

/**
 * The client library, loaded when a command first talks to a broker: loading it takes over a second
 * on this kind of machine, and `tributary start` (which shares the CLI's entry point) never needs it.
 */
export function kafkaClient(): Promise<typeof import('@platformatic/kafka')> {
  return import('@platformatic/kafka');
}
