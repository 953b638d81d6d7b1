/**
 * The SSL settings of one listener, from Kafka's ssl.* keys: `listener.name.<lower-case name>.<key>`
 * wins over `<key>`. PEM only: a key store is a PEM file with the private key and the certificate
 * chain (ssl.keystore.location) or the two inline (ssl.keystore.key, ssl.keystore.certificate.chain);
 * a trust store is a PEM file of CA certificates (ssl.truststore.location) or them inline
 * (ssl.truststore.certificates). Files are read by loadTlsMaterial, again whenever they change.
 */
import { readFileSync } from 'node:fs';
import type { SecureContextOptions, SecureVersion } from 'node:tls';
import { ALL_BROKER_DEFS, type BrokerConfig } from '../../config/broker-configs.js';
import { checkValue, ConfigError } from '../../config/config-def.js';
import { pemOnly } from '../../config/tls-configs.js';
import { PrincipalMapper } from './principal-mapping.js';

export type ClientAuth = 'required' | 'requested' | 'none';

type Store = { readonly file: string } | { readonly inline: string };

export interface TlsSettings {
  readonly listenerName: string;
  /** null: none configured (a client without a certificate of its own). */
  readonly keystore: { readonly file: string } | { readonly key: string; readonly chain: string } | null;
  readonly keyPassword: string | undefined;
  /** null: Node's bundled CAs (a client) or no client certificate can be trusted (a server). */
  readonly truststore: Store | null;
  readonly clientAuth: ClientAuth;
  readonly minVersion: SecureVersion;
  readonly maxVersion: SecureVersion;
  readonly ciphers: string | undefined;
  readonly principalMapper: PrincipalMapper;
  /** ssl.endpoint.identification.algorithm=https: a broker connecting to a peer checks its host name. */
  readonly verifyPeerHost: boolean;
}

/** Reads `key` for `listenerName`, the listener-prefixed key first, checked against the key's definition. */
export function listenerValue(config: BrokerConfig, listenerName: string, key: string): string | null {
  const prefixed = `listener.name.${listenerName.toLowerCase()}.${key}`;
  const own = config.explicit(prefixed);
  if (own === undefined) return config.get(key);
  const def = ALL_BROKER_DEFS.get(key);
  const err = def ? checkValue({ ...def, name: prefixed }, own) : null;
  if (err) throw new ConfigError(err);
  return own.trim();
}

function set(v: string | null): string | null {
  return v === null || v === '' ? null : v;
}

/**
 * `saslSsl`: the listener is SASL_SSL, where (KIP-684) ssl.client.auth applies only when set with
 * the listener prefix: a global ssl.client.auth=required meant for SSL listeners does not make
 * SASL clients present certificates.
 */
export function tlsSettings(config: BrokerConfig, listenerName: string, saslSsl = false): TlsSettings {
  const value = (key: string) => set(listenerValue(config, listenerName, key));
  const where = `listener ${listenerName}`;
  for (const key of ['ssl.keystore.type', 'ssl.truststore.type']) {
    const err = pemOnly(key)(value(key) ?? 'PEM');
    if (err) throw new ConfigError(`${err} (${where})`);
  }
  const location = value('ssl.keystore.location');
  const key = value('ssl.keystore.key');
  const chain = value('ssl.keystore.certificate.chain');
  if (location && (key || chain)) throw new ConfigError(`${where}: set either ssl.keystore.location or ssl.keystore.key with ssl.keystore.certificate.chain, not both`);
  if ((key === null) !== (chain === null)) throw new ConfigError(`${where}: ssl.keystore.key and ssl.keystore.certificate.chain go together`);
  if (value('ssl.keystore.password')) throw new ConfigError(`${where}: SSL key store password cannot be specified with PEM format, only key password may be specified (ssl.key.password)`);
  const trustFile = value('ssl.truststore.location');
  const trustInline = value('ssl.truststore.certificates');
  if (trustFile && trustInline) throw new ConfigError(`${where}: set either ssl.truststore.location or ssl.truststore.certificates, not both`);
  if (value('ssl.truststore.password')) throw new ConfigError(`${where}: SSL trust store password cannot be specified for PEM format`);
  const protocols = (value('ssl.enabled.protocols') ?? 'TLSv1.2,TLSv1.3').split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (protocols.length === 0) throw new ConfigError(`${where}: ssl.enabled.protocols names no protocol (TLSv1.2, TLSv1.3)`);
  const clientAuthKey = `listener.name.${listenerName.toLowerCase()}.ssl.client.auth`;
  const clientAuth = ((saslSsl ? (config.explicit(clientAuthKey) === undefined ? null : value('ssl.client.auth')) : value('ssl.client.auth')) ?? 'none') as ClientAuth;
  const truststore: Store | null = trustFile ? { file: trustFile } : trustInline ? { inline: trustInline } : null;
  return {
    listenerName,
    keystore: location ? { file: location } : key && chain ? { key, chain } : null,
    keyPassword: value('ssl.key.password') ?? undefined,
    truststore,
    clientAuth,
    minVersion: protocols.includes('TLSv1.2') ? 'TLSv1.2' : 'TLSv1.3',
    maxVersion: protocols.includes('TLSv1.3') ? 'TLSv1.3' : 'TLSv1.2',
    ciphers: value('ssl.cipher.suites') ?? undefined,
    principalMapper: new PrincipalMapper(value('ssl.principal.mapping.rules') ?? 'DEFAULT'),
    verifyPeerHost: (value('ssl.endpoint.identification.algorithm') ?? 'https').toLowerCase() === 'https',
  };
}

