// A kafkajs consumer group whose __consumer_offsets partition is unloaded and loaded again, as
// when its leadership moves away and comes back: the consumer is told NOT_COORDINATOR, rejoins
// once the partition is back, and resumes from its committed offsets, consuming every record
// exactly once (everything before the move was committed, and the records produced while the
// partition was away are consumed only after it came back).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../helpers/broker.js';

const { Kafka, logLevel } = kafkajs;

const TOPIC = 'moving-coordinator';
const GROUP = 'moving-coordinator-group';

let broker: RunningBroker;
let kafka: InstanceType<typeof Kafka>;
/** kafkajs's warnings and errors, to see what the consumer was told. */
const clientLogs: { message: string; error: string }[] = [];

before(async () => {
  broker = await startBroker({ port: 0, config: { 'offsets.topic.num.partitions': '3', 'group.initial.rebalance.delay.ms': '0' } });
  kafka = new Kafka({
    clientId: 'partition-move-test',
    brokers: [broker.bootstrap],
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => {
      const log = entry.log as { message?: unknown; error?: unknown };
      clientLogs.push({ message: String(log.message ?? ''), error: String(log.error ?? '') });
    },
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 2 }] });
  await admin.disconnect();
});
after(async () => {
  await broker.stop();
});

async function waitFor(cond: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** `count` records to each of the two partitions, values naming partition and sequence. */
async function produce(from: number, count: number): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  const messages = [];
  for (let i = from; i < from + count; i++) for (const partition of [0, 1]) messages.push({ partition, value: `p${partition}-m${i}` });
  await producer.send({ topic: TOPIC, messages });
  await producer.disconnect();
}

test('a consumer group survives its offsets partition being unloaded and loaded again, consuming each record once', async () => {
  const coordinator = broker.groupCoordinatorForTests;
  const committed = (p: number) => coordinator.offsets.get(GROUP, TOPIC, p)?.offset;
  await produce(0, 10);

  const seen: string[] = [];
  let joins = 0;
  const consumer = kafka.consumer({ groupId: GROUP, sessionTimeout: 10_000, heartbeatInterval: 100, maxWaitTimeInMs: 100 });
  consumer.on(consumer.events.GROUP_JOIN, () => joins++);
  await consumer.connect();
  await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      seen.push(`${partition}:${message.offset}:${message.value?.toString()}`);
    },
  });
  try {
    await waitFor(() => committed(0) === 10n && committed(1) === 10n, 'the first 20 records consumed and committed');
    assert.equal(joins, 1);

    // Leadership of the group's partition moves away: the group leaves this coordinator.
    const partition = coordinator.partitionFor(GROUP);
    assert.equal(coordinator.unloadPartition(partition, 1), true);
    assert.equal(coordinator.owns(GROUP), 'not-owned');
    assert.equal(coordinator.groups.has(GROUP), false);
    await waitFor(() => clientLogs.some((l) => l.error.includes('not the correct coordinator')), 'the consumer to be told NOT_COORDINATOR');
    // Records produced while no coordinator answers for the group wait for it.
    await produce(10, 5);

    // Leadership comes back (a newer epoch): the partition is replayed, the consumer rejoins.
    assert.equal(await coordinator.loadPartition(partition, 2), 'loaded');
    assert.equal(coordinator.owns(GROUP), 'owned');
    await waitFor(() => joins >= 2, 'the consumer to rejoin the group');
    await produce(15, 5);
    await waitFor(() => committed(0) === 20n && committed(1) === 20n, 'all 40 records consumed and committed');
  } finally {
    await consumer.disconnect();
  }

  for (const p of [0, 1]) {
    const expected = Array.from({ length: 20 }, (_, i) => `${p}:${i}:p${p}-m${i}`);
    assert.deepEqual(
      seen.filter((s) => s.startsWith(`${p}:`)),
      expected,
      `partition ${p}: every offset once, in order (nothing consumed again after the move)`,
    );
  }
  assert.equal(seen.length, 40);
});
