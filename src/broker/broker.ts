/**
 * The composition root: `startBroker` wires configuration, metadata, partitions and the listener.
 * The CLI (`tributary start`) and the embedding API both come through here.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { BrokerConfig } from '../config/broker-configs.js';
import { ProducerIdManager } from '../metadata/producer-ids.js';
import { ClusterView } from '../metadata/cluster-view.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import { ReplicaManager } from '../partition/replica-manager.js';
import type { Partition } from '../partition/partition.js';
import { TopicService } from '../partition/topic-service.js';
import { MetadataApplier } from '../partition/metadata-applier.js';
import { openMetadataStore } from './metadata.js';
import { BrokerRegistrar } from './registration.js';
import { kafkaAssigner } from './assignment.js';
import { ControllerCampaign, controllerRequests } from './controller.js';
import { startReplication, type Replication } from './replication.js';
import { coordinatorLocator } from './coordinators.js';
import type { ServerLoad } from '../server/listener.js';
import { BrokerListeners, planListeners, type BoundListener } from './listeners.js';
import { peerConnector } from './peer-connector.js';
import { saslGate } from '../server/sasl-gate.js';
import { ScramCredentials } from '../security/sasl/scram-credentials.js';
import { ClientQuotas } from '../security/quota/client-quotas.js';
import { DynamicBrokerConfigs } from '../partition/dynamic-configs.js';
import { saslSettings, type SaslListenerSettings } from '../security/sasl/sasl-settings.js';
import { usesSasl } from '../security/principal.js';
import { dispatch, type Dispatcher } from '../server/dispatch.js';
import type { BrokerServices } from '../api/services.js';
import { openLogFactory, type StorageKind } from './storage.js';
import type { FileSystem } from '../storage/file-system.js';
import { startGroupCoordinator, type RunningGroupCoordinator } from './groups.js';
import type { GroupCoordinator } from '../coordinator/group/coordinator.js';
import { listenerLimits } from './listener-limits.js';
import { startTransactionCoordinator, type RunningTransactionCoordinator } from './txn.js';
import { markerChannel } from './txn-markers.js';
import { PeerRequests } from './peer-requests.js';
import { transactionVerifier } from './txn-verification.js';
import { appendMarkerHere } from '../api/txn-marker-append.js';
import type { TransactionCoordinator } from '../coordinator/txn/transaction-coordinator.js';
import { systemScheduler, type Scheduler } from '../coordinator/scheduler.js';
import { FetchSessionCache } from '../partition/fetch-sessions.js';
import { BrokerObservation, BrokerState } from './observed.js';
import type { RunningAdminServer } from '../http/admin-server.js';
import { adminSecurity, type AdminSecurity } from './admin-access.js';
import { openAuthorizer } from './authorizer.js';
import type { AclAuthorizer } from '../security/acl/authorizer.js';
import '../api/registry.js';

export interface BrokerOptions {
  /** Port of the first listener in `listeners`; 0 picks a free one. The other listeners keep theirs. */
  port?: number;
  /** Host of the first listener (default: the one in `listeners`, 127.0.0.1 unless configured). */
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
  /** "host:port" of the first listener, ready for a client's bootstrap servers. */
  readonly bootstrap: string;
  readonly host: string;
  readonly port: number;
  /** Every listener with the address it is bound to, in the order of `listeners`. */
  readonly listeners: readonly BoundListener[];
  readonly dataDir: string;
  readonly clusterId: string;
  readonly config: BrokerConfig;
  /** Where the admin HTTP server (tributary.admin.listener) listens; null when it is off. */
  readonly adminAddress: { host: string; port: number } | null;
  /** What the listener holds right now: connections, requests under way, bytes queued. */
  serverLoad(): ServerLoad;
  /** Fetches waiting for data right now (long polls). */
  waitingFetches(): number;
  /**
   * Resolves once this broker's view of the cluster lists every broker of `nodeIds` and a
   * controller (registrations reach each broker through its watch, a moment after they are made);
   * rejects when `signal` aborts or the broker stops.
   */
  waitForBrokers(nodeIds: readonly number[], signal?: AbortSignal): Promise<void>;
  /** Stops accepting, finishes in-flight requests, flushes and closes the logs. */
  stop(): Promise<void>;
  /**
   * Test-only, not a stable API: the group coordinator, so that a test can unload and load a
   * __consumer_offsets partition (unloadPartition / loadPartition) as a leadership change would.
   */
  readonly groupCoordinatorForTests: GroupCoordinator;
  /** Test-only, not a stable API: the transaction coordinator (sweeps, describe). */
  readonly transactionCoordinatorForTests: TransactionCoordinator;
  /**
   * Test-only, not a stable API: a partition this broker hosts, so that a test can append
   * transaction markers (Partition.appendTxnMarker) until WriteTxnMarkers is served.
   */
  partitionForTests(topic: string, index: number): Partition | undefined;
}

