// Two one-second quota windows (Kafka's default is 11): a rate is measured over at least one second
// instead of ten, so a short test goes over its quota.
// Client quotas: AlterClientQuotas / DescribeClientQuotas through @platformatic/kafka's admin (named
// and default entities, filters, invalid entries), byte-rate throttling reported to librdkafka's
// throttle callback (python3-confluent-kafka) while every record is still delivered, throttled
// Produce and Fetch answers seen on the wire, and quotas kept over a restart.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Admin } from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { buildBatch } from '../../src/protocol/records/batch-records.js';
import type { FetchResponse, ProduceResponse } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';

const run = promisify(execFile);
let dir: string;
let broker: RunningBroker;
let admin: Admin;

const entity = (entityType: 'user' | 'client-id', entityName: string | null) => ({ entityType, entityName });

async function setQuota(entities: ReturnType<typeof entity>[], key: 'producer_byte_rate' | 'consumer_byte_rate', value: number | null) {
  const ops = value === null ? [{ key, remove: true as const }] : [{ key, value, remove: false as const }];
  const [result] = await admin.alterClientQuotas({ entries: [{ entities, ops }] });
  assert.equal(result.errorCode, 0, result.errorMessage ?? '');
}

async function startTheBroker(): Promise<RunningBroker> {
  return startBroker({ port: 0, dataDir: dir, config: { 'quota.window.num': '2', 'quota.window.size.seconds': '1' } });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tributary-quotas-'));
  broker = await startTheBroker();
  admin = new Admin({ clientId: 'quota-admin', bootstrapBrokers: [broker.bootstrap] });
});

