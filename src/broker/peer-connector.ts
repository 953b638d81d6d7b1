/**
 * How this broker reaches its peers (replica fetchers, transaction markers, produce verification):
 * at the peer's endpoint on the inter-broker listener (inter.broker.listener.name), over TLS when
 * that listener is SSL or SASL_SSL, with this broker's key store as its client certificate when it
 * has one and its trust store as the CAs, and authenticated when it is SASL_PLAINTEXT or SASL_SSL
 * (sasl.mechanism.inter.broker.protocol, with the username and password of the listener's JAAS
 * entry: security/sasl/inter-broker-credentials.ts). The TLS files are read at each connect, so a
 * reloaded certificate is used by the next link.
 */
import { isIP } from 'node:net';
import { checkServerIdentity, type ConnectionOptions } from 'node:tls';
import type { BrokerConfig } from '../config/broker-configs.js';
import type { ClusterView } from '../metadata/cluster-view.js';
import type { BrokerEndpoint } from '../metadata/metadata-store.js';
import { KafkaConnection, type FrameMemory } from '../client/kafka-connection.js';
import { loadTlsMaterial, tlsSettings, type TlsSettings } from '../security/tls/tls-settings.js';
import { usesSasl, usesTls } from '../security/principal.js';
import { interBrokerCredentials } from '../security/sasl/inter-broker-credentials.js';

export interface PeerConnector {
  /** The listener peers are reached on. */
  readonly listenerName: string;
  /** Broker `brokerId`'s endpoint on that listener, if it is registered with one. */
  endpoint(brokerId: number): BrokerEndpoint | undefined;
  /** With `frameMemory`, answers to `requestLent` are cut into that memory (see KafkaConnection). */
  open(endpoint: BrokerEndpoint, timeoutMs: number, clientId: string, frameMemory?: FrameMemory): Promise<KafkaConnection>;
}

function clientTls(settings: TlsSettings, host: string): ConnectionOptions {
  const material = loadTlsMaterial(settings);
  return {
    ...material,
    servername: isIP(host) === 0 ? host : undefined,
    rejectUnauthorized: true,
    checkServerIdentity: settings.verifyPeerHost ? checkServerIdentity : () => undefined,
  };
}

export function peerConnector(config: BrokerConfig, view: ClusterView): PeerConnector {
  const listenerName = config.listeners.interBrokerListener;
  const listener = config.listeners.listeners.find((l) => l.name === listenerName);
  const protocol = listener?.securityProtocol ?? 'PLAINTEXT';
  const tls = usesTls(protocol) ? tlsSettings(config, listenerName) : null;
  const sasl = usesSasl(protocol) ? interBrokerCredentials(config, listenerName) : undefined;
  return {
    listenerName,
    endpoint: (brokerId) => view.broker(brokerId)?.endpoints.find((e) => e.name === listenerName),
    open(endpoint, timeoutMs, clientId, frameMemory) {
      let options: ConnectionOptions | undefined;
      try {
        options = tls ? clientTls(tls, endpoint.host) : undefined;
      } catch (err) {
        // A key store replaced by a broken file: this link fails (and is retried), the broker goes on.
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
      return KafkaConnection.open(`${endpoint.host}:${endpoint.port}`, timeoutMs, clientId, sasl, options, frameMemory);
    },
  };
}
