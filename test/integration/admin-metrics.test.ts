// The admin server's /metrics after real traffic: a kafkajs producer and consumer group against an
// in-process broker, the exposition scraped over HTTP and parsed with an independent Prometheus
// text-format parser; counts must match what was produced and consumed, and the lag what the
// group committed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { httpGet, scrape, scrapeUntil, type Metrics } from '../helpers/prometheus.js';

const { Kafka, logLevel } = kafkajs;

const TOPIC = 'metrics-orders';
const PARTITIONS = 3;
const PER_PARTITION = 10;
const N = PARTITIONS * PER_PARTITION;
const GROUP = 'metrics-group';
const COMMITTED_AT = 4;

let broker: RunningBroker;
let admin: { host: string; port: number };
let kafka: InstanceType<typeof Kafka>;
let payloadBytes = 0;

before(async () => {
  broker = await startBroker({ port: 0, config: { 'tributary.admin.listener': '127.0.0.1:0', 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '3' } });
  assert.ok(broker.adminAddress, 'the admin server is on');
  admin = broker.adminAddress;
  kafka = new Kafka({ clientId: 'metrics-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const a = kafka.admin();
  await a.connect();
  await a.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
  await a.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const messages = Array.from({ length: N }, (_, i) => ({ key: `k${i}`, value: `order-${i}-${'x'.repeat(i)}`, partition: i % PARTITIONS }));
  payloadBytes = messages.reduce((n, m) => n + Buffer.byteLength(m.key) + Buffer.byteLength(m.value), 0);
  await producer.send({ topic: TOPIC, messages, acks: -1 });
  await producer.disconnect();
});
after(async () => {
  await broker.stop();
});

test('messages and bytes in for the topic match what was produced, per topic and for all topics', async () => {
  const m = await scrape(admin);
  assert.equal(m.type('kafka_server_brokertopicmetrics_messagesin_total'), 'counter');
  assert.equal(m.value('kafka_server_brokertopicmetrics_messagesin_total', { topic: TOPIC }), N);
  const bytesIn = m.value('kafka_server_brokertopicmetrics_bytesin_total', { topic: TOPIC }) ?? 0;
  assert.ok(bytesIn >= payloadBytes, `bytes in ${bytesIn} cover the ${payloadBytes} payload bytes`);
  // The series without a topic label is the broker's total, as in Kafka (only this topic was produced to).
  assert.equal(m.value('kafka_server_brokertopicmetrics_messagesin_total'), N);
  assert.equal(m.value('kafka_server_brokertopicmetrics_failedproducerequests_total', { topic: TOPIC }), undefined);
  assert.equal(m.value('kafka_log_log_logendoffset', { topic: TOPIC, partition: '1' }), PER_PARTITION);
  for (let p = 0; p < PARTITIONS; p++) assert.ok((m.value('kafka_log_log_size', { topic: TOPIC, partition: String(p) }) ?? 0) > 0);
  assert.equal(m.value('kafka_log_log_numlogsegments', { topic: TOPIC, partition: '0' }), 1);
  const flush = m.histogram('kafka_log_logflushstats_logflushrateandtimems');
  assert.ok(flush && flush.count >= 1, 'the appends were fsynced, and each round measured');
});

test('request counts per API and version, error codes per API, and latency histograms per API', async () => {
  const m = await scrapeUntil(admin, (x) => (x.histogram('kafka_network_requestmetrics_totaltimems', { request: 'Produce' })?.count ?? 0) >= 1, 'the Produce request');
  const produce = m.samples('kafka_network_requestmetrics_requests_total').filter((s) => s.labels.request === 'Produce');
  assert.ok(produce.length >= 1);
  for (const s of produce) {
    assert.deepEqual(Object.keys(s.labels).sort(), ['request', 'version']);
    assert.match(s.labels.version, /^\d+$/);
  }
  assert.ok(produce.reduce((n, s) => n + s.value, 0) >= 1);
  // acks=all to 3 partitions in one request: one NONE per partition.
  assert.ok((m.value('kafka_network_requestmetrics_errors_total', { request: 'Produce', error: 'NONE' }) ?? 0) >= PARTITIONS);
  const total = m.histogram('kafka_network_requestmetrics_totaltimems', { request: 'Produce' });
  assert.ok(total && total.count >= 1 && total.sum > 0);
  assert.equal(total.buckets['+Inf'], total.count);
  assert.ok(m.histogram('kafka_network_requestmetrics_localtimems', { request: 'Produce' }));
  assert.ok(m.histogram('kafka_network_requestmetrics_remotetimems', { request: 'Produce' }));
  assert.ok(m.histogram('kafka_network_requestmetrics_responsequeuetimems', { request: 'Metadata' }));
  assert.ok(m.histogram('kafka_network_requestmetrics_responsesendtimems', { request: 'ApiVersions' }));
  assert.equal(m.type('kafka_network_requestmetrics_totaltimems'), 'histogram');
});

test('a consumer group reads everything; bytes out and Fetch counts follow; lag is what the committed offsets leave', async () => {
  const consumer = kafka.consumer({ groupId: GROUP, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  let seen = 0;
  let consumedBytes = 0;
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ message }) => {
          seen++;
          consumedBytes += (message.key?.length ?? 0) + (message.value?.length ?? 0);
          if (seen === N) resolve();
        },
      })
      .catch(reject);
  });
  // Caught up, its next fetch waits in the purgatory for data (a long poll) before the consumer leaves.
  await scrapeUntil(admin, (x) => (x.histogram('kafka_network_requestmetrics_remotetimems', { request: 'FetchConsumer' })?.sum ?? 0) >= 50, 'a long poll of the caught-up consumer');
  await consumer.disconnect();
  assert.equal(seen, N);

  const groupAdmin = kafka.admin();
  await groupAdmin.connect();
  await groupAdmin.setOffsets({ groupId: GROUP, topic: TOPIC, partitions: Array.from({ length: PARTITIONS }, (_, p) => ({ partition: p, offset: String(COMMITTED_AT) })) });
  await groupAdmin.disconnect();

  const m = await scrapeUntil(admin, (x) => x.value('kafka_consumergroup_lag', { consumergroup: GROUP, topic: TOPIC, partition: '0' }) === PER_PARTITION - COMMITTED_AT, 'the lag of the reset group');
  for (let p = 0; p < PARTITIONS; p++) {
    const labels = { consumergroup: GROUP, topic: TOPIC, partition: String(p) };
    assert.equal(m.value('kafka_consumergroup_lag', labels), PER_PARTITION - COMMITTED_AT, `lag of partition ${p}`);
    assert.equal(m.value('kafka_consumergroup_current_offset', labels), COMMITTED_AT);
  }
  assert.equal(m.value('kafka_consumergroup_lag_sum', { consumergroup: GROUP, topic: TOPIC }), N - PARTITIONS * COMMITTED_AT);
  assert.equal(m.value('kafka_topic_partition_current_offset', { topic: TOPIC, partition: '2' }), PER_PARTITION);
  const bytesOut = m.value('kafka_server_brokertopicmetrics_bytesout_total', { topic: TOPIC }) ?? 0;
  assert.ok(bytesOut >= consumedBytes, `bytes out ${bytesOut} cover the ${consumedBytes} bytes consumed`);
  const fetches = (name: string) => m.samples('kafka_network_requestmetrics_requests_total').filter((s) => s.labels.request === name).reduce((n, s) => n + s.value, 0);
  assert.ok(fetches('Fetch') > 0);
  assert.equal(fetches('FetchConsumer'), fetches('Fetch'), 'every Fetch came from a consumer');
  assert.equal(fetches('FetchFollower'), 0);
  // Caught up, the consumer's fetches wait (maxWaitTimeInMs 100) in the purgatory: remote time, not local.
  const remote = m.histogram('kafka_network_requestmetrics_remotetimems', { request: 'FetchConsumer' });
  const local = m.histogram('kafka_network_requestmetrics_localtimems', { request: 'FetchConsumer' });
  assert.ok(remote && local && remote.sum >= 50, `long polls waited ${remote?.sum} ms in all`);
  assert.ok(local.sum < remote.sum, `local ${local.sum} ms, remote ${remote.sum} ms`);
  assert.ok((m.value('kafka_coordinator_group_groupmetadatamanager_numgroupsempty') ?? 0) >= 1, 'the group is Empty once its consumer left');
  assert.ok((m.value('kafka_coordinator_group_groupmetadatamanager_numoffsets') ?? 0) >= PARTITIONS);
});