export async function startBroker(options: BrokerOptions = {}, baseConfig?: BrokerConfig): Promise<RunningBroker> {
  const log = options.logger ?? pino({ level: options.logLevel ?? process.env.TRIBUTARY_LOG_LEVEL ?? 'warn' });
  const overrides: [string, string][] = Object.entries(options.config ?? {});
  if (options.nodeId !== undefined) overrides.push(['node.id', String(options.nodeId)]);
  const temporaryDir = options.dataDir === undefined && !baseConfig?.explicit('log.dirs') ? await mkdtemp(join(tmpdir(), 'tributary-')) : null;
  if (options.dataDir !== undefined) overrides.push(['log.dirs', options.dataDir]);
  else if (temporaryDir) overrides.push(['log.dirs', temporaryDir]);
  const config = new BrokerConfig(baseConfig ? [...baseConfigEntries(baseConfig)] : [], overrides);
  // Checked (and the TLS certificates loaded) before anything starts.
  let listenerPlan: ReturnType<typeof planListeners>;
  let adminSec: AdminSecurity | null;
  try {
    listenerPlan = planListeners(config, { host: options.host, port: options.port }, log);
    adminSec = config.adminListener ? adminSecurity(config, log) : null;
  } catch (err) {
    if (temporaryDir) await rm(temporaryDir, { recursive: true, force: true });
    throw err;
  }

  // The admin server comes first, so that /health and /ready answer while the rest starts.
  const observation = new BrokerObservation({ config });
  let admin: RunningAdminServer | null = null;
  let store: MetadataStore;
  try {
    admin = adminSec ? await startAdmin(config, observation, adminSec, log) : null;
    store = await openMetadataStore(config, log);
  } catch (err) {
    await admin?.close();
    if (temporaryDir) await rm(temporaryDir, { recursive: true, force: true });
    throw err;
  }
  let view: ClusterView | null = null;
  let logs: Awaited<ReturnType<typeof openLogFactory>> | null = null;
  let replicas: ReplicaManager | null = null;
  let applier: MetadataApplier | null = null;
  let registrar: BrokerRegistrar | null = null;
  let controller: ControllerCampaign | null = null;
  let replication: Replication | null = null;
  let topics: TopicService | null = null;
  let groups: RunningGroupCoordinator | null = null;
  let transactions: RunningTransactionCoordinator | null = null;
  let peers: PeerRequests | null = null;
  let listeners: BrokerListeners | null = null;
  let scram: ScramCredentials | null = null;
  let quotas: ClientQuotas | null = null;
  let dynamicConfigs: DynamicBrokerConfigs | null = null;
  let authorizer: AclAuthorizer | undefined;
  // Requests that arrive between the listener binding and the broker being ready wait for it.
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  /**
   * Stops what has been started, in an order where each step ends what could still write to the
   * logs closed after it. Also undoes a start that failed half way: no timer stays armed, no log open.
   */
  const shutdown = async () => {
    observation.state = BrokerState.SHUTTING_DOWN;
    markReady();
    // Followers stop copying first (fetches in flight end): a leader hearing one more fetch after
    // the controller took this broker out of its ISR would take it back in, and the ISR would name
    // a stopped broker until replica.lag.time.max.ms (seen in the rolling-restart test).
    await replication?.stop();
    // Leadership moves to other replicas before anything else stops (a lone broker has nowhere to move it).
    if (config.etcdEndpoints.length > 0) await controller?.controlledShutdown().catch((err: unknown) => log.warn({ err }, 'controlled shutdown failed'));
    // Stop accepting; requests in flight may finish (up to 5 s) while the rest shuts down.
    const closing = listeners?.close(5000);
    // Waiting long polls answer now.
    replicas?.wakeAll();
    // Topic mutations still running end (a large CreatePartitions stops early) before the groups
    // stop, since a deletion removes the topic's committed offsets, and before the logs close.
    await topics?.close();
    applier?.stop();
    await applier?.idle();
    // Transaction writes and marker rounds under way finish (markers to __consumer_offsets reach
    // the group coordinator, so this goes first); the next load completes what is left.
    await transactions?.stop();
    peers?.close();
    // Waiting joins and syncs answer NOT_COORDINATOR, group timers are cancelled, group writes finish.
    await groups?.stop();
    await closing;
    await controller?.close();
    await registrar?.close();
    await replication?.stop();
    await replicas?.close();
    await logs?.close();
    await view?.close();
    await scram?.close();
    await quotas?.close();
    await dynamicConfigs?.close();
    await authorizer?.close();
    await store.close();
    if (temporaryDir) await rm(temporaryDir, { recursive: true, force: true });
    await admin?.close();
  };

  try {
    view = await ClusterView.open(store, {
      connection: (state, cause) =>
        state === 'lost' ? log.warn({ err: cause }, 'lost the metadata store; serving what this broker leads, metadata changes wait') : log.info('the metadata store is back'),
      invalid: (key, err) => log.error({ err, key }, 'a metadata value could not be read; it is treated as absent'),
    });
    const clusterView = view;
    scram = await ScramCredentials.open(store, (key) => log.error({ key }, 'a SCRAM credential record could not be read; the user cannot authenticate with it'));
    const credentials = scram;
    quotas = await ClientQuotas.open(store, { windows: config.int('quota.window.num'), windowMs: config.int('quota.window.size.seconds') * 1000 }, (key) =>
      log.error({ key }, 'a client quota record could not be read; it is ignored'),
    );
    const clientQuotas = quotas;
    // Before the logs open: they open with the dynamic topic defaults (log.retention.ms …) already laid over the static ones.
    dynamicConfigs = await DynamicBrokerConfigs.open(store, config, log);
    const brokerConfigs = dynamicConfigs;
    observation.parts.view = view;
    authorizer = await openAuthorizer(config, store, log);
    logs = await openLogFactory(options.storage ?? 'disk', config, log, options.fileSystem);
    const connector = peerConnector(config, clusterView);
    replication = startReplication(config, store, clusterView, connector, log);
    replicas = new ReplicaManager(logs, replication.context);
    observation.parts.replicas = replicas;
    replicas.expireProducersEvery(config.int('producer.id.expiration.check.interval.ms'));
    applier = new MetadataApplier(config.nodeId, clusterView, replicas, {
      onError: (topic, err) => log.error({ err, topic }, 'applying a metadata change to the partition logs failed'),
    });
    await replicas.loadTopics(applier.held(), clusterView.topics());
    applier.start();
    const replicaManager = replicas;
    // A changed dynamic config reaches the logs of every topic (those with their own override keep
    // it: logConfigFor reads the override first) and the connection limits; produce reads its
    // limits per request.
    brokerConfigs.onChange(() => {
      for (const topic of clusterView.topics()) replicaManager.configsChanged(topic);
      listeners?.reconfigureConnectionLimits(listenerLimits(config));
    });
    const replicationWiring = replication;
    replication.startIsrChecks(() => replicaManager.all());
    topics = new TopicService(store, clusterView, config, applier, kafkaAssigner(clusterView));
    const topicService = topics;
    let groupCoordinator: RunningGroupCoordinator | null = null;
    let transactionCoordinator: RunningTransactionCoordinator | null = null;
    const peerRequests = new PeerRequests(connector, config.nodeId, config.int('request.timeout.ms'));
    peers = peerRequests;
    const localTransactions = (): TransactionCoordinator => {
      if (!transactionCoordinator) throw new Error('the transaction coordinator is not started yet');
      return transactionCoordinator.coordinator;
    };
    const services: BrokerServices = {
      config,
      nodeId: config.nodeId,
      clusterId: store.clusterId,
      endpoint: (listenerName) => listeners?.endpoint(listenerName) ?? null,
      cluster: clusterView,
      topics: topicService,
      replicas,
      get groups() {
        if (!groupCoordinator) throw new Error('the group coordinator is not started yet');
        return groupCoordinator.coordinator;
      },
      get transactions() {
        return localTransactions();
      },
      verifyTransaction: config.bool('transaction.partition.verification.enable') ? transactionVerifier(clusterView, config.nodeId, localTransactions, peerRequests) : undefined,
      coordinators: coordinatorLocator(config, clusterView, topicService, (listenerName) => listeners?.endpoint(listenerName) ?? null),
      controller: controllerRequests(() => controller),
      producerIds: ProducerIdManager.fromBlocks(() => store.allocateProducerIds(config.nodeId)),
      scramCredentials: credentials,
      clientQuotas,
      dynamicConfigs: brokerConfigs,
      fetchSessions: new FetchSessionCache({
        maxSessions: config.int('max.incremental.fetch.session.cache.slots'),
        evictionMs: config.int('min.incremental.fetch.session.eviction.ms'),
      }),
      replicaConnection: (replicaId, closed) => replicationWiring.peerEvents.inbound(replicaId, closed),
      authorizer,
      now: () => Date.now(),
    };
    const inner = options.wrapDispatcher ? options.wrapDispatcher(dispatch) : dispatch;
    // Each SASL listener (SASL_PLAINTEXT, SASL_SSL) with its mechanisms; TLS happens below it, in the listener.
    const sasl = new Map<string, SaslListenerSettings>();
    for (const { spec } of listenerPlan) {
      if (usesSasl(spec.securityProtocol)) sasl.set(spec.name, saslSettings(config, spec.name, (user, mechanism) => credentials.lookup(user, mechanism)));
    }
    const authenticated = saslGate(inner, {
      settingsFor: (name) => sasl.get(name) ?? null,
      now: () => (options.scheduler ?? systemScheduler).now(),
      delay: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    });
    // Broker-wide, as Kafka's unprefixed keys: every listener counts against the same limits.
    const limits = {
      ...listenerLimits(config),
      ipConnectionCreationRate: (ip: string) => clientQuotas.connectionCreationRate(ip),
      rateWindows: config.int('quota.window.num'),
      rateWindowMs: config.int('quota.window.size.seconds') * 1000,
    };
    const bound = new BrokerListeners(listenerPlan, config, services, limits, log, gatedUntil(ready, authenticated));
    Object.assign(observation.parts, { services, listenerLoads: () => bound.loads(), groups: () => groupCoordinator?.coordinator ?? null });
    await bound.listen();
    listeners = bound;
    registrar = await BrokerRegistrar.start(store, clusterView, config, () => bound.endpoints(), log);
    controller = new ControllerCampaign(registrar, store, config, log);
    // A lone broker is its own controller from the start (clients send admin requests to it).
    if (config.etcdEndpoints.length === 0) await clusterView.waitFor(() => clusterView.controller() !== null);
    const clustered = config.etcdEndpoints.length > 0;
    const replicaSide = replication;
    groups = await startGroupCoordinator(config, topicService, replicas, log, options.scheduler ?? systemScheduler, {
      clustered,
      purgatory: replicas.purgatory,
      onRoleChange: (listener) => replicaSide.onRoleChange(listener),
    });
    groupCoordinator = groups;
    transactions = startTransactionCoordinator(config, topicService, replicas, log, options.scheduler ?? systemScheduler, {
      onRoleChange: (listener) => replicaSide.onRoleChange(listener),
      markers: markerChannel(clusterView, config.nodeId, (work, topic, partition) => appendMarkerHere(services, work, topic, partition), peerRequests),
      producerIds: services.producerIds,
    });
    transactionCoordinator = transactions;
    markReady();
    observation.state = BrokerState.RUNNING;
  } catch (err) {
    await shutdown().catch((cleanupErr: unknown) => log.error({ err: cleanupErr }, 'cleaning up after a failed start failed'));
    throw err;
  }
  const first = (listeners as BrokerListeners).bound[0];
  const boundListeners = (listeners as BrokerListeners).bound;
  log.info(
    { listeners: boundListeners.map((l) => `${l.name}://${l.host}:${l.port}`), dataDir: config.dataDir, clusterId: store.clusterId, nodeId: config.nodeId },
    `Tributary broker ready on ${boundListeners.map((l) => `${l.name}://${l.host}:${l.port}`).join(', ')}`,
  );

  let stopping: Promise<void> | null = null;
  return {
    bootstrap: `${first.host}:${first.port}`,
    host: first.host,
    port: first.port,
    listeners: boundListeners,
    dataDir: config.dataDir,
    clusterId: store.clusterId,
    config,
    adminAddress: admin ? { host: admin.host, port: admin.port } : null,
    groupCoordinatorForTests: (groups as RunningGroupCoordinator).coordinator,
    transactionCoordinatorForTests: (transactions as RunningTransactionCoordinator).coordinator,
    partitionForTests: (topic, index) => (replicas as ReplicaManager).get(topic, index),
    serverLoad: () => (listeners as BrokerListeners).load(),
    waitingFetches: () => (replicas as ReplicaManager).waitingFetches,
    waitForBrokers(nodeIds, signal) {
      const seen = view as ClusterView;
      return seen.waitFor(() => seen.controller() !== null && nodeIds.every((id) => seen.isAlive(id)), signal);
    },
    stop() {
      stopping ??= shutdown().then(() => log.info('Tributary broker stopped'));
      return stopping;
    },
  };
}

/**
 * The first listener's name and security protocol (NAME://host:port; the name maps to a protocol
 * through listener.security.protocol.map, or is one).
 */
/** Starts the admin HTTP server when tributary.admin.listener is set; its code (and prom-client) loads only then. */
async function startAdmin(config: BrokerConfig, observation: BrokerObservation, security: AdminSecurity, log: Logger): Promise<RunningAdminServer | null> {
  const address = config.adminListener;
  if (!address) return null;
  const { startAdminServer } = await import('../http/admin-server.js');
  return startAdminServer(address.host, address.port, observation, log, security);
}

/** A dispatcher that holds each request until `ready` resolves, then hands it to `next`. */
function gatedUntil(ready: Promise<void>, next: Dispatcher): Dispatcher {
  let open = false;
  void ready.then(() => (open = true));
  return (frame, services, session, log, closed) => {
    if (open) return next(frame, services, session, log, closed);
    return { responseBytesEstimate: 0, answer: ready.then(() => next(frame, services, session, log, closed).answer) };
  };
}

function* baseConfigEntries(config: BrokerConfig): Generator<[string, string]> {
  yield* config.entries();
}
