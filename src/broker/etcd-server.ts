/**
 * A one-member etcd as a child process, for `startCluster` and the project's tests: Debian's
 * `etcd` binary (package etcd-server) on free loopback ports (client and peer), with a temporary
 * data directory. `kill()` sends SIGKILL and `restart()` starts the same member again on the same
 * ports and data directory, for fault tests. `stop()` ends it and removes the directory.
 *
 * With `tls` it serves its clients over TLS only (https:// endpoint), and with a CA for them
 * requires their certificates (--client-cert-auth).
 *
 * Without the binary it fails at once and says how to install it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { get as httpsGet } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ETCD_BINARY = process.env.ETCD_BINARY ?? 'etcd';
const START_TIMEOUT_MS = 20_000;
const MISSING = `the etcd binary (${ETCD_BINARY}) was not found: install it with \`apt-get install etcd-server\` (Debian) or set ETCD_BINARY`;

export interface EtcdTlsFiles {
  /** PEM certificate (with 127.0.0.1 among its names) and key etcd serves its clients with. */
  readonly certFile: string;
  readonly keyFile: string;
  /** With it, clients must present a certificate this CA signed (--client-cert-auth). */
  readonly clientCaFile?: string;
  /** What the health check trusts and presents: the CA of certFile, and a client key pair when clientCaFile is set. */
  readonly checkWith: { readonly ca: string; readonly cert?: string; readonly key?: string };
}

export interface StartEtcdOptions {
  readonly tls?: EtcdTlsFiles;
}

export interface EtcdServer {
  /** The client URL, e.g. http://127.0.0.1:40123 (https:// with TLS). */
  readonly endpoint: string;
  readonly dataDir: string;
  /** SIGKILL, then wait for the process to be gone. Its data directory stays. */
  kill(): Promise<void>;
  /** Starts the killed member again on the same ports and data directory and waits until it is healthy. */
  restart(): Promise<void>;
  /** Ends etcd (if running) and removes its data directory. */
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function assertBinaryPresent(): void {
  const probe = spawnSync(ETCD_BINARY, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) throw new Error(MISSING);
}

interface Running {
  child: ChildProcess;
  exited: Promise<void>;
  output: string[];
}

function launch(args: string[]): Running {
  const child = spawn(ETCD_BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString('utf8'));
    if (output.length > 200) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (err) => (output.push(String(err)), resolve()));
  });
  return { child, exited, output };
}

/** etcd's /health answer over TLS, trusting `tls.checkWith`. */
function healthOverTls(endpoint: string, tls: EtcdTlsFiles): Promise<{ health?: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsGet(`${endpoint}/health`, { ...tls.checkWith, timeout: 1000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body) as { health?: string });
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('no answer in time')));
    req.on('error', reject);
  });
}

async function health(endpoint: string, tls: EtcdTlsFiles | undefined): Promise<{ health?: string }> {
  if (tls) return healthOverTls(endpoint, tls);
  const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
  return (await res.json()) as { health?: string };
}

/** Resolves once etcd answers /health with true; rejects if the process exits first or it takes too long. */
async function waitHealthy(endpoint: string, running: Running, tls?: EtcdTlsFiles): Promise<void> {
  let exited = false;
  void running.exited.then(() => (exited = true));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`etcd exited while starting:\n${running.output.join('')}`);
    try {
      const body = await health(endpoint, tls);
      if (body.health === 'true') return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`etcd did not become healthy within ${START_TIMEOUT_MS} ms:\n${running.output.join('')}`);
}

export async function startEtcd(options: StartEtcdOptions = {}): Promise<EtcdServer> {
  assertBinaryPresent();
  const tls = options.tls;
  const dataDir = await mkdtemp(join(tmpdir(), 'tributary-etcd-'));
  // A port taken between probing and binding makes etcd exit; try a few fresh pairs.
  for (let attempt = 1; ; attempt++) {
    const [clientPort, peerPort] = [await freePort(), await freePort()];
    const endpoint = `${tls ? 'https' : 'http'}://127.0.0.1:${clientPort}`;
    const peer = `http://127.0.0.1:${peerPort}`;
    const args = [
      '--name', 'test',
      '--data-dir', join(dataDir, 'member'),
      '--listen-client-urls', endpoint,
      '--advertise-client-urls', endpoint,
      '--listen-peer-urls', peer,
      '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `test=${peer}`,
      // A one-member cluster: short raft ticks make it leader at once, and let leases as short as
      // one second exist (etcd's minimum lease TTL is 1.5 election timeouts).
      '--heartbeat-interval', '10',
      '--election-timeout', '100',
      '--logger', 'zap',
      '--log-level', 'error',
      ...(tls ? ['--cert-file', tls.certFile, '--key-file', tls.keyFile] : []),
      ...(tls?.clientCaFile ? ['--trusted-ca-file', tls.clientCaFile, '--client-cert-auth'] : []),
    ];
    let running = launch(args);
    try {
      await waitHealthy(endpoint, running, tls);
    } catch (err) {
      running.child.kill('SIGKILL');
      await running.exited;
      if (attempt < 3 && /address already in use/.test(String(err))) continue;
      await rm(dataDir, { recursive: true, force: true });
      throw err;
    }
    let alive = true;
    const server: EtcdServer = {
      endpoint,
      dataDir,
      async kill() {
        if (!alive) return;
        alive = false;
        running.child.kill('SIGKILL');
        await running.exited;
      },
      async restart() {
        if (alive) throw new Error('etcd is running; kill() it first');
        running = launch(args);
        alive = true;
        await waitHealthy(endpoint, running, tls);
      },
      async stop() {
        await server.kill();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
    return server;
  }
}