test('broker-wide gauges: partitions, leadership, controller, connections, state', async () => {
  const m: Metrics = await scrape(admin);
  // The topic's partitions plus __consumer_offsets' 3, all led by this lone broker.
  assert.equal(m.value('kafka_server_replicamanager_partitioncount'), PARTITIONS + 3);
  assert.equal(m.value('kafka_server_replicamanager_leadercount'), PARTITIONS + 3);
  assert.equal(m.value('kafka_server_replicamanager_underreplicatedpartitions'), 0);
  assert.equal(m.value('kafka_server_replicamanager_underminisrpartitioncount'), 0);
  assert.equal(m.value('kafka_controller_kafkacontroller_activecontrollercount'), 1);
  assert.equal(m.value('kafka_controller_kafkacontroller_offlinepartitionscount'), 0);
  assert.equal(m.value('kafka_controller_kafkacontroller_globalpartitioncount'), PARTITIONS + 3);
  assert.equal(m.value('kafka_server_kafkaserver_brokerstate'), 3);
  assert.equal(m.value('kafka_cluster_partition_insyncreplicascount', { topic: TOPIC, partition: '0' }), 1);
  const idle = m.value('kafka_network_socketserver_networkprocessoravgidle_percent') ?? -1;
  assert.ok(idle >= 0 && idle <= 1, `idle share ${idle}`);
  assert.ok(m.samples('nodejs_eventloop_lag_p99_seconds').length === 1, 'the raw event-loop delay is there');
  const conn = kafka.admin();
  await conn.connect();
  try {
    const during = await scrape(admin);
    const connections = during.value('kafka_server_socket_server_metrics_connection_count', { listener: 'PLAINTEXT', networkProcessor: '0' }) ?? 0;
    assert.ok(connections >= 1, `${connections} connections while an admin client is connected`);
  } finally {
    await conn.disconnect();
  }
});

