/**
 * The composition root: `startBroker` wires configuration, metadata, partitions and the listener.
 * The CLI (`tributary start`) and the embedding API both come through here.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { BrokerConfig } from './config/broker-configs.js';
import { LocalMetadataStore } from './metadata/local-store.js';
import { ProducerIdManager } from './metadata/producer-ids.js';
import { ReplicaManager } from './partition/replica-manager.js';
import { TopicService } from './partition/topic-service.js';
import { Listener, type ServerLoad } from './server/listener.js';
import { dispatch, type Dispatcher } from './server/dispatch.js';
import type { BrokerServices } from './api/services.js';
import { openLogFactory, type StorageKind } from './broker-storage.js';
import type { FileSystem } from './storage/file-system.js';
import { startGroupCoordinator, type RunningGroupCoordinator } from './broker-groups.js';
import type { GroupCoordinator } from './coordinator/group/coordinator.js';
import { listenerLimits } from './broker-listener.js';
import { systemScheduler, type Scheduler } from './coordinator/scheduler.js';
import { FetchSessionCache } from './partition/fetch-sessions.js';
import './api/registry.js';

export interface BrokerOptions {
  /** Port to listen on; 0 picks a free one. Overrides `listeners`. */
  port?: number;
  /** Host to listen on (default 127.0.0.1). */
  host?: string;
  /** Data directory; a temporary one (removed on stop) when omitted. */
  dataDir?: string;
  nodeId?: number;
  /** Broker configuration with Kafka's key names, e.g. { 'num.partitions': '3' }. */
  config?: Record<string, string>;
  /** 'disk' (default) or 'memory' (nothing touches disk but metadata in the temporary directory). */
  storage?: StorageKind;
  /** A pino logger; by default one at `logLevel` (default 'warn') on stderr. */
  logger?: Logger;
  logLevel?: string;
  /**
   * The clock and timers of the group coordinator (session timeouts, rebalance delays, offset
   * expiry); the system clock by default. Tests inject a ManualScheduler to move time themselves.
   */
  scheduler?: Scheduler;
  /**
   * The file system partition logs are stored through (the real one by default). Tests pass a
   * fault-injecting one to see what clients get when the disk fails.
   */
  fileSystem?: FileSystem;
  /** Fault-injection seam for tests: wraps the function that turns a request frame into a response. */
  wrapDispatcher?: (next: Dispatcher) => Dispatcher;
}

export interface RunningBroker {
  /** "host:port", ready for a client's bootstrap servers. */
  readonly bootstrap: string;
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly clusterId: string;
  readonly config: BrokerConfig;
  /** What the listener holds right now: connections, requests under way, bytes queued. */
  serverLoad(): ServerLoad;
  /** Fetches waiting for data right now (long polls). */
  waitingFetches(): number;
  /** Stops accepting, finishes in-flight requests, flushes and closes the logs. */
  stop(): Promise<void>;
  /**
   * Test-only, not a stable API: the group coordinator, so that a test can unload and load a
   * __consumer_offsets partition (unloadPartition / loadPartition) as a leadership change would.
   */
  readonly groupCoordinatorForTests: GroupCoordinator;
}

