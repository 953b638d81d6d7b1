/**
 * Who may use the admin HTTP server, with the Kafka listeners' principals and ACLs:
 *
 * - TLS (tributary.admin.listener=https://...): the ssl.* keys as a Kafka listener named ADMIN
 *   reads them; with ssl.client.auth requested or required, a client certificate's subject maps to
 *   User:<name> by ssl.principal.mapping.rules, as on an SSL listener.
 * - Authentication (tributary.admin.authentication=basic, the default when a Kafka listener uses
 *   SASL): HTTP Basic, the password checked against the SCRAM credentials and PLAIN's JAAS users;
 *   the principal is User:<name>. Basic is then required even with a client certificate, as SASL
 *   is on a SASL_SSL listener (KIP-684: only listener.name.admin.ssl.client.auth asks for one).
 * - Authorization (authorizer.class.name set): DESCRIBE on the cluster to see anything (a super
 *   user passes), and what the matching Kafka API needs for the console's data and its write:
 *   READ on the topic for its records (Fetch), ALTER_CONFIGS on it for a config edit
 *   (IncrementalAlterConfigs). An unauthenticated principal (User:ANONYMOUS) never gets records or
 *   edits while ACLs are enforced, whatever they grant it: anyone who reaches the port is it.
 *
 * /health and /ready are not asked about here: probes stay open.
 */
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-configs.js';
import { ADMIN_LISTENER_NAME, type AdminAuthentication } from '../config/admin-listener.js';
import { TlsServerContext } from '../security/tls/tls-server.js';
import { tlsSettings } from '../security/tls/tls-settings.js';
import { listenerConfig, plainUsersOf } from '../security/sasl/sasl-settings.js';
import { PasswordCheck } from '../security/sasl/password-check.js';
import { ANONYMOUS_PRINCIPAL, userPrincipal } from '../security/principal.js';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/acl/acl-types.js';
import type { ObservedBroker } from './observed.js';

export interface AdminSecurity {
  readonly tls: TlsServerContext | null;
  readonly authentication: AdminAuthentication;
  readonly plainUsers: ReadonlyMap<string, string>;
  /** connection.failed.authentication.delay.ms: a wrong password is answered this much later. */
  readonly failedAuthenticationDelayMs: number;
}

/** No TLS, no authentication (ACLs, if the broker enforces them, still apply). */
export const OPEN_ADMIN: AdminSecurity = { tls: null, authentication: 'none', plainUsers: new Map(), failedAuthenticationDelayMs: 0 };

/** Reads the admin server's security keys and loads its certificates: a ConfigError at start when they cannot serve. */
export function adminSecurity(config: BrokerConfig, log: Logger): AdminSecurity {
  const authentication = config.adminAuthentication;
  const tls = config.adminListener?.tls ? new TlsServerContext(tlsSettings(config, ADMIN_LISTENER_NAME, authentication === 'basic'), log) : null;
  return {
    tls,
    authentication,
    plainUsers: authentication === 'basic' ? plainUsersOf(config, ADMIN_LISTENER_NAME) : new Map(),
    failedAuthenticationDelayMs: Number(listenerConfig(config, ADMIN_LISTENER_NAME, 'connection.failed.authentication.delay.ms') ?? '100'),
  };
}

export interface AdminPrincipal {
  readonly principal: string;
  /** False for User:ANONYMOUS: no password, no client certificate. */
  readonly authenticated: boolean;
  /** The client's IP address, as ACLs match hosts. */
  readonly host: string;
}

export type Admission = { readonly ok: true; readonly who: AdminPrincipal } | { readonly ok: false; readonly status: 401 | 403 | 503; readonly message: string; readonly headers: Readonly<Record<string, string>> };

/** What the console does beyond showing the cluster: each needs what its Kafka API needs. */
export type AdminAction = 'read-records' | 'alter-configs';

