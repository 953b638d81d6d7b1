// A compacted topic end to end: records without a key are refused; the broker's cleaner keeps
// the last value of each key in rolled segments; consumers see the original offsets.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { kcat, parseJsonLines } from '../helpers/kcat.js';

let broker: RunningBroker;
before(async () => {
  broker = await startBroker({ port: 0, config: { 'log.cleaner.backoff.ms': '100' } });
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
