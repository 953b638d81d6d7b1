// More clients on a three-broker cluster (startCluster): Debian's kafka-python and
// @platformatic/kafka each create an RF=3 topic, produce with acks=all, keep producing with the
// same client after the partition's leader is stopped (controlled shutdown moves the leadership),
// and read everything back; kcat confirms what the cluster holds.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Admin, Producer, stringSerializers } from '@platformatic/kafka';
import kafkajs from 'kafkajs';
import { startCluster, type RunningCluster } from '../../src/broker/cluster.js';
import { readBack } from '../helpers/acked-load.js';

const { Kafka, logLevel } = kafkajs;
const PYTHON = '/usr/bin/python3';
const CONFIG = {
  'offsets.topic.num.partitions': '3',
  'group.initial.rebalance.delay.ms': '0',
  'replica.fetch.wait.max.ms': '100',
  'controlled.shutdown.retry.backoff.ms': '100',
};

let cluster: RunningCluster;
before(async () => {
  cluster = await startCluster({ brokers: 3, config: CONFIG });
});
after(async () => {
  await cluster.stop();
});

async function leaderOf(topic: string): Promise<number> {
  const kafka = new Kafka({ brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      const p = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions[0];
      if (p && p.leader > 0 && p.isr.length === 3) return p.leader;
    }
    throw new Error(`${topic} has no leader with a whole ISR`);
  } finally {
    await admin.disconnect();
  }
}

/** Stops the partition's leader (its leadership moves first) and starts it again once another broker leads. */
async function moveLeader(topic: string): Promise<{ from: number; to: number }> {
  const from = await leaderOf(topic);
  await cluster.stopBroker(from);
  const kafka = new Kafka({ brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  let to = -1;
  try {
    for (const deadline = Date.now() + 30_000; to < 0 && Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      const p = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions[0];
      if (p && p.leader > 0 && p.leader !== from) to = p.leader;
    }
  } finally {
    await admin.disconnect();
  }
  assert.ok(to > 0, `no new leader after stopping broker ${from}`);
  await cluster.startBroker(from);
  return { from, to };
}

const PY_SCRIPT = `
import json, sys
from kafka import KafkaProducer, KafkaConsumer, KafkaAdminClient, TopicPartition
from kafka.admin import NewTopic
b = sys.argv[1].split(',')
admin = KafkaAdminClient(bootstrap_servers=b)
admin.create_topics([NewTopic('py-cluster', 1, 3)])
p = KafkaProducer(bootstrap_servers=b, acks='all', retries=20, retry_backoff_ms=100, max_in_flight_requests_per_connection=1)
for i in range(20):
    p.send('py-cluster', value=b'before-%d' % i).get(timeout=30)
print('produced', flush=True)
sys.stdin.readline()
for i in range(20):
    p.send('py-cluster', value=b'after-%d' % i).get(timeout=60)
p.flush()
c = KafkaConsumer(bootstrap_servers=b, consumer_timeout_ms=3000, enable_auto_commit=False)
tp = TopicPartition('py-cluster', 0)
c.assign([tp])
c.seek_to_beginning(tp)
got = [m.value.decode() for m in c]
print(json.dumps({'got': got}), flush=True)
`;

test('kafka-python produces with acks=all across a leader change and reads everything back', { skip: !existsSync(PYTHON) && 'no /usr/bin/python3', timeout: 120_000 }, async () => {
  const child = spawn(PYTHON, ['-c', PY_SCRIPT, cluster.bootstrap], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const produced = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('produced')) resolve();
    });
    void exited.then(() => reject(new Error(`kafka-python exited early: ${err}`)));
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 110_000);
  try {
    await produced;
    const moved = await moveLeader('py-cluster');
    assert.notEqual(moved.to, moved.from);
    child.stdin.write('go\n');
    assert.equal(await exited, 0, `kafka-python failed: ${err}`);
  } finally {
    clearTimeout(killer);
  }
  const expected = [...Array.from({ length: 20 }, (_, i) => `before-${i}`), ...Array.from({ length: 20 }, (_, i) => `after-${i}`)];
  const result = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { got: string[] };
  assert.deepEqual(result.got, expected);
  assert.deepEqual(await readBack(cluster.bootstrap.split(','), 'py-cluster', 0), expected);
});

test('@platformatic/kafka produces with acks=all across a leader change; the cluster holds every record once, in order', { timeout: 120_000 }, async () => {
  const topic = 'pf-cluster';
  const options = { clientId: 'platformatic-cluster', bootstrapBrokers: cluster.bootstrap.split(','), retries: 20, retryDelay: 100 };
  const admin = new Admin(options);
  try {
    await admin.createTopics({ topics: [topic], partitions: 1, replicas: 3 });
  } finally {
    await admin.close();
  }
  await leaderOf(topic);
  const producer = new Producer({ ...options, serializers: stringSerializers });
  const expected: string[] = [];
  try {
    for (let i = 0; i < 20; i++) {
      await producer.send({ messages: [{ topic, partition: 0, value: `before-${i}` }], acks: -1 });
      expected.push(`before-${i}`);
    }
    await moveLeader(topic);
    for (let i = 0; i < 20; i++) {
      await producer.send({ messages: [{ topic, partition: 0, value: `after-${i}` }], acks: -1 });
      expected.push(`after-${i}`);
    }
  } finally {
    await producer.close();
  }
  assert.deepEqual(await readBack(cluster.bootstrap.split(','), topic, 0), expected);
});
