/**
 * Kafka's BrokerTopicMetrics (kafka.server:type=BrokerTopicMetrics) from the Produce and Fetch
 * handlers' channels. As in Kafka each counter has a series per topic (label `topic`) and one
 * without the label for all topics together: sum one or the other, never both. A deleted topic's
 * series are dropped, as Kafka drops its metrics.
 * Messages and bytes in count client produce (not replication, not the coordinators' own writes);
 * bytes out count consumer fetches, ReplicationBytesOut the fetches of follower brokers.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Exposition } from './exposition.js';
import { FETCHED_CHANNEL_NAME, PRODUCED_CHANNEL_NAME, REPLICATED_CHANNEL_NAME, type FetchedEvent, type ObservedBroker, type ProducedEvent, type ReplicatedEvent } from '../../broker/observed.js';
import { CounterCells, type CounterCell } from './cells.js';
import { guarded } from './scrape.js';

/** A counter with a series per topic and the all-topics series. */
class TopicCounter {
  private readonly cells: CounterCells;
  private readonly byTopic = new Map<string, CounterCell>();
  private readonly all: CounterCell;

  constructor(exposition: Exposition, name: string, help: string, exists: (topic: string) => boolean) {
    this.cells = new CounterCells(exposition, name, help, ['topic']);
    this.all = this.cells.cell();
    this.cells.onRender = () => {
      for (const topic of this.byTopic.keys()) if (!exists(topic)) this.byTopic.delete(topic);
      this.cells.removeWhere(exists);
    };
  }

  inc(topic: string, n: number): void {
    let cell = this.byTopic.get(topic);
    if (!cell) this.byTopic.set(topic, (cell = this.cells.cell(topic)));
    cell.value += n;
    this.all.value += n;
  }
}

export function topicMetrics(exposition: Exposition, broker: ObservedBroker, onError: (err: unknown) => void): () => void {
  const exists = (topic: string) => broker.topicExists(topic);
  const c = (name: string, help: string) => new TopicCounter(exposition, `kafka_server_brokertopicmetrics_${name}_total`, help, exists);
  const messagesIn = c('messagesin', 'Records appended by client produce requests (MessagesInPerSec).');
  const bytesIn = c('bytesin', 'Record bytes of client produce requests appended (BytesInPerSec).');
  const bytesOut = c('bytesout', 'Record bytes sent to consumers in Fetch answers (BytesOutPerSec).');
  const totalProduce = c('totalproducerequests', 'Partitions of produce requests, appended or not (TotalProduceRequestsPerSec).');
  const failedProduce = c('failedproducerequests', 'Partitions of produce requests refused with an error (FailedProduceRequestsPerSec).');
  const totalFetch = c('totalfetchrequests', 'Partitions of Fetch answers, consumers and followers (TotalFetchRequestsPerSec).');
  const failedFetch = c('failedfetchrequests', 'Partitions of Fetch answers with an error (FailedFetchRequestsPerSec).');
  const replicationIn = new CounterCells(exposition, 'kafka_server_brokertopicmetrics_replicationbytesin_total', 'Record bytes this broker copied from leaders as a follower (ReplicationBytesInPerSec).', []).cell();
  const replicationOut = new CounterCells(exposition, 'kafka_server_brokertopicmetrics_replicationbytesout_total', 'Record bytes sent to follower brokers (ReplicationBytesOutPerSec).', []).cell();

  const onProduced = guarded<ProducedEvent>(onError, (e) => {
    if (e.broker !== broker.services) return;
    totalProduce.inc(e.topic, 1);
    if (e.errorCode !== 0) {
      failedProduce.inc(e.topic, 1);
      return;
    }
    messagesIn.inc(e.topic, e.messages);
    bytesIn.inc(e.topic, e.bytes);
  });
  const onFetched = guarded<FetchedEvent>(onError, (e) => {
    if (e.broker !== broker.services) return;
    totalFetch.inc(e.topic, 1);
    if (e.errorCode !== 0) failedFetch.inc(e.topic, 1);
    if (e.bytes === 0) return;
    if (e.follower) replicationOut.value += e.bytes;
    else bytesOut.inc(e.topic, e.bytes);
  });
  const onReplicated = guarded<ReplicatedEvent>(onError, (e) => {
    if (e.nodeId === broker.nodeId) replicationIn.value += e.bytes;
  });
  subscribe(PRODUCED_CHANNEL_NAME, onProduced);
  subscribe(FETCHED_CHANNEL_NAME, onFetched);
  subscribe(REPLICATED_CHANNEL_NAME, onReplicated);
  return () => {
    unsubscribe(PRODUCED_CHANNEL_NAME, onProduced);
    unsubscribe(FETCHED_CHANNEL_NAME, onFetched);
    unsubscribe(REPLICATED_CHANNEL_NAME, onReplicated);
  };
}
