// Debian's kafka-python (python3-kafka): admin, a gzip producer and a group consumer, run as a
// Python child process against an in-process broker.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { startBroker, type RunningBroker } from '../helpers/broker.js';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';

const SCRIPT = `
import json, sys
from kafka import KafkaProducer, KafkaConsumer, KafkaAdminClient
from kafka.admin import NewTopic
b = sys.argv[1]
admin = KafkaAdminClient(bootstrap_servers=b)
admin.create_topics([NewTopic('py-topic', 3, 1)])
p = KafkaProducer(bootstrap_servers=b, compression_type='gzip')
for i in range(30):
    p.send('py-topic', key=b'k%d' % i, value=b'v%d' % i)
p.flush()
c = KafkaConsumer('py-topic', bootstrap_servers=b, group_id='py-group', auto_offset_reset='earliest', consumer_timeout_ms=3000, enable_auto_commit=False)
got = sorted(m.value.decode() for m in c)
c.commit()
c.close()
offsets = admin.list_consumer_group_offsets('py-group')
print(json.dumps({'topics': sorted(admin.list_topics()), 'got': got, 'groups': admin.list_consumer_groups(), 'committed': sum(o.offset for o in offsets.values())}))
`;

let broker: RunningBroker;
before(async () => {
  broker = await startBroker({ port: 0, config: { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '3' } });
});
after(async () => {
  await broker.stop();
});

test('kafka-python creates a topic, produces with gzip, consumes in a group and commits', { skip: !existsSync(PYTHON) && 'no /usr/bin/python3' }, async () => {
  const { stdout } = await run(PYTHON, ['-c', SCRIPT, broker.bootstrap], { timeout: 60_000 });
  const out = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { topics: string[]; got: string[]; groups: [string, string][]; committed: number };
  assert.ok(out.topics.includes('py-topic'));
  assert.deepEqual(out.got, Array.from({ length: 30 }, (_, i) => `v${i}`).sort());
  assert.deepEqual(out.groups, [['py-group', 'consumer']]);
  assert.equal(out.committed, 30);
});
