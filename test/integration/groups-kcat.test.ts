// librdkafka consumer groups (kcat -G) against an in-process broker: eager and cooperative-sticky
// rebalances split partitions, and a killed consumer's partitions move on after its session timeout.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { kcat } from '../helpers/kcat.js';
import { KcatGroupMember, waitUntil } from '../helpers/kcat-group.js';

let broker: RunningBroker;
const ALL = [0, 1, 2, 3];

before(async () => {
  broker = await startBroker({
    port: 0,
    config: { 'group.initial.rebalance.delay.ms': '0', 'group.min.session.timeout.ms': '1000', 'num.partitions': '4', 'offsets.topic.num.partitions': '5' },
  });
});
after(async () => {
  await broker.stop();
});

async function produce(topic: string, n: number): Promise<void> {
  const lines = Array.from({ length: n }, (_, i) => `${topic}-${i}`).join('\n') + '\n';
  const res = await kcat(['-b', broker.bootstrap, '-P', '-t', topic, '-K', '\t'], lines);
  assert.equal(res.code, 0, res.stderr);
}

function disjointCover(a: number[], b: number[]): boolean {
  return a.length > 0 && b.length > 0 && a.every((p) => !b.includes(p)) && [...a, ...b].sort((x, y) => x - y).join() === ALL.join();
}

for (const strategy of ['range', 'cooperative-sticky']) {
  test(`two kcat -G consumers split four partitions (${strategy})`, async () => {
    const topic = `kcat-group-${strategy}`;
    await produce(topic, 40);
    const extra = ['-X', `partition.assignment.strategy=${strategy}`];
    const a = new KcatGroupMember(broker.bootstrap, `g-${strategy}`, [topic], extra);
    try {
      await waitUntil(() => a.owned(topic).length === 4, 'the first member to own all partitions');
      const b = new KcatGroupMember(broker.bootstrap, `g-${strategy}`, [topic], extra);
      try {
        await waitUntil(() => disjointCover(a.owned(topic), b.owned(topic)), 'the two members to split the partitions');
        if (strategy === 'cooperative-sticky') {
          assert.match(a.stderr, /incremental revoke/, 'the first member gave partitions up incrementally');
          assert.doesNotMatch(a.stderr, /SESSTMOUT|error/i);
        }
        const values = () => new Set((a.stdout + b.stdout).trim().split('\n').map((l) => l.split(':')[2]));
        await waitUntil(() => values().size >= 40, 'all 40 messages');
        // At least once: a partition that moves is re-read from its last committed offset.
        assert.deepEqual([...values()].sort(), Array.from({ length: 40 }, (_, i) => `${topic}-${i}`).sort());
      } finally {
        await b.stop();
      }
      await waitUntil(() => a.owned(topic).length === 4, 'the remaining member to take all partitions back');
    } finally {
      await a.stop();
    }
  });
}

test('a killed consumer is removed after its session timeout and its partitions reassigned', async () => {
  const topic = 'kcat-group-crash';
  await produce(topic, 8);
  const a = new KcatGroupMember(broker.bootstrap, 'g-crash', [topic]);
  await waitUntil(() => a.owned(topic).length === 4, 'the first member to own all partitions');
  const b = new KcatGroupMember(broker.bootstrap, 'g-crash', [topic]);
  try {
    await waitUntil(() => disjointCover(a.owned(topic), b.owned(topic)), 'two members sharing the partitions');
    await b.stop('SIGKILL'); // no LeaveGroup: only the session timeout can tell
    await waitUntil(() => a.owned(topic).length === 4, 'the survivor to own every partition');
    assert.equal((a.stderr.match(/rebalanced.*assigned:/g) ?? []).length, 3, 'alone, then shared, then alone again after the expiry');
  } finally {
    await a.stop();
    await b.stop();
  }
});
