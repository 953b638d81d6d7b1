// A compacted topic end to end: records without a key are refused; the broker's cleaner keeps
// the last value of each key in rolled segments; consumers see the original offsets. Compaction
// leaves gaps, rebuilt batches and empty batches (kept for producers' state and segment ends):
// kcat, kafkajs and kafka-python must read through all of them to the end.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { kcat, parseJsonLines, type KcatMessage } from '../helpers/kcat.js';

const PYTHON = '/usr/bin/python3';

let broker: RunningBroker;
before(async () => {
  broker = await startBroker({ port: 0, config: { 'log.cleaner.backoff.ms': '100', 'group.initial.rebalance.delay.ms': '0' } });
});
after(async () => {
  await broker.stop();
});

test('keyless records are refused; old values of a key are compacted away', async () => {
  const create = await kcat(['-b', broker.bootstrap, '-L']);
  assert.equal(create.code, 0);
  const { default: kafkajs } = await import('kafkajs');
  const kafka = new kafkajs.Kafka({ brokers: [broker.bootstrap], logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'table', configEntries: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'segment.bytes', value: '200' }] }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await assert.rejects(producer.send({ topic: 'table', messages: [{ value: 'no key' }] }), (err: unknown) => (err as { type?: string }).type === 'INVALID_RECORD');
  for (let round = 0; round < 10; round++) {
    await producer.send({ topic: 'table', messages: ['x', 'y', 'z'].map((k) => ({ key: k, value: `${k}${round}` })) });
  }
  await producer.disconnect();
  const deadline = Date.now() + 15_000;
  let got = parseJsonLines((await kcat(['-b', broker.bootstrap, '-C', '-t', 'table', '-o', 'beginning', '-e', '-J'])).stdout);
  while (got.length >= 30 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    got = parseJsonLines((await kcat(['-b', broker.bootstrap, '-C', '-t', 'table', '-o', 'beginning', '-e', '-J'])).stdout);
  }
  assert.ok(got.length < 30, `compaction removed old values (${got.length} of 30 left)`);
  const last = new Map(got.map((m) => [m.key, m.payload]));
  assert.deepEqual([...last].sort(), [['x', 'x9'], ['y', 'y9'], ['z', 'z9']]);
  const offsets = got.map((m) => m.offset);
  assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b), 'offsets still increase');
  assert.equal(offsets.at(-1), 29, 'the last offset is kept');
  for (const key of ['x', 'y', 'z']) {
    const values = got.filter((m) => m.key === key).map((m) => Number(m.payload?.slice(1)));
    assert.deepEqual(values, [...values].sort((a, b) => a - b), `values of ${key} keep their order`);
  }
});

const READ_ALL_PY = `
import json, sys
from kafka import KafkaConsumer, TopicPartition
c = KafkaConsumer(bootstrap_servers=sys.argv[1], group_id=None, auto_offset_reset='earliest', consumer_timeout_ms=3000, enable_auto_commit=False)
c.assign([TopicPartition(sys.argv[2], 0)])
out = [[m.offset, m.key.decode(), None if m.value is None else m.value.decode(), m.timestamp_type] for m in c]
c.close()
print(json.dumps(out))
`;

async function readWithKcat(topic: string): Promise<KcatMessage[]> {
  return parseJsonLines((await kcat(['-b', broker.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-J'])).stdout);
}

test('tombstones, an idempotent producer and LogAppendTime: kcat, kafkajs and kafka-python read the compacted topic to its end', { timeout: 90_000 }, async () => {
  const topic = 'table-lat';
  const { default: kafkajs } = await import('kafkajs');
  const kafka = new kafkajs.Kafka({ brokers: [broker.bootstrap], logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const configEntries = [
    { name: 'cleanup.policy', value: 'compact' },
    { name: 'segment.bytes', value: '300' },
    { name: 'message.timestamp.type', value: 'LogAppendTime' },
  ];
  await admin.createTopics({ topics: [{ topic, configEntries }] });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  let sent = 0;
  for (let round = 0; round < 10; round++) {
    const messages: { key: string; value: string | null }[] = ['a', 'b', 'c'].map((k) => ({ key: k, value: `${k}${round}` }));
    if (round < 5) messages.push({ key: 'gone', value: `gone${round}` });
    if (round === 5) messages.push({ key: 'gone', value: null });
    await producer.send({ topic, messages });
    sent += messages.length;
  }
  await producer.disconnect();
  const last = sent - 1;
  const deadline = Date.now() + 15_000;
  let got = await readWithKcat(topic);
  // Until the cleaner has passed the segment of the tombstone: then no value of 'gone' is left.
  while (got.some((m) => m.key === 'gone' && m.payload !== null) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    got = await readWithKcat(topic);
  }
  assert.ok(got.length < sent, `compaction removed old values (${got.length} of ${sent} left)`);
  const expected = [
    ['a', 'a9'],
    ['b', 'b9'],
    ['c', 'c9'],
    ['gone', null],
  ];
  const latest = (records: [string, string | null][]) => [...new Map(records)].sort();
  assert.deepEqual(latest(got.map((m) => [m.key ?? '', m.payload])), expected, 'kcat');
  assert.equal(got.at(-1)?.offset, last, 'kcat reads to the last offset');
  assert.ok(got.every((m) => m.tstype === 'logappend'), 'the timestamp type survives the rewrite');
  assert.ok(!got.some((m) => m.key === 'gone' && m.payload !== null), 'no value of a deleted key is left');

  const consumer = kafka.consumer({ groupId: 'compacted-reader' });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: [number, string, string | null][] = [];
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ message }) => {
          seen.push([Number(message.offset), message.key?.toString() ?? '', message.value?.toString() ?? null]);
          if (Number(message.offset) === last) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  assert.deepEqual(latest(seen.map(([, k, v]) => [k, v])), expected, 'kafkajs');
  assert.deepEqual(
    seen.map(([o]) => o),
    got.map((m) => m.offset),
    'kafkajs reads the same records as kcat',
  );

  if (existsSync(PYTHON)) {
    const { stdout } = await promisify(execFile)(PYTHON, ['-c', READ_ALL_PY, broker.bootstrap, topic], { timeout: 60_000 });
    const py = JSON.parse(stdout.trim().split('\n').pop() ?? '[]') as [number, string, string | null, number][];
    assert.deepEqual(latest(py.map(([, k, v]) => [k, v])), expected, 'kafka-python');
    assert.deepEqual(
      py.map(([o]) => o),
      got.map((m) => m.offset),
      'kafka-python reads the same records as kcat',
    );
    assert.ok(py.every(([, , , type]) => type === 1), 'kafka-python sees LogAppendTime');
  }
});
