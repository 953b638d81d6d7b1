/** Small TLS client probes for tests: the certificate a listener presents, and the project's own client over TLS. */
import { connect } from 'node:tls';
import { KafkaConnection } from '../../src/client/kafka-connection.js';

/** Connects with TLS, trusting `ca`, and resolves with the SHA-256 fingerprint of the server's certificate. */
export function serverFingerprint(host: string, port: number, ca: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, ca: [ca], timeout: timeoutMs }, () => {
      const cert = socket.getPeerX509Certificate();
      socket.end();
      if (cert) resolve(cert.fingerprint256);
      else reject(new Error('the server presented no certificate'));
    });
    socket.once('timeout', () => socket.destroy(new Error('TLS probe timed out')));
    socket.once('error', reject);
  });
}

/** The project's Kafka client over TLS (optionally with a client certificate). */
export function openTls(bootstrap: string, ca: string, client?: { cert: string; key: string }): Promise<KafkaConnection> {
  return KafkaConnection.open(bootstrap, 10_000, 'tls-test', undefined, { ca: [ca], ...client });
}
