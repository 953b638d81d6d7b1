/**
 * Opens the broker's metadata store from its configuration: etcd when
 * `tributary.metadata.etcd.endpoints` names a cluster's, else the single node's files in the data
 * directory. An unreachable etcd is reported once per attempt and tried again, with a growing
 * pause, until it answers or the start is abandoned: a broker never starts on its own when it was
 * told to join a cluster. The data directory must be this cluster's and this node's (see
 * metadata/data-dir-identity.ts).
 */
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-configs.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import { SingleNodeMetadataStore } from '../metadata/single-node-store.js';
import { MetadataUnavailableError } from '../metadata/metadata-errors.js';
import { checkSingleNodeDataDir, claimClusterDataDir } from '../metadata/data-dir-identity.js';
import { etcdTls } from './etcd-tls.js';

const FIRST_RETRY_MS = 250;
const LONGEST_RETRY_MS = 5000;

export async function openMetadataStore(config: BrokerConfig, log: Logger, abandoned?: AbortSignal): Promise<MetadataStore> {
  const endpoints = config.etcdEndpoints;
  if (endpoints.length === 0) {
    await checkSingleNodeDataDir(config.dataDir);
    return SingleNodeMetadataStore.open(config.dataDir, config.nodeId);
  }
  const tls = etcdTls(config);
  const options = {
    endpoints,
    ...(tls ? { tls } : {}),
    prefix: config.get('tributary.metadata.etcd.prefix') ?? undefined,
    sessionTimeoutMs: config.int('broker.session.timeout.ms'),
    heartbeatIntervalMs: config.int('broker.heartbeat.interval.ms'),
  };
  // Loaded only for a cluster: the etcd client and its gRPC stack take a good part of a second to load.
  const { EtcdMetadataStore } = await import('../metadata/etcd/etcd-store.js');
  let pauseMs = FIRST_RETRY_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      const store = await EtcdMetadataStore.open(options);
      try {
        await claimClusterDataDir(config.dataDir, store.clusterId, config.nodeId);
      } catch (err) {
        await store.close();
        throw err;
      }
      return store;
    } catch (err) {
      if (!(err instanceof MetadataUnavailableError)) throw err;
      if (abandoned?.aborted) throw err;
      log.warn({ endpoints, attempt, retryInMs: pauseMs }, `cannot reach etcd at ${endpoints.join(',')} (${err.message}); the broker waits for it and tries again`);
      await pause(pauseMs, abandoned);
      pauseMs = Math.min(pauseMs * 2, LONGEST_RETRY_MS);
    }
  }
}

function pause(ms: number, abandoned?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      abandoned?.removeEventListener('abort', done);
      resolve();
    }
    abandoned?.addEventListener('abort', done, { once: true });
  });
}