export async function startBroker(options: BrokerOptions = {}, baseConfig?: BrokerConfig): Promise<RunningBroker> {
  const log = options.logger ?? pino({ level: options.logLevel ?? process.env.TRIBUTARY_LOG_LEVEL ?? 'warn' });
  const overrides: [string, string][] = Object.entries(options.config ?? {});
  if (options.nodeId !== undefined) overrides.push(['node.id', String(options.nodeId)]);
  const temporaryDir = options.dataDir === undefined && !baseConfig?.explicit('log.dirs') ? await mkdtemp(join(tmpdir(), 'tributary-')) : null;
  if (options.dataDir !== undefined) overrides.push(['log.dirs', options.dataDir]);
  else if (temporaryDir) overrides.push(['log.dirs', temporaryDir]);
  const config = new BrokerConfig(baseConfig ? [...baseConfigEntries(baseConfig)] : [], overrides);
  const listen = config.listener;
  const host = options.host ?? listen.host;
  const port = options.port ?? listen.port;

  const store = await LocalMetadataStore.open(config.dataDir, config.nodeId);
  const logs = await openLogFactory(options.storage ?? 'disk', config, log, options.fileSystem);
  const replicas = new ReplicaManager(logs, {
    now: () => Date.now(),
    producerIdExpirationMs: () => config.int('producer.id.expiration.ms'),
    onBackgroundError: (what, err) => log.error({ err }, `${what} failed`),
  });
  replicas.expireProducersEvery(config.int('producer.id.expiration.check.interval.ms'));
  let topics: TopicService | null = null;
  let groups: RunningGroupCoordinator | null = null;
  let listener: Listener | null = null;

  /**
   * Stops what has been started, in an order where each step ends what could still write to the
   * logs closed after it. Also undoes a start that failed half way: no timer stays armed, no log open.
   */
  const shutdown = async () => {
    // Stop accepting; requests in flight may finish (up to 5 s) while the rest shuts down.
    const closing = listener?.close(5000);
    // Waiting long polls answer now.
    replicas.wakeAll();
    // Topic mutations still running end (a large CreatePartitions stops early) before the groups
    // stop, since a deletion removes the topic's committed offsets, and before the logs close.
    await topics?.close();
    // Waiting joins and syncs answer NOT_COORDINATOR, group timers are cancelled, group writes finish.
    await groups?.stop();
    await closing;
    await replicas.close();
    await logs.close();
    if (temporaryDir) await rm(temporaryDir, { recursive: true, force: true });
  };

  let bound = { host, port };
  try {
    topics = new TopicService(store, config, replicas, () => 1);
    await replicas.loadTopics(store.topics());
    groups = await startGroupCoordinator(config, topics, replicas, log, options.scheduler ?? systemScheduler);
    const services: BrokerServices = {
      config,
      nodeId: config.nodeId,
      clusterId: store.clusterId,
      endpoint: () => config.advertised ?? bound,
      topics,
      replicas,
      groups: groups.coordinator,
      producerIds: await ProducerIdManager.open(config.dataDir),
      fetchSessions: new FetchSessionCache({
        maxSessions: config.int('max.incremental.fetch.session.cache.slots'),
        evictionMs: config.int('min.incremental.fetch.session.eviction.ms'),
      }),
      now: () => Date.now(),
    };
    listener = new Listener(services, listenerLimits(config), log, options.wrapDispatcher ? options.wrapDispatcher(dispatch) : dispatch);
    const address = await listener.listen(host, port);
    bound = { host: address.host === '0.0.0.0' || address.host === '::' ? '127.0.0.1' : address.host, port: address.port };
  } catch (err) {
    await shutdown().catch((cleanupErr: unknown) => log.error({ err: cleanupErr }, 'cleaning up after a failed start failed'));
    throw err;
  }
  log.info({ address: `${bound.host}:${bound.port}`, dataDir: config.dataDir, clusterId: store.clusterId, nodeId: config.nodeId }, `Tributary broker ready on ${bound.host}:${bound.port}`);

  let stopping: Promise<void> | null = null;
  return {
    bootstrap: `${bound.host}:${bound.port}`,
    host: bound.host,
    port: bound.port,
    dataDir: config.dataDir,
    clusterId: store.clusterId,
    config,
    groupCoordinatorForTests: (groups as RunningGroupCoordinator).coordinator,
    serverLoad: () => (listener as Listener).load(),
    waitingFetches: () => replicas.waitingFetches,
    stop() {
      stopping ??= shutdown().then(() => log.info('Tributary broker stopped'));
      return stopping;
    },
  };
}

function* baseConfigEntries(config: BrokerConfig): Generator<[string, string]> {
  yield* config.entries();
}
