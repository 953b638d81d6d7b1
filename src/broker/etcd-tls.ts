/**
 * TLS to etcd (its --cert-file / --trusted-ca-file / --client-cert-auth setup), from Tributary's
 * keys, named after Kafka's zookeeper.ssl.* ones:
 *
 *   tributary.metadata.etcd.endpoints=https://etcd-1:2379,https://etcd-2:2379
 *   tributary.metadata.etcd.ssl.truststore.location=/etc/tributary/etcd-ca.pem   (else Node's bundled CAs)
 *   tributary.metadata.etcd.ssl.keystore.location=/etc/tributary/etcd-client.pem (key and chain, for --client-cert-auth)
 *
 * Read once at start; every mistake is a ConfigError then. gRPC takes an unencrypted key only.
 */
import { rootCertificates } from 'node:tls';
import { ConfigError, type BrokerConfig } from '../config/broker-configs.js';
import { readKeyStoreFile, readTrustStoreFile } from '../security/tls/tls-settings.js';
import type { EtcdTls } from '../metadata/etcd/etcd-client.js';

const TRUSTSTORE = 'tributary.metadata.etcd.ssl.truststore.location';
const KEYSTORE = 'tributary.metadata.etcd.ssl.keystore.location';

/** The TLS material for the etcd endpoints of `config`; null when they are http:// ones. */
export function etcdTls(config: BrokerConfig): EtcdTls | null {
  const endpoints = config.etcdEndpoints;
  const secure = endpoints.filter((e) => e.startsWith('https://'));
  const truststore = config.get(TRUSTSTORE) || null;
  const keystore = config.get(KEYSTORE) || null;
  if (secure.length > 0 && secure.length < endpoints.length) {
    throw new ConfigError(`tributary.metadata.etcd.endpoints mixes https:// and http:// endpoints (${endpoints.join(',')}): one etcd cluster is reached one way`);
  }
  if (secure.length === 0) {
    const set = [truststore && TRUSTSTORE, keystore && KEYSTORE].filter((k): k is string => k !== null);
    if (set.length > 0 && endpoints.length > 0) throw new ConfigError(`${set.join(' and ')} ${set.length > 1 ? 'are' : 'is'} set but the etcd endpoints are http:// ones (${endpoints.join(',')}): write them https://HOST:PORT for TLS`);
    return null;
  }
  const ca = truststore ? readTrustStoreFile(truststore, `the etcd trust store (${TRUSTSTORE})`) : [...rootCertificates];
  if (!keystore) return { rootCertificate: Buffer.from(ca.join('\n')) };
  const { key, cert } = readKeyStoreFile(keystore, `the etcd key store (${KEYSTORE})`);
  if (key.includes('ENCRYPTED')) throw new ConfigError(`the etcd key store (${KEYSTORE}) ${keystore} holds an encrypted private key: the etcd client (gRPC) takes an unencrypted one only`);
  return { rootCertificate: Buffer.from(ca.join('\n')), privateKey: Buffer.from(key), certChain: Buffer.from(cert) };
}
