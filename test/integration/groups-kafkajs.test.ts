// kafkajs consumer groups against an in-process broker: partitions split between members, taken
// over when one leaves, nothing lost during the rebalance, and a restarted consumer resumes from
// its committed offset.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../helpers/broker.js';

const { Kafka, logLevel } = kafkajs;
type Consumer = ReturnType<InstanceType<typeof Kafka>['consumer']>;

let broker: RunningBroker;
let kafka: InstanceType<typeof Kafka>;
const TOPIC = 'groups-six';

before(async () => {
  broker = await startBroker({ port: 0, config: { 'group.initial.rebalance.delay.ms': '200', 'offsets.topic.num.partitions': '5' } });
  kafka = new Kafka({ clientId: 'groups-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 6 }] });
  await admin.disconnect();
});
after(async () => {
  await broker.stop();
});

async function waitFor(cond: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Member {
  consumer: Consumer;
  assigned: number[];
  seen: string[];
}

async function startMember(groupId: string, seen: string[]): Promise<Member> {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500, rebalanceTimeout: 10_000, maxWaitTimeInMs: 200 });
  const m: Member = { consumer, assigned: [], seen };
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    m.assigned = [...(e.payload.memberAssignment[TOPIC] ?? [])].sort((a, b) => a - b);
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
  await consumer.run({
    autoCommitInterval: 200,
    eachMessage: async ({ partition, message }) => {
      seen.push(`${partition}:${message.offset}:${message.value?.toString()}`);
    },
  });
  return m;
}

async function produce(from: number, count: number): Promise<string[]> {
  const producer = kafka.producer();
  await producer.connect();
  const values: string[] = [];
  for (let i = from; i < from + count; i++) values.push(`m${i}`);
  await producer.send({ topic: TOPIC, messages: values.map((value, i) => ({ value, partition: (from + i) % 6 })) });
  await producer.disconnect();
  return values;
}

test('three kafkajs consumers split six partitions, survive a leave, and resume from committed offsets', async () => {
  const seen: string[] = [];
  const members = [await startMember('six-group', seen), await startMember('six-group', seen), await startMember('six-group', seen)];
  await waitFor(() => members.every((m) => m.assigned.length === 2), 'each of three members to own two partitions');
  assert.deepEqual(members.flatMap((m) => m.assigned).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5]);

  const first = await produce(0, 60);
  await waitFor(() => new Set(seen.map((s) => s.split(':')[2])).size >= 60, 'the first 60 messages');

  // One member leaves; messages produced meanwhile must still be consumed by the other two.
  const leaving = members.pop() as Member;
  const disconnected = leaving.consumer.disconnect();
  const during = await produce(60, 60);
  await disconnected;
  await waitFor(() => members.every((m) => m.assigned.length === 3), 'the two survivors to own three partitions each');
  assert.deepEqual(members.flatMap((m) => m.assigned).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5]);
  const after = await produce(120, 60);
  const all = [...first, ...during, ...after];
  await waitFor(() => all.every((v) => seen.some((s) => s.endsWith(`:${v}`))), 'every message produced before, during and after the rebalance');

  // Stop everyone (offsets are committed on the way out), produce more, and a new member resumes.
  for (const m of members) await m.consumer.disconnect();
  const later = await produce(180, 30);
  const resumed: string[] = [];
  const again = await startMember('six-group', resumed);
  await waitFor(() => later.every((v) => resumed.some((s) => s.endsWith(`:${v}`))), 'the messages produced while the group was down');
  await again.consumer.disconnect();
  const replayed = resumed.filter((s) => !later.some((v) => s.endsWith(`:${v}`)));
  assert.deepEqual(replayed, [], 'a restarted consumer starts from the committed offsets, not from the beginning');
});

test('the admin client sees the group, its members and committed offsets', async () => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.listGroups();
    assert.ok(groups.some((g) => g.groupId === 'six-group' && g.protocolType === 'consumer'));
    const offsets = await admin.fetchOffsets({ groupId: 'six-group', topics: [TOPIC] });
    const committed = offsets[0].partitions.reduce((n, p) => n + Number(p.offset), 0);
    assert.equal(committed, 210, 'all 210 messages are committed across the six partitions');
    await admin.resetOffsets({ groupId: 'six-group', topic: TOPIC, earliest: true });
    const reset = await admin.fetchOffsets({ groupId: 'six-group', topics: [TOPIC] });
    assert.ok(reset[0].partitions.every((p) => p.offset === '-2'), 'kafkajs commits -2 for earliest and reads it back as given');
    const described = await admin.describeGroups(['six-group']);
    assert.equal(described.groups[0].state, 'Empty');
    await admin.deleteGroups(['six-group']);
    assert.ok(!(await admin.listGroups()).groups.some((g) => g.groupId === 'six-group'));
  } finally {
    await admin.disconnect();
  }
});
