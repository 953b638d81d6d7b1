/** What kafka-python (Debian's python3-kafka) sends: admin calls, a gzip producer, a consumer group. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { RecordingProxy } from './recording-proxy.js';
import { CAPTURE_MESSAGES } from './fixture-format.js';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';

const PRODUCE = `
import json, sys
from kafka import KafkaProducer
codec = None if sys.argv[2] == 'none' else sys.argv[2]
p = KafkaProducer(bootstrap_servers=sys.argv[1], client_id='golden', compression_type=codec, linger_ms=50)
for m in json.loads(sys.argv[3]):
    p.send('golden-python', partition=0, key=m['key'].encode(), value=m['value'].encode(), headers=[('source', b'kafka-python')])
p.flush()
p.close()
`;

const SCRIPT = `
import sys
from kafka import KafkaProducer, KafkaConsumer, KafkaAdminClient
from kafka.admin import NewTopic, NewPartitions, ConfigResource, ConfigResourceType
b = sys.argv[1]
admin = KafkaAdminClient(bootstrap_servers=b, client_id='golden')
admin.create_topics([NewTopic('golden-python', 1, 1), NewTopic('golden-python-tmp', 1, 1)])
admin.create_partitions({'golden-python-tmp': NewPartitions(2)})
admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, 'golden-python')])
admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, 'golden-python-tmp', configs={'retention.ms': '3600000'})])
admin.describe_cluster()
admin.close()
`;

const CONSUME = `
import sys
from kafka import KafkaConsumer, KafkaAdminClient
b = sys.argv[1]
c = KafkaConsumer('golden-python', bootstrap_servers=b, client_id='golden', group_id='golden-python-group', auto_offset_reset='earliest', consumer_timeout_ms=2500, heartbeat_interval_ms=200)
got = [m for m in c]
c.commit()
c.close()
admin = KafkaAdminClient(bootstrap_servers=b, client_id='golden')
admin.list_consumer_groups()
admin.describe_consumer_groups(['golden-python-group'])
admin.list_consumer_group_offsets('golden-python-group')
admin.delete_consumer_groups(['golden-python-group'])
admin.delete_topics(['golden-python-tmp'])
admin.close()
print(len(got))
`;

export async function kafkaPythonSession(proxy: RecordingProxy, bootstrap: string): Promise<void> {
  proxy.client = 'kafka-python';
  proxy.label = '';
  await run(PYTHON, ['-c', SCRIPT, bootstrap], { timeout: 60_000 });
  for (const codec of ['none', 'gzip']) {
    proxy.label = codec;
    await run(PYTHON, ['-c', PRODUCE, bootstrap, codec, JSON.stringify(CAPTURE_MESSAGES)], { timeout: 60_000 });
  }
  proxy.label = '';
  const { stdout } = await run(PYTHON, ['-c', CONSUME, bootstrap], { timeout: 60_000 });
  const expected = CAPTURE_MESSAGES.length * 2;
  if (stdout.trim() !== String(expected)) throw new Error(`kafka-python consumed ${stdout.trim()} of ${expected} records`);
}
