/**
 * A Tributary cluster of child processes for failure tests: a real etcd (test/helpers/etcd.ts)
 * and brokers started as a user starts them (`tributary start --metadata etcd://…`), each on a
 * fixed port and data directory so it can be killed with SIGKILL and started again as itself.
 * Each broker's last log lines are kept for the failure message of a test.
 *
 * With `faultLinks`, each broker's links go through TCP proxies of its own (test/helpers/tcp-proxy.ts)
 * that a test can cut, delay or black-hole: its link to etcd (`--metadata` names the proxy) and
 * its inbound link (`advertised.listeners` names the proxy while it listens on its real port, so
 * peers' replica fetchers and clients that follow Metadata go through it; a test's raw client
 * can still reach the real port, `address(id)`, directly).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEtcd, type EtcdServer } from './etcd.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
import { freePort } from './free-port.js';
import { until } from './cluster-waits.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import type { MetadataResponse } from '../../src/protocol/generated/index.js';

const CLI = fileURLToPath(new URL('../../../bin/tributary.js', import.meta.url));
const READY = 'Tributary broker ready';
const START_BOUND_MS = 30_000;

export interface ProcessClusterOptions {
  brokers: number;
  /** Broker config for all (Kafka's keys). */
  config?: Record<string, string>;
  /** Puts each broker's etcd link and inbound link behind proxies of its own (`links(id)`). */
  faultLinks?: boolean;
  /** Options for node itself in every broker process (`--cpu-prof` for a benchmark's profile). */
  nodeArgs?: string[];
}

/** One broker's faultable links. */
export interface BrokerLinks {
  /** This broker's connection to etcd. */
  readonly etcd: TcpProxy;
  /** Connections to this broker from its peers (and from clients that follow Metadata). */
  readonly inbound: TcpProxy;
}

interface Node {
  readonly nodeId: number;
  readonly port: number;
  readonly dataDir: string;
  child: ChildProcess | null;
  exited: Promise<void>;
  readonly output: string[];
  /** How many output chunks were ever kept (`output` holds the last ones). */
  outputCount: number;
  links: BrokerLinks | null;
}

export class ProcessCluster {
  private readonly nodes = new Map<number, Node>();

  private constructor(
    readonly etcd: EtcdServer,
    private readonly root: string,
    private readonly config: Record<string, string>,
    private readonly nodeArgs: string[] = [],
  ) {}

  static async start(options: ProcessClusterOptions): Promise<ProcessCluster> {
    const etcd = await startEtcd();
    const root = await mkdtemp(join(tmpdir(), 'tributary-pcluster-'));
    const cluster = new ProcessCluster(etcd, root, options.config ?? {}, options.nodeArgs);
    try {
      for (let id = 1; id <= options.brokers; id++) {
        const port = await freePort();
        const links = options.faultLinks ? { etcd: await startTcpProxy('127.0.0.1', Number(new URL(etcd.endpoint).port)), inbound: await startTcpProxy('127.0.0.1', port) } : null;
        cluster.nodes.set(id, { nodeId: id, port, dataDir: join(root, `broker-${id}`), child: null, exited: Promise.resolve(), output: [], outputCount: 0, links });
      }
      for (const id of cluster.nodes.keys()) await cluster.startBroker(id);
      await cluster.untilEveryBrokerSeesAll();
    } catch (err) {
      await cluster.close();
      throw err;
    }
    return cluster;
  }

