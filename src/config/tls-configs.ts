/**
 * Kafka's listener and SSL keys, as broker config definitions. Every ssl.* key may also be set per
 * listener as `listener.name.<lower-case listener name>.<key>`, which wins over the plain key
 * (src/security/tls/tls-settings.ts resolves them).
 */
import { ConfigType, listOf, oneOf, type ConfigDef } from './config-def.js';
import { DEFAULT_PROTOCOL_MAP } from './listeners.js';

function def(name: string, type: ConfigType, defaultValue: string | null, doc: string, validate?: (v: string) => string | null): ConfigDef {
  return { name, type, defaultValue, doc, validate };
}

/** A key whose value is a secret: DescribeConfigs answers it with a null value, as Kafka does. */
function secret(name: string, doc: string): ConfigDef {
  return { name, type: ConfigType.Password, defaultValue: null, doc, sensitive: true };
}

/** Kafka's store types; Tributary reads PEM only and says how to convert the others. */
export function pemOnly(key: string): (v: string) => string | null {
  return (v) => {
    const t = v.trim().toUpperCase();
    if (t === 'PEM') return null;
    if (t === 'JKS' || t === 'PKCS12') {
      return `Tributary reads PEM stores only: convert the ${t} store to PEM (e.g. \`keytool -importkeystore -srckeystore store.jks -destkeystore store.p12 -deststoretype PKCS12\`, then \`openssl pkcs12 -in store.p12 -out store.pem\`) and set ${key}=PEM`;
    }
    return `${key} must be PEM (JKS and PKCS12 are Kafka's other types; Tributary reads PEM only)`;
  };
}

/** TLS versions Tributary accepts: 1.2 and 1.3, nothing older. */
export const TLS_PROTOCOLS = ['TLSv1.2', 'TLSv1.3'] as const;

export const LISTENER_CONFIG_DEFS: readonly ConfigDef[] = [
  def('listener.security.protocol.map', ConfigType.String, DEFAULT_PROTOCOL_MAP, 'Map between listener names and security protocols: NAME:PROTOCOL,... A listener name that is not a protocol name (CLIENT, INTERNAL) needs an entry.'),
  def('inter.broker.listener.name', ConfigType.String, null, 'Name of the listener brokers use to reach each other. Only one of this and security.inter.broker.protocol may be set.'),
  def('security.inter.broker.protocol', ConfigType.String, 'PLAINTEXT', 'Security protocol brokers use to reach each other (the listener of that name); only one of this and inter.broker.listener.name may be set.', oneOf('PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL')),
];

export const SSL_CONFIG_DEFS: readonly ConfigDef[] = [
  def('ssl.keystore.type', ConfigType.String, 'PEM', 'File format of the key store. Kafka\'s default is JKS; Tributary reads PEM only (a JKS or PKCS12 store is refused with how to convert it).', pemOnly('ssl.keystore.type')),
  def('ssl.keystore.location', ConfigType.String, null, 'A PEM file holding the private key and the certificate chain (the leaf first) this listener presents. Re-read when it changes.'),
  secret('ssl.keystore.password', 'The key store password; PEM key stores take none (use ssl.key.password for an encrypted key).'),
  secret('ssl.keystore.key', 'The private key in PEM form (PKCS#8, or encrypted PKCS#8 with ssl.key.password), instead of ssl.keystore.location.'),
  secret('ssl.keystore.certificate.chain', 'The certificate chain in PEM form, the leaf first, with ssl.keystore.key.'),
  secret('ssl.key.password', 'The password of an encrypted private key.'),
  def('ssl.truststore.type', ConfigType.String, 'PEM', 'File format of the trust store. Kafka\'s default is JKS; Tributary reads PEM only.', pemOnly('ssl.truststore.type')),
  def('ssl.truststore.location', ConfigType.String, null, 'A PEM file of the CA certificates that client certificates (and, between brokers, peer certificates) must chain to. Re-read when it changes.'),
  secret('ssl.truststore.password', 'The trust store password; PEM trust stores take none.'),
  secret('ssl.truststore.certificates', 'CA certificates in PEM form, instead of ssl.truststore.location.'),
  def('ssl.client.auth', ConfigType.String, 'none', 'Whether clients must present a certificate: required (refused without one), requested (asked, not required), none. On a SASL_SSL listener only listener.name.<name>.ssl.client.auth applies (KIP-684).', oneOf('required', 'requested', 'none')),
  def('ssl.enabled.protocols', ConfigType.List, TLS_PROTOCOLS.join(','), 'TLS versions accepted; TLSv1.2 and TLSv1.3 are the only ones Tributary allows.', listOf(...TLS_PROTOCOLS)),
  def('ssl.protocol', ConfigType.String, 'TLSv1.3', 'Accepted for compatibility: the versions are ssl.enabled.protocols.', oneOf('TLS', 'TLSv1.2', 'TLSv1.3')),
  def('ssl.cipher.suites', ConfigType.List, '', 'Cipher suites allowed, in OpenSSL\'s names (ECDHE-ECDSA-AES256-GCM-SHA384; TLS 1.3 ones as TLS_AES_256_GCM_SHA384); empty: Node\'s defaults. TLS 1.3 suites stay at their defaults unless the list names some.'),
  def('ssl.principal.mapping.rules', ConfigType.String, 'DEFAULT', 'Rules mapping a client certificate\'s subject (RFC 2253) to a user name: RULE:pattern/replacement/[LU], ..., DEFAULT (the subject itself).'),
  def('ssl.endpoint.identification.algorithm', ConfigType.String, 'https', 'When a broker connects to a peer over SSL: https checks the peer\'s certificate against its host name; empty turns the check off.'),
];
