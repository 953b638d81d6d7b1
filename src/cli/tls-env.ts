import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { CliError } from './group-queries.js';

/**
 * TLS for the CLI's connections, from the environment as rpk takes it (RPK_TLS_*):
 * TRIBUTARY_TLS_ENABLED=true, TRIBUTARY_TLS_CA (a PEM file of CA certificates; Node's bundled CAs
 * when unset), TRIBUTARY_TLS_CERT and TRIBUTARY_TLS_KEY (a client certificate, PEM). Setting any
 * of the files turns TLS on; none set: plaintext.
 */
export function tlsFromEnvironment(env: NodeJS.ProcessEnv = process.env): ConnectionOptions | undefined {
  const ca = env.TRIBUTARY_TLS_CA || undefined;
  const cert = env.TRIBUTARY_TLS_CERT || undefined;
  const key = env.TRIBUTARY_TLS_KEY || undefined;
  const enabled = (env.TRIBUTARY_TLS_ENABLED ?? '').toLowerCase() === 'true' || ca !== undefined || cert !== undefined || key !== undefined;
  if (!enabled) return undefined;
  if ((cert === undefined) !== (key === undefined)) throw new CliError('TRIBUTARY_TLS_CERT and TRIBUTARY_TLS_KEY go together (a client certificate and its private key)');
  const read = (variable: string, path: string | undefined): string | undefined => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new CliError(`${variable}: cannot read ${path}: ${(err as Error).message}`);
    }
  };
  return { ca: read('TRIBUTARY_TLS_CA', ca), cert: read('TRIBUTARY_TLS_CERT', cert), key: read('TRIBUTARY_TLS_KEY', key), minVersion: 'TLSv1.2' };
}
