/**
 * Certificates for TLS tests, made by the test itself with openssl in a temporary directory (no
 * key is ever committed): a CA, a server certificate for 127.0.0.1 and localhost, client
 * certificates with chosen subjects. Keys are P-256 (fast to make), PKCS#8 PEM.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';

export interface IssuedCert {
  readonly certFile: string;
  readonly keyFile: string;
  /** Key and certificate chain (leaf, then the CA) in one file: a PEM key store. */
  readonly pemFile: string;
  readonly cert: string;
  readonly key: string;
  /** SHA-256 fingerprint as node:crypto prints it (AA:BB:...). */
  readonly fingerprint: string;
}

export interface TestCerts {
  readonly dir: string;
  readonly caFile: string;
  readonly ca: string;
  readonly server: IssuedCert;
  readonly client: IssuedCert;
  /** Issues another certificate from the same CA (`subject` in openssl's /K=V/... form). */
  issue(name: string, subject: string, options?: { serverNames?: boolean; keyPassword?: string }): IssuedCert;
  /** A second CA (not trusted by the broker), for negative tests. */
  otherCa(): { caFile: string; issue(name: string, subject: string): IssuedCert };
  cleanup(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function newKeyArgs(keyFile: string): string[] {
  return ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile];
}

function makeCa(dir: string, prefix: string): string {
  const caFile = join(dir, `${prefix}.crt`);
  openssl(dir, ['req', '-x509', ...newKeyArgs(`${prefix}.key`), '-out', caFile, '-days', '2', '-subj', `/CN=Tributary Test ${prefix}`]);
  return caFile;
}

function issueFrom(dir: string, caPrefix: string, name: string, subject: string, options: { serverNames?: boolean; keyPassword?: string } = {}): IssuedCert {
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, options.serverNames ? 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' : 'basicConstraints=CA:FALSE\n');
  openssl(dir, ['req', ...newKeyArgs(`${name}.key`), '-out', `${name}.csr`, '-subj', subject]);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${caPrefix}.crt`, '-CAkey', `${caPrefix}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', ext]);
  if (options.keyPassword !== undefined) {
    openssl(dir, ['pkcs8', '-topk8', '-in', `${name}.key`, '-out', `${name}.enc.key`, '-passout', `pass:${options.keyPassword}`]);
    rmSync(join(dir, `${name}.key`));
    execFileSync('mv', [join(dir, `${name}.enc.key`), join(dir, `${name}.key`)]);
  }
  const cert = readFileSync(join(dir, `${name}.crt`), 'utf8');
  const key = readFileSync(join(dir, `${name}.key`), 'utf8');
  const ca = readFileSync(join(dir, `${caPrefix}.crt`), 'utf8');
  const pemFile = join(dir, `${name}.pem`);
  writeFileSync(pemFile, `${key}${cert}${ca}`);
  return { certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`), pemFile, cert, key, fingerprint: new X509Certificate(cert).fingerprint256 };
}

export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-certs-'));
  const caFile = makeCa(dir, 'ca');
  const issue = (name: string, subject: string, options?: { serverNames?: boolean; keyPassword?: string }) => issueFrom(dir, 'ca', name, subject, options);
  return {
    dir,
    caFile,
    ca: readFileSync(caFile, 'utf8'),
    server: issue('server', '/CN=localhost', { serverNames: true }),
    client: issue('client', '/C=DE/O=Acme/OU=Eng/CN=alice'),
    issue,
    otherCa() {
      const other = makeCa(dir, 'other-ca');
      return { caFile: other, issue: (name: string, subject: string) => issueFrom(dir, 'other-ca', name, subject) };
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A cluster whose brokers talk over an SSL inter-broker listener with client certificates required, beside a PLAINTEXT one for clients. */
export function mutualTlsClusterConfig(certs: TestCerts): Record<string, string> {
  return {
    listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0',
    'inter.broker.listener.name': 'SSL',
    'ssl.keystore.location': certs.server.pemFile,
    'ssl.truststore.location': certs.caFile,
    'ssl.client.auth': 'required',
  };
}