/** The files a listener's TLS material comes from, to notice when they change. */
export function materialFiles(s: TlsSettings): string[] {
  const files: string[] = [];
  if (s.keystore && 'file' in s.keystore) files.push(s.keystore.file);
  if (s.truststore && 'file' in s.truststore) files.push(s.truststore.file);
  return files;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/**
 * One PEM block with its base64 rewrapped at 64 columns: an inline value from a properties file
 * arrives joined into one line (Kafka's docs write it with `\` continuations), which OpenSSL's PEM
 * reader does not take. A block with headers (legacy encrypted keys: Proc-Type, DEK-Info) is kept as it is.
 */
function normalizePem(label: string, block: string): string {
  const body = block.slice(`-----BEGIN ${label}-----`.length, block.length - `-----END ${label}-----`.length);
  if (body.includes(':')) return block;
  const base64 = body.replace(/\s+/g, '');
  return `-----BEGIN ${label}-----\n${base64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;
}

function pemBlocks(text: string, what: string): { label: string; pem: string }[] {
  const blocks = [...text.matchAll(PEM_BLOCK)].map((m) => ({ label: m[1], pem: normalizePem(m[1], m[0]) }));
  if (blocks.length === 0) throw new ConfigError(`${what} holds no PEM block; Tributary reads PEM only (convert a JKS or PKCS12 store with keytool and openssl pkcs12)`);
  return blocks;
}

function readStore(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read ${what} ${path}: ${(err as Error).message}`);
  }
}

/** Reads the listener's key, certificate chain and CA certificates into node:tls options; throws ConfigError. */
export function loadTlsMaterial(s: TlsSettings): SecureContextOptions {
  const out: SecureContextOptions = { minVersion: s.minVersion, maxVersion: s.maxVersion };
  if (s.ciphers) out.ciphers = s.ciphers.split(',').map((c) => c.trim()).join(':');
  if (s.keystore) {
    const what = 'file' in s.keystore ? `the key store (listener ${s.listenerName})` : `ssl.keystore.key (listener ${s.listenerName})`;
    const blocks = 'file' in s.keystore ? pemBlocks(readStore(s.keystore.file, 'the key store'), `${what} ${s.keystore.file}`) : [...pemBlocks(s.keystore.key, what), ...pemBlocks(s.keystore.chain, 'ssl.keystore.certificate.chain')];
    Object.assign(out, keyAndChain(blocks, what));
    if (s.keyPassword !== undefined) out.passphrase = s.keyPassword;
  }
  if (s.truststore) {
    const text = 'file' in s.truststore ? readStore(s.truststore.file, 'the trust store') : s.truststore.inline;
    out.ca = caCertificates(text, `the trust store (listener ${s.listenerName})`);
  }
  return out;
}

function keyAndChain(blocks: { label: string; pem: string }[], what: string): { key: string; cert: string } {
  const keys = blocks.filter((b) => b.label.endsWith('PRIVATE KEY'));
  const certs = blocks.filter((b) => b.label === 'CERTIFICATE');
  if (keys.length !== 1) throw new ConfigError(`${what} must hold exactly one private key, found ${keys.length}`);
  if (certs.length === 0) throw new ConfigError(`${what} holds no certificate`);
  return { key: keys[0].pem, cert: certs.map((c) => c.pem).join('\n') };
}

function caCertificates(text: string, what: string): string[] {
  const certs = pemBlocks(text, what).filter((b) => b.label === 'CERTIFICATE');
  if (certs.length === 0) throw new ConfigError(`${what} holds no certificate`);
  return certs.map((c) => c.pem);
}

/** The private key and certificate chain (PEM) of a PEM key store file, `what` naming it in errors; throws ConfigError. */
export function readKeyStoreFile(path: string, what: string): { key: string; cert: string } {
  return keyAndChain(pemBlocks(readStore(path, what), `${what} ${path}`), `${what} ${path}`);
}

/** The CA certificates (PEM) of a PEM trust store file; throws ConfigError. */
export function readTrustStoreFile(path: string, what: string): string[] {
  return caCertificates(readStore(path, what), `${what} ${path}`);
}
