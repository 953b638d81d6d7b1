/**
 * Consumer groups as the broker's group coordinator knows them: Kafka's GroupMetadataManager
 * gauges (groups by state, offsets), and what users otherwise run kafka_exporter or Burrow for,
 * under kafka_exporter's names: each group's committed offset and lag per partition. A group is
 * reported by its coordinator (the broker leading its __consumer_offsets partition); lag is the
 * partition's high watermark minus the committed offset, for partitions this broker holds (a
 * partition of another broker is left out rather than guessed).
 */
import { Gauge, type Registry } from 'prom-client';
import { type Scrape } from './scrape.js';

const STATES = ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'] as const;

export function groupMetrics(registry: Registry, scrape: Scrape): void {
  const prefix = 'kafka_coordinator_group_groupmetadatamanager_';
  new Gauge({
    name: `${prefix}numgroups`,
    help: 'Consumer groups this broker coordinates (NumGroups).',
    registers: [registry],
    collect() {
      this.set(scrape.groups().length);
    },
  });
  for (const state of STATES) {
    new Gauge({
      name: `${prefix}numgroups${state.toLowerCase()}`,
      help: `Groups coordinated here in state ${state} (NumGroups${state}).`,
      registers: [registry],
      collect() {
        this.set(scrape.groups().filter((g) => g.state === state).length);
      },
    });
  }
  new Gauge({
    name: `${prefix}numoffsets`,
    help: 'Committed offsets this broker holds as coordinator (NumOffsets).',
    registers: [registry],
    collect() {
      this.set(scrape.committedOffsets().length);
    },
  });
  new Gauge({
    name: 'kafka_consumergroup_members',
    help: 'Members of a consumer group (kafka_exporter).',
    labelNames: ['consumergroup'],
    registers: [registry],
    collect() {
      this.reset();
      for (const g of scrape.groups()) this.set({ consumergroup: g.groupId }, g.members);
    },
  });

  const lagged = () => {
    const hw = new Map<string, number>();
    for (const p of scrape.partitions()) hw.set(`${p.topic}\u0000${p.partition}`, p.highWatermark);
    return scrape.committedOffsets().flatMap((o) => {
      const highWatermark = hw.get(`${o.topic}\u0000${o.partition}`);
      // An offset of -1 (committed as "none") says nothing about progress: no lag is made up for it.
      return highWatermark === undefined || o.offset < 0 ? [] : [{ ...o, lag: Math.max(0, highWatermark - o.offset) }];
    });
  };
  const labels = (o: { groupId: string; topic: string; partition: number }) => ({ consumergroup: o.groupId, topic: o.topic, partition: String(o.partition) });
  new Gauge({
    name: 'kafka_consumergroup_current_offset',
    help: 'Offset a consumer group committed for a partition (kafka_exporter).',
    labelNames: ['consumergroup', 'topic', 'partition'],
    registers: [registry],
    collect() {
      this.reset();
      for (const o of scrape.committedOffsets()) this.set(labels(o), o.offset);
    },
  });
  new Gauge({
    name: 'kafka_consumergroup_lag',
    help: 'Records of a partition past the offset its consumer group committed: high watermark minus committed offset (kafka_exporter).',
    labelNames: ['consumergroup', 'topic', 'partition'],
    registers: [registry],
    collect() {
      this.reset();
      for (const o of lagged()) this.set(labels(o), o.lag);
    },
  });
  new Gauge({
    name: 'kafka_consumergroup_lag_sum',
    help: 'A consumer group\'s lag summed over the partitions of a topic (kafka_exporter).',
    labelNames: ['consumergroup', 'topic'],
    registers: [registry],
    collect() {
      this.reset();
      const sums = new Map<string, { consumergroup: string; topic: string; lag: number }>();
      for (const o of lagged()) {
        const key = `${o.groupId}\u0000${o.topic}`;
        const s = sums.get(key) ?? { consumergroup: o.groupId, topic: o.topic, lag: 0 };
        s.lag += o.lag;
        sums.set(key, s);
      }
      for (const s of sums.values()) this.set({ consumergroup: s.consumergroup, topic: s.topic }, s.lag);
    },
  });
  const topicOffset = (name: string, help: string, value: (p: ReturnType<Scrape['partitions']>[number]) => number) =>
    new Gauge({
      name: `kafka_topic_partition_${name}`,
      help,
      labelNames: ['topic', 'partition'],
      registers: [registry],
      collect() {
        this.reset();
        for (const p of scrape.partitions()) if (p.isLeader) this.set({ topic: p.topic, partition: String(p.partition) }, value(p));
      },
    });
  topicOffset('current_offset', 'High watermark of a partition led here: the offset consumers read up to (kafka_exporter).', (p) => p.highWatermark);
  topicOffset('oldest_offset', 'Log start offset of a partition led here (kafka_exporter).', (p) => p.logStartOffset);
}
