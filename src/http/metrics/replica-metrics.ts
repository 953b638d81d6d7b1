/**
 * Kafka's ReplicaManager, Partition and KafkaController gauges, computed at scrape time from the
 * partitions this broker holds and the cluster view, and the ISR change counters from the broker's
 * channel. The controller's cluster-wide gauges are reported by the active controller alone (0
 * elsewhere), as in Kafka, so a sum over brokers counts each partition once.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { ISR_CHANGE_CHANNEL_NAME, type ClusterSnapshot, type IsrChangeEvent } from '../../broker/observed.js';
import { CounterCells } from './cells.js';
import { CollectedFamily, gauge, type Exposition } from './exposition.js';
import { guarded, type Scrape } from './scrape.js';

type Snapshot = ReturnType<Scrape['partitions']>[number];

export function replicaMetrics(exposition: Exposition, scrape: Scrape, onError: (err: unknown) => void): () => void {
  const count = (name: string, help: string, matches: (p: Snapshot) => boolean) =>
    gauge(exposition, `kafka_server_replicamanager_${name}`, help, () => {
      let n = 0;
      for (const p of scrape.partitions()) if (matches(p)) n++;
      return n;
    });
  const underReplicated = (p: Snapshot) => p.isLeader && p.inSyncReplicas < p.replicas;
  const underMinIsr = (p: Snapshot) => p.isLeader && p.inSyncReplicas < p.minInsyncReplicas;
  count('partitioncount', 'Partitions with a replica on this broker (PartitionCount).', () => true);
  count('leadercount', 'Partitions this broker leads (LeaderCount).', (p) => p.isLeader);
  count('underreplicatedpartitions', 'Partitions led here whose ISR is smaller than their replica set (UnderReplicatedPartitions).', underReplicated);
  count('underminisrpartitioncount', 'Partitions led here whose ISR is below min.insync.replicas: acks=all produce fails (UnderMinIsrPartitionCount).', underMinIsr);
  count('atminisrpartitioncount', 'Partitions led here whose ISR is exactly min.insync.replicas (AtMinIsrPartitionCount).', (p) => p.isLeader && p.inSyncReplicas === p.minInsyncReplicas);

  const perPartition = (name: string, help: string, value: (p: Snapshot) => number) =>
    new CollectedFamily(exposition, `kafka_cluster_partition_${name}`, help, 'gauge', (emit) => {
      const labels = scrape.partitionLabels();
      scrape.partitions().forEach((p, i) => {
        if (p.isLeader) emit(labels[i], value(p));
      });
    });
  perPartition('underreplicated', '1 when this leader\'s partition is under-replicated (Partition UnderReplicated).', (p) => (underReplicated(p) ? 1 : 0));
  perPartition('underminisr', '1 when this leader\'s partition has fewer in-sync replicas than min.insync.replicas (Partition UnderMinIsr).', (p) => (underMinIsr(p) ? 1 : 0));
  perPartition('insyncreplicascount', 'In-sync replicas of a partition led here (Partition InSyncReplicasCount).', (p) => p.inSyncReplicas);
  perPartition('replicascount', 'Replicas of a partition led here (Partition ReplicasCount).', (p) => p.replicas);

  const shrinks = new CounterCells(exposition, 'kafka_server_replicamanager_isrshrinks_total', 'ISR shrinks this broker made as leader (IsrShrinksPerSec).', []).cell();
  const expands = new CounterCells(exposition, 'kafka_server_replicamanager_isrexpands_total', 'ISR expansions this broker made as leader (IsrExpandsPerSec).', []).cell();
  const onIsrChange = guarded<IsrChangeEvent>(onError, (e) => {
    if (e.nodeId !== scrape.broker.nodeId) return;
    (e.kind === 'shrink' ? shrinks : expands).value++;
  });
  subscribe(ISR_CHANGE_CHANNEL_NAME, onIsrChange);

  const controller = (name: string, help: string, value: (c: ClusterSnapshot) => number) =>
    gauge(exposition, `kafka_controller_kafkacontroller_${name}`, help, () => {
      const c = scrape.cluster();
      return c?.activeController ? value(c) : 0;
    });
  controller('activecontrollercount', '1 on the broker that is the active controller, 0 elsewhere (ActiveControllerCount).', () => 1);
  controller('offlinepartitionscount', 'Partitions without a live leader (OfflinePartitionsCount).', (c) => c.offlinePartitions);
  controller('globalpartitioncount', 'Partitions in the cluster (GlobalPartitionCount).', (c) => c.partitions);
  controller('globaltopiccount', 'Topics in the cluster (GlobalTopicCount).', (c) => c.topics);
  controller('preferredreplicaimbalancecount', 'Partitions not led by their preferred replica (PreferredReplicaImbalanceCount).', (c) => c.preferredReplicaImbalance);
  controller('activebrokercount', 'Live brokers (ActiveBrokerCount).', (c) => c.liveBrokers);

  return () => unsubscribe(ISR_CHANGE_CHANNEL_NAME, onIsrChange);
}