after(async () => {
  await admin?.close();
  await broker?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('quotas are set, described with filters, removed, and kept over a restart', async () => {
  await setQuota([entity('client-id', 'reporting')], 'consumer_byte_rate', 2_000_000);
  await setQuota([entity('user', 'alice'), entity('client-id', null)], 'producer_byte_rate', 1_000_000);
  await setQuota([entity('user', null)], 'producer_byte_rate', 5_000_000);
  const all = await admin.describeClientQuotas({ components: [] });
  const show = (entries: typeof all) =>
    entries.map((e) => [e.entity.map((p) => `${p.entityType}=${p.entityName ?? '<default>'}`).join('&'), Object.fromEntries(e.values.map((v) => [v.key, v.value]))]).sort();
  assert.deepEqual(show(all), [
    ['client-id=reporting', { consumer_byte_rate: 2_000_000 }],
    ['user=<default>', { producer_byte_rate: 5_000_000 }],
    ['user=alice&client-id=<default>', { producer_byte_rate: 1_000_000 }],
  ]);
  const users = await admin.describeClientQuotas({ components: [{ entityType: 'user', matchType: 2 }] });
  assert.deepEqual(show(users), [['user=alice&client-id=<default>', { producer_byte_rate: 1_000_000 }]]);
  const strictDefaultUser = await admin.describeClientQuotas({ components: [{ entityType: 'user', matchType: 1 }], strict: true });
  assert.deepEqual(show(strictDefaultUser), [['user=<default>', { producer_byte_rate: 5_000_000 }]]);

  await admin.close();
  await broker.stop();
  broker = await startTheBroker();
  admin = new Admin({ clientId: 'quota-admin', bootstrapBrokers: [broker.bootstrap] });
  assert.equal((await admin.describeClientQuotas({ components: [] })).length, 3);
  await setQuota([entity('user', null)], 'producer_byte_rate', null);
  await setQuota([entity('user', 'alice'), entity('client-id', null)], 'producer_byte_rate', null);
  assert.deepEqual(show(await admin.describeClientQuotas({ components: [] })), [['client-id=reporting', { consumer_byte_rate: 2_000_000 }]]);
});

test('invalid quota entries are answered INVALID_REQUEST one by one; the valid ones apply', async () => {
  const c = await KafkaConnection.open(broker.bootstrap);
  try {
    const res = await c.request<{ entries: { errorCode: number; errorMessage: string | null }[] }>(49, 1, {
      validateOnly: false,
      entries: [
        { entity: [], ops: [{ key: 'producer_byte_rate', value: 10, remove: false }] },
        { entity: [{ entityType: 'group', entityName: 'g' }], ops: [] },
        { entity: [{ entityType: 'user', entityName: 'u' }], ops: [{ key: 'bogus_rate', value: 10, remove: false }] },
        { entity: [{ entityType: 'user', entityName: 'u' }, { entityType: 'ip', entityName: '1.2.3.4' }], ops: [] },
        { entity: [{ entityType: 'client-id', entityName: 'c' }], ops: [{ key: 'producer_byte_rate', value: -5, remove: false }] },
        { entity: [{ entityType: 'client-id', entityName: 'c' }], ops: [{ key: 'producer_byte_rate', value: 1.5, remove: false }] },
        { entity: [{ entityType: 'ip', entityName: '10.0.0.1' }], ops: [{ key: 'producer_byte_rate', value: 10, remove: false }] },
        { entity: [{ entityType: 'client-id', entityName: 'fine' }], ops: [{ key: 'request_percentage', value: 12.5, remove: false }] },
      ],
    });
    assert.deepEqual(res.entries.map((e) => e.errorCode), [...Array(7).fill(ErrorCode.INVALID_REQUEST), 0]);
    assert.ok(res.entries.slice(0, 7).every((e) => (e.errorMessage ?? '').length > 0));
  } finally {
    c.close();
  }
  const fine = await admin.describeClientQuotas({ components: [{ entityType: 'client-id', matchType: 0, match: 'fine' }] });
  assert.deepEqual(fine.map((e) => e.values), [[{ key: 'request_percentage', value: 12.5 }]]);
});

test('a producer over its byte rate gets throttle_time_ms in its answers and every record still lands', async () => {
  await setQuota([entity('client-id', 'wire-producer')], 'producer_byte_rate', 20_000);
  await admin.createTopics({ topics: ['quota-wire'], partitions: 1, replicas: 1 });
  const c = await KafkaConnection.open(broker.bootstrap, 10_000, 'wire-producer');
  try {
    const value = Buffer.alloc(10_000, 0x61);
    const throttles: number[] = [];
    for (let i = 0; i < 6; i++) {
      const batch = await buildBatch([{ key: null, value, timestamp: Date.now() }]);
      const res = await c.request<ProduceResponse>(0, 9, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: 'quota-wire', partitionData: [{ index: 0, records: batch }] }] }, 30_000);
      assert.equal(res.responses[0].partitionResponses[0].errorCode, 0);
      throttles.push(res.throttleTimeMs);
    }
    // 60 kB against 20 kB/s measured over one to two seconds: the first answer is free, later ones carry waits.
    assert.equal(throttles[0], 0);
    assert.ok(throttles.filter((t) => t > 0).length >= 2, `throttles: ${throttles.join(',')}`);
    assert.equal(Number(broker.partitionForTests('quota-wire', 0)?.log.logEndOffset), 6);
  } finally {
    c.close();
  }
});

test('librdkafka\'s throttle callback hears of the quota, and all records are delivered', async () => {
  await setQuota([entity('client-id', 'rd-producer')], 'producer_byte_rate', 100_000);
  const script = `
import json, sys
from confluent_kafka import Producer
throttles = []
delivered = []
p = Producer({'bootstrap.servers': sys.argv[1], 'client.id': 'rd-producer', 'linger.ms': 5, 'throttle_cb': lambda e: throttles.append(e.throttle_time)})
for i in range(300):
    p.produce('quota-rd', value=b'x' * 1000, on_delivery=lambda err, m: delivered.append(err is None))
    p.poll(0)
p.flush(60)
p.poll(1)
print(json.dumps({'delivered': sum(delivered), 'throttles': len(throttles), 'max': max(throttles) if throttles else 0}))
`;
  const { stdout } = await run('/usr/bin/python3', ['-c', script, broker.bootstrap], { timeout: 90_000 });
  const out = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { delivered: number; throttles: number; max: number };
  assert.equal(out.delivered, 300);
  assert.ok(out.throttles > 0 && out.max > 0, JSON.stringify(out));
});

