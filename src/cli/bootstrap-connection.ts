/**
 * One @platformatic/kafka connection to the first bootstrap address, with the environment's SASL
 * and TLS settings, for requests its Admin cannot route: a BROKER resource named "" (the
 * cluster-wide default) goes to the broker whose id is Number(""), 0, there. And the broker's own
 * words out of the errors the library wraps.
 */
import type { Connection } from '@platformatic/kafka';
import { clientOptions, kafkaClient, oneLine } from './client-options.js';

/** Runs `fn` on a connection (with the environment's SASL and TLS settings) to the first bootstrap address. */
export async function onBootstrapConnection<T>(bootstrap: string, fn: (connection: Connection) => Promise<T>): Promise<T> {
  const { Connection } = await kafkaClient();
  const options = clientOptions(bootstrap);
  const connection = new Connection(options.clientId, { tls: options.tls, sasl: options.sasl });
  const [host, port] = splitAddress(options.bootstrapBrokers[0]);
  try {
    await connection.connect(host, port);
    return await fn(connection);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at).replace(/^\[|\]$/g, ''), Number(address.slice(at + 1))];
}

/**
 * The broker's own message and error name where @platformatic/kafka wraps them (its inner
 * protocol errors carry serverErrorMessage and apiId under a generic text).
 */
export function brokerMessage(err: unknown): string {
  const seen = new Set<unknown>();
  const walk = (e: unknown): string | null => {
    if (typeof e !== 'object' || e === null || seen.has(e)) return null;
    seen.add(e);
    const { serverErrorMessage, apiId, errors } = e as { serverErrorMessage?: unknown; apiId?: unknown; errors?: unknown };
    if (typeof serverErrorMessage === 'string' && serverErrorMessage !== '') return typeof apiId === 'string' ? `${apiId}: ${serverErrorMessage}` : serverErrorMessage;
    if (Array.isArray(errors)) for (const i of errors) {
      const found = walk(i);
      if (found) return found;
    }
    return walk((e as { cause?: unknown }).cause);
  };
  return walk(err) ?? oneLine(err);
}