const CHALLENGE = { 'WWW-Authenticate': 'Basic realm="Tributary admin", charset="UTF-8"' };
const API_NAME = 'AdminHttp';

function clientHost(address: string | undefined): string {
  const a = address ?? '?';
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

export class AdminAccess {
  private readonly passwords: PasswordCheck;

  constructor(
    private readonly broker: ObservedBroker,
    readonly security: AdminSecurity,
  ) {
    this.passwords = new PasswordCheck(security.plainUsers, (user, mechanism) => broker.services?.scramCredentials.lookup(user, mechanism));
  }

  /** Whether anyone reaching the port is asked who they are (for the warning about a wide bind). */
  get authenticates(): boolean {
    return this.security.authentication === 'basic' || this.security.tls?.settings.clientAuth === 'required';
  }

  /** The principal of a request (Basic credentials as sent, null when none or malformed), or why it is refused. */
  async admit(credentials: { user: string; password: string } | null, socket: Socket): Promise<Admission> {
    const host = clientHost(socket.remoteAddress);
    let who: AdminPrincipal;
    if (this.security.authentication === 'basic') {
      if (credentials === null) return { ok: false, status: 401, message: 'authentication required: HTTP Basic with a SCRAM or PLAIN user of the broker', headers: CHALLENGE };
      // SCRAM credentials are read from the metadata store as the broker starts.
      if (this.broker.services === null) return starting();
      if (!(await this.passwords.verify(credentials.user, credentials.password))) {
        if (this.security.failedAuthenticationDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.security.failedAuthenticationDelayMs));
        return { ok: false, status: 401, message: 'authentication failed: invalid user name or password', headers: CHALLENGE };
      }
      who = { principal: userPrincipal(credentials.user), authenticated: true, host };
    } else if (this.security.tls && socket instanceof TLSSocket) {
      let principal: string;
      try {
        principal = this.security.tls.principalOf(socket);
      } catch (err) {
        return { ok: false, status: 403, message: `authentication failed: ${(err as Error).message}`, headers: {} };
      }
      who = { principal, authenticated: principal !== ANONYMOUS_PRINCIPAL, host };
    } else {
      who = { principal: ANONYMOUS_PRINCIPAL, authenticated: false, host };
    }
    if (this.broker.aclsEnforced) {
      const authorizer = this.broker.services?.authorizer;
      if (!authorizer) return starting();
      if (!authorizer.authorize({ principal: who.principal, host, api: API_NAME }, AclOperation.DESCRIBE, ResourceType.CLUSTER, CLUSTER_NAME)) {
        return { ok: false, status: 403, message: `${who.principal} may not describe the cluster: the admin server needs DESCRIBE on the cluster resource (or a super user)`, headers: {} };
      }
    }
    return { ok: true, who };
  }

  /** Null when `who` may do `action` on the topic, else why not. */
  refusal(who: AdminPrincipal, action: AdminAction, topic: string): string | null {
    if (!this.broker.aclsEnforced) return null;
    const what = action === 'read-records' ? 'shows no records' : 'changes no configs';
    if (!who.authenticated) return `the console ${what} to an unauthenticated user while ACLs are enforced (authorizer.class.name is set): set tributary.admin.authentication=basic and sign in as a user of the broker`;
    const authorizer = this.broker.services?.authorizer;
    if (!authorizer) return 'the broker is still starting';
    const operation = action === 'read-records' ? AclOperation.READ : AclOperation.ALTER_CONFIGS;
    if (authorizer.authorize({ principal: who.principal, host: who.host, api: API_NAME }, operation, ResourceType.TOPIC, topic)) return null;
    return `${who.principal} may not ${action === 'read-records' ? 'read' : 'alter the configs of'} topic ${topic}`;
  }
}

function starting(): Admission {
  return { ok: false, status: 503, message: 'the broker is still starting: its users and ACLs are not loaded yet', headers: { 'Retry-After': '1' } };
}
