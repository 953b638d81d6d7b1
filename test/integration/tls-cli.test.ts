// The `tributary` CLI against an SSL listener with client certificates required, as a user runs it
// (a child process), taking its TLS settings from TRIBUTARY_TLS_CA / _CERT / _KEY.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { makeTestCerts, type TestCerts } from '../helpers/test-certs.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../../bin/tributary.js', import.meta.url));

let certs: TestCerts;
let broker: RunningBroker;

before(async () => {
  certs = makeTestCerts();
  broker = await startBroker({ port: 0, config: { listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.location': certs.server.pemFile, 'ssl.truststore.location': certs.caFile, 'ssl.client.auth': 'required' } });
});
after(async () => {
  await broker?.stop();
  certs?.cleanup();
});

async function tributary(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { timeout: 30_000, env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

test('tributary cluster info over mutual TLS; refused without a client certificate; a certificate without its key is a usage error', async () => {
  const tlsEnv = { TRIBUTARY_TLS_CA: certs.caFile, TRIBUTARY_TLS_CERT: certs.client.certFile, TRIBUTARY_TLS_KEY: certs.client.keyFile };
  const ok = await tributary(tlsEnv, 'cluster', 'info', '-b', broker.bootstrap);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, new RegExp(`^Cluster id: ${broker.clusterId}$`, 'm'));
  assert.match(ok.stdout, new RegExp(`^1\\s+127\\.0\\.0\\.1\\s+${broker.port}\\s`, 'm'));

  const noCert = await tributary({ TRIBUTARY_TLS_CA: certs.caFile }, 'cluster', 'info', '-b', broker.bootstrap);
  assert.notEqual(noCert.code, 0);
  const halfCert = await tributary({ TRIBUTARY_TLS_CA: certs.caFile, TRIBUTARY_TLS_CERT: certs.client.certFile }, 'cluster', 'info', '-b', broker.bootstrap);
  assert.notEqual(halfCert.code, 0);
  assert.match(halfCert.stderr, /TRIBUTARY_TLS_CERT and TRIBUTARY_TLS_KEY go together/);
});