  /**
   * Registrations reach each broker through its watch a moment after they are made: until the
   * controller has seen every broker, a topic with the cluster's size as replication factor is
   * refused (INVALID_REPLICATION_FACTOR). Waits until each broker's Metadata lists them all.
   */
  private async untilEveryBrokerSeesAll(): Promise<void> {
    const count = this.nodes.size;
    for (const id of this.nodes.keys()) {
      await until(
        `broker ${id} to see all ${count} brokers and a controller`,
        async () => {
          const c = await KafkaConnection.open(this.address(id), 5000, 'process-cluster');
          try {
            const m = await c.request<MetadataResponse>(3, 12, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
            return m.brokers.length === count && m.controllerId >= 0 ? true : null;
          } finally {
            c.close();
          }
        },
        this,
      );
    }
  }

  get nodeIds(): number[] {
    return [...this.nodes.keys()];
  }

  /** Every broker's address (running or not): clients bootstrap from whichever answers. */
  get bootstrap(): string[] {
    return [...this.nodes.values()].map((n) => `127.0.0.1:${n.port}`);
  }

  /** The port broker `nodeId` really listens on (not through its inbound proxy). */
  address(nodeId: number): string {
    return `127.0.0.1:${this.node(nodeId).port}`;
  }

  /** Broker `nodeId`'s faultable links (the cluster must have been started with `faultLinks`). */
  links(nodeId: number): BrokerLinks {
    const links = this.node(nodeId).links;
    if (!links) throw new Error('the cluster was started without faultLinks');
    return links;
  }

  /** Restores every proxied link (ends cuts, black holes and delays). */
  healAll(): void {
    for (const n of this.nodes.values()) {
      n.links?.etcd.restore();
      n.links?.inbound.restore();
    }
  }

  dataDir(nodeId: number): string {
    return this.node(nodeId).dataDir;
  }

  isRunning(nodeId: number): boolean {
    return this.node(nodeId).child !== null;
  }

  /** The last lines broker `nodeId` printed (for a failing test's message). */
  logTail(nodeId: number, lines = 40): string {
    const n = this.node(nodeId);
    return `${n.output.slice(-lines).join('')}${n.child ? '' : '[not running]\n'}`;
  }

  /** A mark in broker `nodeId`'s output, for `logSince`. */
  logMark(nodeId: number): number {
    return this.node(nodeId).outputCount;
  }

  /** What broker `nodeId` printed after `mark` (as far as the kept tail reaches back). */
  logSince(nodeId: number, mark: number): string {
    const n = this.node(nodeId);
    return n.output.slice(Math.max(0, n.output.length - (n.outputCount - mark))).join('');
  }

  private node(nodeId: number): Node {
    const n = this.nodes.get(nodeId);
    if (!n) throw new Error(`no broker ${nodeId}`);
    return n;
  }

  /** Starts broker `nodeId` (again) and resolves once it says it is ready. */
  async startBroker(nodeId: number): Promise<void> {
    const n = this.node(nodeId);
    if (n.child) throw new Error(`broker ${nodeId} is running`);
    const config = n.links ? { ...this.config, 'advertised.listeners': `PLAINTEXT://127.0.0.1:${n.links.inbound.port}` } : this.config;
    const sets = Object.entries(config).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
    const etcdAddress = n.links ? `127.0.0.1:${n.links.etcd.port}` : this.etcd.endpoint.replace(/^http:\/\//, '');
    const args = [CLI, 'start', '--metadata', `etcd://${etcdAddress}`, '--node-id', String(nodeId), '--listen', `127.0.0.1:${n.port}`, '--data-dir', n.dataDir, '--log-format', 'json', '--log-level', 'info', '--set', 'tributary.admin.listener=', ...sets];
    const child = spawn(process.execPath, [...this.nodeArgs, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    n.child = child;
    n.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        n.output.push(`[process exited: code ${code}, signal ${signal}]\n`);
        resolve();
      }),
    );
    void n.exited.then(() => {
      if (n.child === child) n.child = null;
    });
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`broker ${nodeId} did not start within ${START_BOUND_MS} ms:\n${this.logTail(nodeId)}`)), START_BOUND_MS);
      const onData = (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        n.output.push(text);
        n.outputCount++;
        if (n.output.length > 400) n.output.splice(0, n.output.length - 400);
        if (text.includes(READY)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (c: Buffer) => (n.output.push(c.toString('utf8')), n.outputCount++));
      void n.exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`broker ${nodeId} exited while starting:\n${this.logTail(nodeId)}`));
      });
    });
    await ready;
  }

  /** SIGKILL: the process ends at once, mid-write if it was writing. */
  async kill(nodeId: number): Promise<void> {
    const n = this.node(nodeId);
    if (!n.child) return;
    n.child.kill('SIGKILL');
    await n.exited;
  }

  /** SIGTERM: a clean shutdown (leadership moves first). */
  async stopBroker(nodeId: number): Promise<void> {
    const n = this.node(nodeId);
    if (!n.child) return;
    n.child.kill('SIGTERM');
    await n.exited;
  }

  async close(): Promise<void> {
    await Promise.all(this.nodeIds.map((id) => this.stopBroker(id).catch(() => undefined)));
    for (const n of this.nodes.values()) await Promise.all([n.links?.etcd.close(), n.links?.inbound.close()]);
    await this.etcd.stop();
    await rm(this.root, { recursive: true, force: true });
  }
}
