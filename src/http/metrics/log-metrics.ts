/**
 * Kafka's Log gauges per partition (kafka.log:type=Log: Size, NumLogSegments, LogStartOffset,
 * LogEndOffset), read at scrape time, and LogFlushStats from the storage layer's flush channel:
 * one sample per group-commit round of a log (the fdatasyncs that acknowledge appends).
 */
import { sep } from 'node:path';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { HistogramCells } from './cells.js';
import { CollectedFamily, type Exposition } from './exposition.js';
import { FLUSH_CHANNEL_NAME, type FlushEvent } from '../../broker/observed.js';
import { guarded, type Scrape } from './scrape.js';

/** fdatasync takes tens of microseconds on tmpfs, about a millisecond on NVMe, tens on a busy disk. */
export const FLUSH_TIME_BUCKETS_MS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500];

type Snapshot = ReturnType<Scrape['partitions']>[number];

export function logMetrics(exposition: Exposition, scrape: Scrape, onError: (err: unknown) => void): () => void {
  const perPartition = (name: string, help: string, value: (p: Snapshot) => number) =>
    new CollectedFamily(exposition, `kafka_log_log_${name}`, help, 'gauge', (emit) => {
      const labels = scrape.partitionLabels();
      scrape.partitions().forEach((p, i) => emit(labels[i], value(p)));
    });
  perPartition('size', 'Bytes of the partition log on this broker (Size).', (p) => p.sizeBytes);
  perPartition('numlogsegments', 'Segments of the partition log (NumLogSegments).', (p) => p.segments);
  perPartition('logstartoffset', 'First offset of the partition log (LogStartOffset).', (p) => p.logStartOffset);
  perPartition('logendoffset', 'Offset the next record of the partition log gets (LogEndOffset).', (p) => p.logEndOffset);

  const flush = new HistogramCells(exposition, 'kafka_log_logflushstats_logflushrateandtimems', 'Milliseconds of one log flush: a group-commit round of fdatasyncs of a partition log (LogFlushRateAndTimeMs).', [], FLUSH_TIME_BUCKETS_MS).cell();
  const ownDir = scrape.broker.dataDir.endsWith(sep) ? scrape.broker.dataDir : scrape.broker.dataDir + sep;
  const onFlush = guarded<FlushEvent>(onError, (e) => {
    if (e.dir.startsWith(ownDir)) flush.observe(e.durationMs);
  });
  subscribe(FLUSH_CHANNEL_NAME, onFlush);
  return () => unsubscribe(FLUSH_CHANNEL_NAME, onFlush);
}
