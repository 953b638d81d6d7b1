/**
 * Consumer groups as the broker's group coordinator knows them: Kafka's GroupMetadataManager
 * gauges (groups by state, offsets), and what users otherwise run kafka_exporter or Burrow for,
 * under kafka_exporter's names: each group's committed offset and lag per partition. A group is
 * reported by its coordinator (the broker leading its __consumer_offsets partition); lag is the
 * partition's high watermark minus the committed offset, for partitions this broker holds (a
 * partition of another broker is left out rather than guessed). The lag is worked out once per
 * scrape (scrape.ts), for both families that show it.
 */
import { CollectedFamily, escapeLabelValue, gauge, type Exposition } from './exposition.js';
import { type Scrape } from './scrape.js';

const STATES = ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'] as const;

export function groupMetrics(exposition: Exposition, scrape: Scrape): void {
  const prefix = 'kafka_coordinator_group_groupmetadatamanager_';
  gauge(exposition, `${prefix}numgroups`, 'Consumer groups this broker coordinates (NumGroups).', () => scrape.groups().length);
  for (const state of STATES) {
    gauge(exposition, `${prefix}numgroups${state.toLowerCase()}`, `Groups coordinated here in state ${state} (NumGroups${state}).`, () => {
      let n = 0;
      for (const g of scrape.groups()) if (g.state === state) n++;
      return n;
    });
  }
  gauge(exposition, `${prefix}numoffsets`, 'Committed offsets this broker holds as coordinator (NumOffsets).', () => scrape.committedOffsets().length);
  new CollectedFamily(exposition, 'kafka_consumergroup_members', 'Members of a consumer group (kafka_exporter).', 'gauge', (emit) => {
    for (const g of scrape.groups()) emit(`consumergroup="${escapeLabelValue(g.groupId)}"`, g.members);
  });

  new CollectedFamily(exposition, 'kafka_consumergroup_current_offset', 'Offset a consumer group committed for a partition (kafka_exporter).', 'gauge', (emit) => {
    const labels = scrape.offsetLabels();
    scrape.committedOffsets().forEach((o, i) => emit(labels[i], o.offset));
  });
  new CollectedFamily(exposition, 'kafka_consumergroup_lag', 'Records of a partition past the offset its consumer group committed: high watermark minus committed offset (kafka_exporter).', 'gauge', (emit) => {
    for (const o of scrape.lagged()) emit(o.labels, o.lag);
  });
  new CollectedFamily(exposition, 'kafka_consumergroup_lag_sum', 'A consumer group\'s lag summed over the partitions of a topic (kafka_exporter).', 'gauge', (emit) => {
    const sums = new Map<string, Map<string, number>>();
    for (const o of scrape.lagged()) {
      let byTopic = sums.get(o.groupId);
      if (!byTopic) sums.set(o.groupId, (byTopic = new Map()));
      byTopic.set(o.topic, (byTopic.get(o.topic) ?? 0) + o.lag);
    }
    for (const [group, byTopic] of sums) {
      const g = escapeLabelValue(group);
      for (const [topic, lag] of byTopic) emit(`consumergroup="${g}",topic="${escapeLabelValue(topic)}"`, lag);
    }
  });
  const topicOffset = (name: string, help: string, value: (p: ReturnType<Scrape['partitions']>[number]) => number) =>
    new CollectedFamily(exposition, `kafka_topic_partition_${name}`, help, 'gauge', (emit) => {
      const labels = scrape.partitionLabels();
      scrape.partitions().forEach((p, i) => {
        if (p.isLeader) emit(labels[i], value(p));
      });
    });
  topicOffset('current_offset', 'High watermark of a partition led here: the offset consumers read up to (kafka_exporter).', (p) => p.highWatermark);
  topicOffset('oldest_offset', 'Log start offset of a partition led here (kafka_exporter).', (p) => p.logStartOffset);
}
