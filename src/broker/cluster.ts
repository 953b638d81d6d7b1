/**
 * The embedding API for a replicated cluster: `startCluster({ brokers: 3 })` starts an etcd (a
 * child process of Debian's `etcd` binary, unless `etcd` names a running one) and that many brokers
 * in this process, each with its own data directory and port, sharing one metadata prefix. Brokers
 * can be stopped and started again (same node id, port and data) to see failover from a test.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startBroker, type BrokerOptions, type RunningBroker } from './broker.js';
import { startEtcd, type EtcdServer } from './etcd-server.js';

/** How long the brokers of a started cluster may take to see each other's registrations. */
const SETTLE_BOUND_MS = 30_000;

export interface ClusterOptions {
  /** How many brokers (node ids 1..n); 3 by default. */
  brokers?: number;
  /** Client URLs of a running etcd; when omitted an etcd child process is started (and stopped with the cluster). */
  etcd?: string;
  /** Broker configuration for every broker, with Kafka's key names. */
  config?: Record<string, string>;
  storage?: BrokerOptions['storage'];
  logLevel?: string;
  host?: string;
  /** Where the brokers keep their data (broker-<id> under it), kept after stop; a temporary directory, removed at stop, when omitted. */
  dataDir?: string;
}

export interface RunningCluster {
  /** Every running broker's "host:port", comma-separated, ready for a client's bootstrap servers. */
  readonly bootstrap: string;
  /** The etcd client URL the cluster keeps its metadata in. */
  readonly etcdEndpoint: string;
  /** The running brokers by node id. */
  readonly brokers: ReadonlyMap<number, RunningBroker>;
  /** Stops broker `nodeId` cleanly (its leaderships move to other brokers once its session ends). */
  stopBroker(nodeId: number): Promise<void>;
  /**
   * Starts broker `nodeId` again, on its port and data directory; resolves once every running
   * broker sees it (rejects after 30 s if they do not, with the broker left running: stop it).
   */
  startBroker(nodeId: number): Promise<RunningBroker>;
  /** Stops every broker, then etcd if the cluster started it, and removes the data directories. */
  stop(): Promise<void>;
}

/** Resolves once every broker sees every other broker's registration and a controller. */
export async function startCluster(options: ClusterOptions = {}): Promise<RunningCluster> {
  const count = options.brokers ?? 3;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`a cluster needs at least one broker, not ${count}`);
  const etcd: EtcdServer | null = options.etcd ? null : await startEtcd();
  const etcdEndpoint = options.etcd ?? (etcd as EtcdServer).endpoint;
  const root = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'tributary-cluster-')));
  const prefix = `/tributary/cluster-${randomBytes(6).toString('hex')}`;
  const running = new Map<number, RunningBroker>();
  const ports = new Map<number, number>();

  const launch = async (nodeId: number): Promise<RunningBroker> => {
    const broker = await startBroker({
      port: ports.get(nodeId) ?? 0,
      host: options.host ?? '127.0.0.1',
      nodeId,
      dataDir: join(root, `broker-${nodeId}`),
      storage: options.storage,
      logLevel: options.logLevel,
      config: { ...options.config, 'tributary.metadata.etcd.endpoints': etcdEndpoint, 'tributary.metadata.etcd.prefix': prefix },
    });
    ports.set(nodeId, broker.port);
    running.set(nodeId, broker);
    return broker;
  };

  /**
   * A broker learns the others' registrations through its watch, a moment after they are made:
   * until the controller has seen them all, a topic created with a replication factor of the
   * cluster's size is refused (INVALID_REPLICATION_FACTOR). Started means seen by everyone.
   */
  const everyBrokerSeesEveryOther = async () => {
    const ids = [...running.keys()];
    const bound = AbortSignal.timeout(SETTLE_BOUND_MS);
    await Promise.all([...running.values()].map((b) => b.waitForBrokers(ids, bound)));
  };

  const stopAll = async () => {
    await Promise.all([...running.values()].map((b) => b.stop()));
    running.clear();
    await etcd?.stop();
    if (options.dataDir === undefined) await rm(root, { recursive: true, force: true });
  };

  try {
    // One at a time: each start waits for its registration, so node ids come up in order.
    for (let id = 1; id <= count; id++) await launch(id);
    await everyBrokerSeesEveryOther();
  } catch (err) {
    await stopAll().catch(() => undefined);
    throw err;
  }

  return {
    get bootstrap() {
      return [...running.values()].map((b) => b.bootstrap).join(',');
    },
    etcdEndpoint,
    brokers: running,
    async stopBroker(nodeId) {
      const broker = running.get(nodeId);
      if (!broker) throw new Error(`broker ${nodeId} is not running`);
      running.delete(nodeId);
      await broker.stop();
    },
    async startBroker(nodeId) {
      if (running.has(nodeId)) throw new Error(`broker ${nodeId} is running`);
      if (!ports.has(nodeId)) throw new Error(`broker ${nodeId} is not part of this cluster`);
      const broker = await launch(nodeId);
      await everyBrokerSeesEveryOther();
      return broker;
    },
    stop: stopAll,
  };
}
