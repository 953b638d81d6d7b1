/**
 * The TLS side of an SSL or SASL_SSL listener: a node:tls server with the listener's settings, the
 * principal of a client certificate, and certificate reload without restart.
 *
 * Reload: before each accepted connection starts its handshake, the key and trust store files are
 * stat'ed (a few microseconds; no timer or watcher keeps the process alive); when one changed, the
 * files are read again and the server gets the new context (server.setSecureContext), so that
 * connection and every later one present the new certificate. A new file that does not load keeps
 * the old context, with one error logged per broken version of the files.
 */
import { statSync } from 'node:fs';
import type { Socket } from 'node:net';
import { createSecureContext, createServer, type SecureContextOptions, type Server, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { ConfigError } from '../../config/config-def.js';
import { ANONYMOUS_PRINCIPAL, userPrincipal } from '../principal.js';
import { loadTlsMaterial, materialFiles, type TlsSettings } from './tls-settings.js';
import { subjectRfc2253 } from './x509-subject.js';

function serverOptions(s: TlsSettings, material: SecureContextOptions): SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean } {
  return { ...material, requestCert: s.clientAuth !== 'none', rejectUnauthorized: s.clientAuth === 'required' };
}

export class TlsServerContext {
  private signature: string;
  private failedSignature: string | null = null;
  private options: SecureContextOptions;

  /** Loads the material now: a listener that cannot serve TLS fails the broker's start with a ConfigError. */
  constructor(
    readonly settings: TlsSettings,
    private readonly log: Logger,
  ) {
    if (!settings.keystore) throw new ConfigError(`listener ${settings.listenerName} serves TLS and needs a key store: set ssl.keystore.location (or ssl.keystore.key and ssl.keystore.certificate.chain), PEM`);
    if (settings.clientAuth !== 'none' && !settings.truststore) throw new ConfigError(`listener ${settings.listenerName} has ssl.client.auth=${settings.clientAuth} and needs a trust store for client certificates: set ssl.truststore.location (or ssl.truststore.certificates)`);
    this.signature = this.filesSignature();
    this.options = serverOptions(settings, this.load());
  }

  private load(): SecureContextOptions {
    const material = loadTlsMaterial(this.settings);
    try {
      createSecureContext(material);
    } catch (err) {
      throw new ConfigError(`listener ${this.settings.listenerName}: the TLS key or certificates do not load: ${(err as Error).message}`);
    }
    return material;
  }

  private filesSignature(): string {
    return materialFiles(this.settings)
      .map((f) => {
        try {
          const st = statSync(f);
          return `${f}:${st.ino}:${st.size}:${st.mtimeMs}`;
        } catch {
          return `${f}:missing`;
        }
      })
      .join('|');
  }

  /**
   * A TLS server that never listens itself: the listener accepts TCP connections (within its
   * limits) and hands each to `handshake`, node:tls's documented way to inject a connection
   * (emitting 'connection'). `onSecure` gets each connection whose handshake completed.
   */
  createServer(onSecure: (socket: TLSSocket) => void): { handshake(raw: Socket): void } {
    const server = createServer({ ...this.options }, onSecure);
    server.on('tlsClientError', (err, socket) => this.handshakeFailed(err, socket));
    return {
      handshake: (raw) => {
        this.reloadIfChanged(server);
        server.emit('connection', raw);
      },
    };
  }

  /** The node:tls server options as loaded now (certificates, versions, client certificates asked or required). */
  get serverOptions(): SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean } {
    return { ...this.options, requestCert: this.settings.clientAuth !== 'none', rejectUnauthorized: this.settings.clientAuth === 'required' };
  }

  /**
   * For a server that listens itself (node:https for the admin HTTP server), created with
   * `serverOptions`: the files are checked before each connection's handshake, as for a Kafka
   * listener (the listener runs first, so node:tls wraps the socket in the new context), and a
   * failed handshake (a plain-HTTP request on the TLS port among them) is logged and closed.
   */
  follow(server: Server): void {
    server.prependListener('connection', () => this.reloadIfChanged(server));
    server.on('tlsClientError', (err, socket) => this.handshakeFailed(err, socket));
  }

  private handshakeFailed(err: Error, socket: TLSSocket): void {
    this.log.info({ client: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`, listener: this.settings.listenerName, err: err.message }, 'TLS handshake failed; closing the connection');
    socket.destroy();
  }

  private reloadIfChanged(server: Server): void {
    const now = this.filesSignature();
    if (now === this.signature || now === this.failedSignature) return;
    try {
      const options = serverOptions(this.settings, this.load());
      server.setSecureContext(options);
      this.options = options;
      this.signature = now;
      this.failedSignature = null;
      this.log.info({ listener: this.settings.listenerName }, 'TLS key store or trust store changed: new connections use the new certificates');
    } catch (err) {
      this.failedSignature = now;
      this.log.error({ listener: this.settings.listenerName, err: (err as Error).message }, 'the changed TLS key store or trust store does not load; keeping the previous certificates');
    }
  }

  /**
   * The Kafka principal of an SSL connection: User:<mapped subject> of a trusted client
   * certificate, User:ANONYMOUS without one. Throws when the certificate is not trusted (with
   * ssl.client.auth=requested node:tls lets it through) or no mapping rule applies: the connection
   * then fails authentication.
   */
  principalOf(socket: TLSSocket): string {
    const cert = socket.getPeerX509Certificate();
    if (!cert) return ANONYMOUS_PRINCIPAL;
    if (!socket.authorized) throw new Error(`the client certificate is not trusted: ${String(socket.authorizationError)}`);
    return userPrincipal(this.settings.principalMapper.name(subjectRfc2253(cert.raw)));
  }
}
