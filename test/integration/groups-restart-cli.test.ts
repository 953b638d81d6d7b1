// Committed offsets and groups survive a broker restart; the `tributary groups` commands list,
// describe (with lag) and reset offsets of a group, as a user runs them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { startBroker } from '../helpers/broker.js';
import { tempDir } from '../helpers/storage.js';
import { kcat } from '../helpers/kcat.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../../bin/tributary.js', import.meta.url));
const { Kafka, logLevel } = kafkajs;

async function tributary(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [CLI, ...args], { timeout: 30_000 });
  return stdout;
}

test('committed offsets and the group survive a restart; the CLI describes and resets them', async () => {
  const { dir, cleanup } = await tempDir('tributary-groups-');
  const config = { 'group.initial.rebalance.delay.ms': '0', 'group.min.session.timeout.ms': '1000', 'offsets.topic.num.partitions': '3', 'num.partitions': '2' };
  try {
    let broker = await startBroker({ port: 0, dataDir: dir, config });
    let kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'restart-topic', messages: Array.from({ length: 20 }, (_, i) => ({ value: `v${i}`, partition: i % 2 })) });
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.setOffsets({ groupId: 'durable-group', topic: 'restart-topic', partitions: [{ partition: 0, offset: '7' }, { partition: 1, offset: '4' }] });
    await admin.disconnect();
    await broker.stop();

    broker = await startBroker({ port: 0, dataDir: dir, config });
    try {
      kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
      const admin2 = kafka.admin();
      await admin2.connect();
      const offsets = await admin2.fetchOffsets({ groupId: 'durable-group', topics: ['restart-topic'] });
      assert.deepEqual(offsets[0].partitions.map((p) => [p.partition, p.offset]).sort(), [[0, '7'], [1, '4']]);
      assert.ok((await admin2.listGroups()).groups.some((g) => g.groupId === 'durable-group'));
      await admin2.disconnect();

      // A consumer of the group starts where the commits say: 3 + 6 messages are left.
      const seen: string[] = [];
      const consumer = kafka.consumer({ groupId: 'durable-group', maxWaitTimeInMs: 100 });
      await consumer.connect();
      await consumer.subscribe({ topics: ['restart-topic'] });
      await consumer.run({ eachMessage: async ({ partition, message }) => void seen.push(`${partition}:${message.offset}`) });
      const deadline = Date.now() + 20_000;
      while (seen.length < 9 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await consumer.disconnect();
      assert.deepEqual(seen.sort(), ['0:7', '0:8', '0:9', '1:4', '1:5', '1:6', '1:7', '1:8', '1:9']);

      const list = await tributary('groups', 'list', '-b', broker.bootstrap);
      assert.match(list, /^durable-group\s+Empty\s+consumer$/m);
      const described = await tributary('groups', 'describe', 'durable-group', '-b', broker.bootstrap);
      assert.match(described, /^restart-topic\s+0\s+10\s+10\s+0\s/m);
      assert.match(described, /^restart-topic\s+1\s+10\s+10\s+0\s/m);

      const dry = await tributary('groups', 'reset-offsets', 'durable-group', '--topic', 'restart-topic', '--to-earliest', '-b', broker.bootstrap);
      assert.match(dry, /Dry run/);
      assert.match(await tributary('groups', 'describe', 'durable-group', '-b', broker.bootstrap), /^restart-topic\s+0\s+10\s/m, 'a dry run changes nothing');
      await tributary('groups', 'reset-offsets', 'durable-group', '--topic', 'restart-topic', '--to-offset', '3', '--execute', '-b', broker.bootstrap);
      const after = await tributary('groups', 'describe', 'durable-group', '-b', broker.bootstrap);
      assert.match(after, /^restart-topic\s+0\s+3\s+10\s+7\s/m);
      assert.match(after, /^restart-topic\s+1\s+3\s+10\s+7\s/m);
      await tributary('groups', 'reset-offsets', 'durable-group', '--topic', 'restart-topic', '--to-latest', '--execute', '-b', broker.bootstrap);
      assert.match(await tributary('groups', 'describe', 'durable-group', '-b', broker.bootstrap), /^restart-topic\s+1\s+10\s+10\s+0\s/m);

      // A group with members refuses resets, as Kafka's tool does.
      const member = new (await import('../helpers/kcat-group.js')).KcatGroupMember(broker.bootstrap, 'busy-group', ['restart-topic']);
      try {
        const { waitUntil } = await import('../helpers/kcat-group.js');
        await waitUntil(() => member.owned('restart-topic').length === 2, 'the kcat member to join');
        await assert.rejects(tributary('groups', 'reset-offsets', 'busy-group', '--topic', 'restart-topic', '--to-earliest', '--execute', '-b', broker.bootstrap), /only be reset while it has no members/);
      } finally {
        await member.stop();
      }
      const r = await kcat(['-b', broker.bootstrap, '-L']);
      assert.match(r.stdout, /__consumer_offsets/);
    } finally {
      await broker.stop();
    }
  } finally {
    await cleanup();
  }
});
