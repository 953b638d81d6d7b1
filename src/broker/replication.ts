/**
 * Wires replication into a broker: the partitions' hooks (ISR changes written to the metadata
 * store by compare-and-set, role changes moving partitions between replica fetchers), the replica fetchers with their links to leaders, and the
 * leader's periodic ISR check (every half replica.lag.time.max.ms, as Kafka's isr-expiration task).
 */
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-configs.js';
import type { ClusterView } from '../metadata/cluster-view.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { Partition, PartitionContext } from '../partition/partition.js';
import { ReplicaFetchers } from '../partition/replica-fetchers.js';
import { leaderLinkFactory } from './replica-link.js';
import type { PeerConnector } from './peer-connector.js';
import { NO_PEER_EVENTS, PeerCrashDetector, type PeerLinkEvents } from './peer-crash-detector.js';
import { channel } from 'node:diagnostics_channel';
import { ISR_CHANGE_CHANNEL_NAME, type IsrChangeEvent } from './observed.js';

const isrChanges = channel(ISR_CHANGE_CHANNEL_NAME);

export interface Replication {
  readonly context: PartitionContext;
  readonly fetchers: ReplicaFetchers;
  /** Crash detection's ears on peer links, inbound ones included (the Fetch handler reports those). */
  readonly peerEvents: PeerLinkEvents;
  /** Hears every partition role change after the fetchers have acted on it. */
  onRoleChange(listener: (partition: Partition) => void): void;
  /** Starts the ISR check over `partitions()` (the ones open now, each time). */
  startIsrChecks(partitions: () => Iterable<Partition>): void;
  stop(): Promise<void>;
}

/**
 * A leader keeps leading while its metadata session is lost (etcd down or out of reach), as
 * Kafka's did with ZooKeeper, so that an etcd outage does not stop the partitions. That cannot
 * acknowledge a write another leader does not have: an acks=all write needs the high watermark,
 * the smallest log end of the ISR, and the ISR can only change through the store. A controller
 * that elected a new leader took it from that ISR, and from then on the new leader no longer
 * fetches from the old one, so the old one's high watermark cannot pass what the new one holds.
 */
export function startReplication(config: BrokerConfig, store: MetadataStore, view: ClusterView, peers: PeerConnector, log: Logger): Replication {
  const nodeId = config.nodeId;
  const peerEvents = config.bool('tributary.broker.crash.detection.enable') ? new PeerCrashDetector(view, store, log, (id) => peers.endpoint(id)) : NO_PEER_EVENTS;
  const fetchers = new ReplicaFetchers(leaderLinkFactory(view, peers, nodeId, config.int('replica.socket.timeout.ms'), peerEvents), {
    nodeId,
    maxWaitMs: config.int('replica.fetch.wait.max.ms'),
    minBytes: config.int('replica.fetch.min.bytes'),
    maxBytes: config.int('replica.fetch.response.max.bytes'),
    partitionMaxBytes: config.int('replica.fetch.max.bytes'),
    backoffMs: config.int('replica.fetch.backoff.ms'),
    onError: (what, err) => log.warn({ err }, `replication: ${what} failed`),
  });
  const roleListeners: ((partition: Partition) => void)[] = [];
  const context: PartitionContext = {
    now: () => Date.now(),
    producerIdExpirationMs: () => config.int('producer.id.expiration.ms'),
    onBackgroundError: (what, err) => log.error({ err }, `${what} failed`),
    roleChanged: (partition) => {
      fetchers.update(partition);
      for (const l of roleListeners) l(partition);
    },
    proposeState: async (partition, expectedVersion, next) => {
      const topicId = view.topic(partition.topic)?.topicId;
      if (!topicId) return { ok: false };
      const result = await store.updatePartitionState(topicId, partition.index, expectedVersion, next);
      if (result.ok) log.info({ topic: partition.topic, partition: partition.index, isr: next.isr, partitionEpoch: next.partitionEpoch }, 'changed the ISR');
      // Kafka's IsrShrinksPerSec / IsrExpandsPerSec count the leader's committed ISR changes.
      if (result.ok && isrChanges.hasSubscribers && next.isr.length !== partition.inSyncReplicas.length) {
        const event: IsrChangeEvent = { nodeId, topic: partition.topic, partition: partition.index, kind: next.isr.length < partition.inSyncReplicas.length ? 'shrink' : 'expand' };
        isrChanges.publish(event);
      }
      return result.ok ? { ok: true, version: result.version } : { ok: false };
    },
  };
  let timer: NodeJS.Timeout | null = null;
  return {
    context,
    fetchers,
    peerEvents,
    onRoleChange: (listener) => void roleListeners.push(listener),
    startIsrChecks(partitions) {
      const lagMaxMs = config.int('replica.lag.time.max.ms');
      timer = setInterval(() => {
        for (const p of partitions()) p.shrinkIsrIfLagging(lagMaxMs);
      }, Math.max(1, Math.floor(lagMaxMs / 2)));
      timer.unref();
    },
    async stop() {
      peerEvents.close();
      if (timer) clearInterval(timer);
      await fetchers.stop();
    },
  };
}
