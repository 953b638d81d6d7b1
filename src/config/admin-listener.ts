/**
 * The admin HTTP server's address and security keys:
 *
 *   tributary.admin.listener        [http://|https://]host:port; https serves TLS with the ssl.* keys
 *                                   as a Kafka listener named ADMIN reads them
 *                                   (listener.name.admin.ssl.keystore.location wins over ssl.keystore.location)
 *   tributary.admin.authentication  none | basic; unset: basic when a Kafka listener uses SASL
 *
 * The listener name ADMIN is only a key prefix: it is not one of `listeners`.
 */
import type { ListenerProtocol } from './listeners.js';

/** The name the admin server's per-listener keys are read under (listener.name.admin.*). */
export const ADMIN_LISTENER_NAME = 'ADMIN';

export type AdminAuthentication = 'none' | 'basic';

export interface AdminListener {
  readonly host: string;
  readonly port: number;
  /** An https:// address: TLS with the ADMIN listener's ssl.* keys. */
  readonly tls: boolean;
}

const ADDRESS = /^(?:(https?):\/\/)?\[?([^\]\s/]*?)\]?:(\d{1,5})\/?$/i;

/** Checks tributary.admin.listener; empty means none. */
export function validAdminListener(v: string): string | null {
  if (v.trim() === '') return null;
  const m = ADDRESS.exec(v.trim());
  return m && Number(m[3]) <= 65535 ? null : `expected host:port, http://host:port or https://host:port (port 0 picks a free one), got "${v}"`;
}

/** tributary.admin.listener as an address, or null when the admin HTTP server is off. */
export function parseAdminListener(value: string | null): AdminListener | null {
  const v = (value ?? '').trim();
  if (v === '') return null;
  const m = ADDRESS.exec(v) as RegExpExecArray;
  return { host: m[2] === '' ? '0.0.0.0' : m[2], port: Number(m[3]), tls: (m[1] ?? '').toLowerCase() === 'https' };
}

/**
 * tributary.admin.authentication: an explicit value, else Basic as soon as a Kafka listener
 * authenticates its clients with SASL (the admin server then asks for the same users).
 */
export function adminAuthentication(explicit: string | undefined, protocols: readonly ListenerProtocol[]): AdminAuthentication {
  const v = (explicit ?? '').trim().toLowerCase();
  if (v === 'none' || v === 'basic') return v;
  return protocols.some((p) => p === 'SASL_PLAINTEXT' || p === 'SASL_SSL') ? 'basic' : 'none';
}
