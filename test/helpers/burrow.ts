/**
 * Burrow (Debian's `burrow` package: LinkedIn's consumer-lag checker 1.2.1, built on Sarama) as a
 * child process against a broker, with the ZooKeeper it needs for its own bookkeeping (Debian's
 * `zookeeper` package, run as a standalone server on a loopback port and a scratch data dir).
 * Burrow reads group offsets from __consumer_offsets and the partitions' end offsets from the
 * brokers, and serves the lag it computes over HTTP (/v3/kafka/...), which the tests read.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { freePort } from './free-port.js';
import { join } from 'node:path';

export const BURROW_BIN = '/usr/bin/Burrow';
const ZOOKEEPER_JAR = '/usr/share/java/zookeeper.jar';
const JAVA = '/usr/bin/java';

/** Why Burrow cannot run here, or null when it can (.ci/run installs both packages). */
export function burrowMissing(): string | null {
  if (!existsSync(BURROW_BIN)) return `${BURROW_BIN} is missing (apt-get install burrow)`;
  if (!existsSync(ZOOKEEPER_JAR) || !existsSync(JAVA)) return `ZooKeeper is missing (apt-get install zookeeper)`;
  return null;
}

/** Polls `probe` until it gives a value (a throw counts as not yet), within `boundMs`. */
export async function pollUntil<T>(what: string, probe: () => Promise<T | null>, boundMs = 30_000): Promise<T> {
  const deadline = Date.now() + boundMs;
  let last: unknown = null;
  for (;;) {
    const got = await probe().catch((err: unknown) => ((last = err), null));
    if (got !== null) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function accepts(port: number): Promise<true | null> {
  return new Promise((res) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), res(true)));
    s.once('error', () => res(null));
  });
}

export interface Child {
  readonly process: ChildProcess;
  output(): string;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

function child(cmd: string, args: string[]): Child {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (chunk: Buffer) => {
    out = (out + chunk.toString()).slice(-200_000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exited = new Promise<void>((res) => proc.once('exit', () => res()));
  return {
    process: proc,
    output: () => out,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}

/** A standalone ZooKeeper on a free loopback port, data in `dir`; resolves once it accepts connections. */
export async function startZooKeeper(dir: string): Promise<{ port: number; server: Child }> {
  const port = await freePort();
  const server = child(JAVA, ['-Xmx128m', '-cp', ZOOKEEPER_JAR, 'org.apache.zookeeper.server.ZooKeeperServerMain', String(port), dir]);
  await pollUntil('ZooKeeper to accept connections', async () => {
    if (server.process.exitCode !== null) throw new Error(`ZooKeeper exited: ${server.output()}`);
    return accepts(port);
  });
  return { port, server };
}

/**
 * Starts Burrow with one cluster and one consumer module (class "kafka": offsets read from
 * __consumer_offsets) for `bootstrap`, refreshing topics every 2 s and end offsets every second.
 * `kafkaVersion` is Sarama's protocol version (Burrow's client-profile kafka-version).
 */
export async function startBurrow(dir: string, bootstrap: string, zookeeperPort: number, kafkaVersion: string): Promise<{ http: string; burrow: Child }> {
  const httpPort = await freePort();
  const config = `[general]
pidfile="${join(dir, 'burrow.pid')}"
[logging]
level="info"
[zookeeper]
servers=["127.0.0.1:${zookeeperPort}"]
timeout=6
root-path="/burrow"
[client-profile.tributary]
client-id="burrow"
kafka-version="${kafkaVersion}"
[cluster.local]
class-name="kafka"
servers=["${bootstrap}"]
client-profile="tributary"
topic-refresh=2
offset-refresh=1
[consumer.local]
class-name="kafka"
cluster="local"
servers=["${bootstrap}"]
client-profile="tributary"
offsets-topic="__consumer_offsets"
start-latest=false
[httpserver.default]
address="127.0.0.1:${httpPort}"
[storage.default]
class-name="inmemory"
workers=2
intervals=10
expire-group=604800
min-distance=1
`;
  await writeFile(join(dir, 'burrow.toml'), config);
  const burrow = child(BURROW_BIN, ['-config-dir', dir]);
  const http = `http://127.0.0.1:${httpPort}`;
  await pollUntil('Burrow to serve HTTP', async () => {
    if (burrow.process.exitCode !== null) throw new Error(`Burrow exited: ${burrow.output()}`);
    return (await fetch(`${http}/burrow/admin`)).ok ? true : null;
  });
  return { http, burrow };
}

/** GET on Burrow's HTTP API, as JSON. */
export async function burrowGet<T>(http: string, path: string): Promise<T> {
  const res = await fetch(`${http}${path}`);
  return (await res.json()) as T;
}