test('a throttled Fetch is answered empty with the wait; a kafkajs consumer still reads everything', async () => {
  const kafka = new Kafka({ clientId: 'seed', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  // One small batch per record: a fetch answer can then stay under the quota (an answer holds at least one whole batch).
  for (let i = 0; i < 50; i++) await producer.send({ topic: 'quota-fetch', messages: [{ value: `${i}`.padEnd(2000, '.') }] });
  await producer.disconnect();
  await setQuota([entity('client-id', 'slow-reader')], 'consumer_byte_rate', 40_000);
  const c = await KafkaConnection.open(broker.bootstrap, 10_000, 'slow-reader');
  try {
    const fetch = () => c.request<FetchResponse>(1, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1_000_000, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: 'quota-fetch', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 30_000 }] }], forgottenTopicsData: [], rackId: '' }, 30_000);
    const first = await fetch();
    assert.equal(first.responses[0].partitions[0].errorCode, 0);
    assert.equal(first.throttleTimeMs, 0);
    const throttled = await fetch();
    assert.ok(throttled.throttleTimeMs > 0, `throttle ${throttled.throttleTimeMs}`);
    assert.deepEqual(throttled.responses, []);
  } finally {
    c.close();
  }
  const consumerKafka = new Kafka({ clientId: 'slow-reader', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const consumer = consumerKafka.consumer({ groupId: 'slow-readers', maxBytes: 20_000 });
  await consumer.connect();
  await consumer.subscribe({ topic: 'quota-fetch', fromBeginning: true });
  const seen: number[] = [];
  await new Promise<void>((resolve, reject) => {
    consumer.run({ eachMessage: async ({ message }) => void (seen.push(Number(message.value?.toString().replace(/\.+$/, ''))) === 50 && resolve()) }).catch(reject);
  });
  await consumer.disconnect();
  assert.deepEqual(seen, Array.from({ length: 50 }, (_, i) => i));
});

test('an address over its connection_creation_rate has its new connections closed; others are served', async () => {
  // platformatic's admin has no ip entities: AlterClientQuotas by hand, on a connection older than the quota.
  const control = await KafkaConnection.open(broker.bootstrap);
  const ipQuota = (op: { key: string; value: number; remove: boolean }) =>
    control.request<{ entries: { errorCode: number }[] }>(49, 1, { validateOnly: false, entries: [{ entity: [{ entityType: 'ip', entityName: '127.0.0.1' }], ops: [op] }] });
  assert.equal((await ipQuota({ key: 'connection_creation_rate', value: 3, remove: false })).entries[0].errorCode, 0);
  const outcomes: string[] = [];
  try {
    for (let i = 0; i < 6; i++) {
      try {
        const c = await KafkaConnection.open(broker.bootstrap);
        await c.request(18, 3, { clientSoftwareName: 'rate', clientSoftwareVersion: '1' }, 10_000);
        outcomes.push('served');
        c.close();
      } catch {
        outcomes.push('closed');
      }
    }
  } finally {
    assert.equal((await ipQuota({ key: 'connection_creation_rate', value: 0, remove: true })).entries[0].errorCode, 0);
    control.close();
  }
  // Measured over at least one second: three connections fit, the next ones do not.
  assert.deepEqual(outcomes, ['served', 'served', 'served', 'closed', 'closed', 'closed']);
  const after = await KafkaConnection.open(broker.bootstrap);
  after.close();
});