test('/health, /ready, unknown paths, methods other than GET and HEAD', async () => {
  const health = await httpGet(admin, '/health');
  assert.equal(health.status, 200);
  assert.deepEqual(JSON.parse(health.body), { status: 'ok' });
  const ready = await httpGet(admin, '/ready');
  assert.equal(ready.status, 200);
  assert.deepEqual(JSON.parse(ready.body), { ready: true });
  assert.equal((await httpGet(admin, '/nope')).status, 404);
  assert.equal((await httpGet(admin, '/metrics/../health')).status, 404);
  const post = await httpGet(admin, '/metrics', 'POST');
  assert.equal(post.status, 405);
  assert.equal(post.headers.allow, 'GET, HEAD');
  assert.equal((await httpGet(admin, '/metrics', 'DELETE')).status, 405);
  const head = await httpGet(admin, '/metrics', 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
  assert.match(String(head.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  assert.equal((await httpGet(admin, '/metrics?name=x')).status, 200);
});

test('every metric the shipped Grafana dashboard queries is in the exposition', async () => {
  const dashboard = JSON.parse(await readFile(fileURLToPath(new URL('../../../dashboards/tributary.json', import.meta.url)), 'utf8')) as { panels: { targets?: { expr: string }[] }[] };
  const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  assert.ok(exprs.length >= 20);
  const used = new Set(exprs.flatMap((e) => [...e.matchAll(/\b(kafka_[a-z_]+|nodejs_[a-z0-9_]+|process_[a-z_]+)\b/g)].map((m) => m[1])));
  const m = await scrape(admin);
  const missing = [...used].filter((name) => m.samples(name).length === 0);
  assert.deepEqual(missing, []);
});

test('a deleted topic\'s series go with it, as Kafka drops its topic metrics', async () => {
  const doomed = 'metrics-doomed';
  const a = kafka.admin();
  await a.connect();
  try {
    await a.createTopics({ topics: [{ topic: doomed }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: doomed, messages: [{ value: 'gone soon' }] });
    await producer.disconnect();
    const before = await scrape(admin);
    assert.equal(before.value('kafka_server_brokertopicmetrics_messagesin_total', { topic: doomed }), 1);
    assert.ok(before.value('kafka_log_log_size', { topic: doomed, partition: '0' }) !== undefined);
    await a.deleteTopics({ topics: [doomed] });
    const after = await scrapeUntil(admin, (m) => m.value('kafka_server_brokertopicmetrics_messagesin_total', { topic: doomed }) === undefined, 'the deleted topic\'s series gone');
    assert.equal(after.value('kafka_log_log_size', { topic: doomed, partition: '0' }), undefined);
    assert.equal(after.value('kafka_server_brokertopicmetrics_messagesin_total', { topic: TOPIC }), N, 'other topics keep theirs');
  } finally {
    await a.disconnect();
  }
});
