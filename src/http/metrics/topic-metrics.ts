/**
 * Kafka's BrokerTopicMetrics (kafka.server:type=BrokerTopicMetrics) from the Produce and Fetch
 * handlers' channels. As in Kafka each counter has a series per topic (label `topic`) and one
 * without the label for all topics together: sum one or the other, never both.
 * Messages and bytes in count client produce (not replication, not the coordinators' own writes);
 * bytes out count consumer fetches, ReplicationBytesOut the fetches of follower brokers.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Counter, type Registry } from 'prom-client';
import { FETCHED_CHANNEL_NAME, PRODUCED_CHANNEL_NAME, type FetchedEvent, type ObservedBroker, type ProducedEvent } from '../../broker/observed.js';
import { guarded } from './scrape.js';

/** A counter with a child per topic and the all-topics series, children kept per topic name. */
class TopicCounter {
  private readonly counter: Counter<'topic'>;
  private readonly children = new Map<string, Counter.Internal>();
  private readonly all: Counter.Internal;

  constructor(registry: Registry, name: string, help: string, exists: (topic: string) => boolean) {
    const children = this.children;
    this.counter = new Counter({
      name,
      help,
      labelNames: ['topic'],
      registers: [registry],
      collect() {
        for (const topic of children.keys()) {
          if (exists(topic)) continue;
          this.remove(topic);
          children.delete(topic);
        }
      },
    });
    this.all = this.counter.labels({});
  }

  inc(topic: string, n: number): void {
    let child = this.children.get(topic);
    if (!child) this.children.set(topic, (child = this.counter.labels(topic)));
    child.inc(n);
    this.all.inc(n);
  }
}

export function topicMetrics(registry: Registry, broker: ObservedBroker, onError: (err: unknown) => void): () => void {
  const exists = (topic: string) => broker.topicExists(topic);
  const c = (name: string, help: string) => new TopicCounter(registry, `kafka_server_brokertopicmetrics_${name}_total`, help, exists);
  const messagesIn = c('messagesin', 'Records appended by client produce requests (MessagesInPerSec).');
  const bytesIn = c('bytesin', 'Record bytes of client produce requests appended (BytesInPerSec).');
  const bytesOut = c('bytesout', 'Record bytes sent to consumers in Fetch answers (BytesOutPerSec).');
  const totalProduce = c('totalproducerequests', 'Partitions of produce requests, appended or not (TotalProduceRequestsPerSec).');
  const failedProduce = c('failedproducerequests', 'Partitions of produce requests refused with an error (FailedProduceRequestsPerSec).');
  const totalFetch = c('totalfetchrequests', 'Partitions of Fetch answers, consumers and followers (TotalFetchRequestsPerSec).');
  const failedFetch = c('failedfetchrequests', 'Partitions of Fetch answers with an error (FailedFetchRequestsPerSec).');
  const replicationOut = new Counter({ name: 'kafka_server_brokertopicmetrics_replicationbytesout_total', help: 'Record bytes sent to follower brokers (ReplicationBytesOutPerSec).', registers: [registry] });

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
    if (e.follower) replicationOut.inc(e.bytes);
    else bytesOut.inc(e.topic, e.bytes);
  });
  subscribe(PRODUCED_CHANNEL_NAME, onProduced);
  subscribe(FETCHED_CHANNEL_NAME, onFetched);
  return () => {
    unsubscribe(PRODUCED_CHANNEL_NAME, onProduced);
    unsubscribe(FETCHED_CHANNEL_NAME, onFetched);
  };
}
