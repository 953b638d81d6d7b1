// Debian's kafka-python pinned to old broker versions (api_version=...), so it never sends
// ApiVersions and speaks the protocol of Kafka 0.8-0.10: Fetch v0-3 (down-converted answers),
// ListOffsets v0-1, Metadata v0-1, JoinGroup v0-1, OffsetCommit v0-2, OffsetFetch v0-1, Produce v1-2.
// The versions it sent are read from its debug log, so each test proves what was on the wire.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { kcat } from '../helpers/kcat.js';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const skip = !existsSync(PYTHON) && 'no /usr/bin/python3';
const T0 = 1_760_000_000_000;

const SCRIPT = `
import io, json, logging, re, sys
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
log = io.StringIO()
handler = logging.StreamHandler(log)
logging.getLogger('kafka').addHandler(handler)
logging.getLogger('kafka').setLevel(logging.DEBUG)
b, spec = sys.argv[1], json.loads(sys.argv[2])
av = tuple(spec['api_version'])
out = {}
tps = [TopicPartition(t, 0) for t in spec['topics']]
if spec.get('produce'):
    p = KafkaProducer(bootstrap_servers=b, api_version=av, compression_type=spec.get('compression'))
    for i, (k, v) in enumerate(spec['produce']):
        p.send(spec['topics'][0], key=k.encode(), value=v.encode(), timestamp_ms=spec['t0'] + i if av >= (0, 10) else None)
    p.flush()
    p.close()
if spec.get('subscribe'):
    c = KafkaConsumer(*spec['topics'], bootstrap_servers=b, api_version=av, group_id=spec['group'], auto_offset_reset='earliest', consumer_timeout_ms=15000, enable_auto_commit=False)
else:
    c = KafkaConsumer(bootstrap_servers=b, api_version=av, group_id=spec.get('group'), consumer_timeout_ms=15000, enable_auto_commit=False)
    c.assign(tps)
if spec.get('committed_only'):
    out['messages'] = []
else:
    if not spec.get('subscribe'):
        c.seek_to_beginning()
    out['messages'] = []
    for m in c:
        out['messages'].append([m.topic, m.offset, None if m.key is None else m.key.decode(), None if m.value is None else m.value.decode(), m.timestamp, m.timestamp_type])
        # Stop at the count expected; the timeout only ends a read that falls short.
        if len(out['messages']) >= spec['expect']:
            break
    if spec.get('group'):
        c.commit()
if spec.get('group'):
    out['committed'] = [c.committed(tp) for tp in tps]
c.close()
out['requests'] = sorted(set(re.findall(r'Sending request (\\w+_v\\d+)', log.getvalue())))
print(json.dumps(out))
`;

interface PyResult {
  messages: [string, number, string | null, string | null, number | null, number | null][];
  committed?: (number | null)[];
  requests: string[];
}

async function kafkaPython(spec: Record<string, unknown>): Promise<PyResult> {
  const { stdout } = await run(PYTHON, ['-c', SCRIPT, broker.bootstrap, JSON.stringify(spec)], { timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as PyResult;
}

let broker: RunningBroker;
/** old-mixed: a kafkajs gzip batch with headers and timestamps, then an uncompressed kcat batch. */
const MIXED: [string, string, number][] = [
  ['js-0', 'kafkajs 0', T0 + 1],
  ['js-1', 'kafkajs 1', T0 + 2],
  ['js-2', 'kafkajs 2', T0 + 3],
];

before(async () => {
  broker = await startBroker({ port: 0, config: { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '1' } });
  const producer = new kafkajs.Kafka({ brokers: [broker.bootstrap], logLevel: kafkajs.logLevel.NOTHING }).producer();
  await producer.connect();
  await producer.send({ topic: 'old-mixed', compression: kafkajs.CompressionTypes.GZIP, messages: MIXED.map(([key, value, ts]) => ({ key, value, timestamp: String(ts), headers: { h: 'dropped for old clients' } })) });
  await producer.disconnect();
  const p = await kcat(['-b', broker.bootstrap, '-P', '-t', 'old-mixed', '-K', ':'], 'kc-3:kcat 3\nkc-4:kcat 4\n');
  assert.equal(p.code, 0, p.stderr);
});
after(async () => {
  await broker.stop();
});

const keysAndValues = (r: PyResult) => r.messages.map(([topic, offset, key, value]) => [topic, offset, key, value]);
const MIXED_READ = [...MIXED.map(([k, v], i) => ['old-mixed', i, k, v]), ['old-mixed', 3, 'kc-3', 'kcat 3'], ['old-mixed', 4, 'kc-4', 'kcat 4']];

test('kafka-python as a 0.10.0 client: group consumer on Fetch v2 (magic 1, timestamps), ListOffsets v0, JoinGroup v0', { skip }, async () => {
  const r = await kafkaPython({ api_version: [0, 10, 0], topics: ['old-mixed'], group: 'py-0100', subscribe: true, expect: 5 });
  for (const req of ['FetchRequest_v2', 'OffsetRequest_v0', 'MetadataRequest_v1', 'JoinGroupRequest_v0', 'SyncGroupRequest_v0', 'OffsetCommitRequest_v2', 'OffsetFetchRequest_v1']) assert.ok(r.requests.includes(req), `${req} in ${r.requests.join()}`);
  assert.ok(!r.requests.some((q) => /^(ApiVersionRequest|FetchRequest_v([3-9]|1\d))/.test(q)), r.requests.join());
  assert.deepEqual(keysAndValues(r), MIXED_READ);
  // The kafkajs records keep their own timestamps (CreateTime, type 0).
  assert.deepEqual(r.messages.slice(0, 3).map((m) => [m[4], m[5]]), MIXED.map(([, , ts]) => [ts, 0]));
  assert.deepEqual(r.committed, [5]);
});

test('kafka-python as a 0.10.1 client: Produce v2 with gzip, then Fetch v3 and ListOffsets v1 read it back', { skip }, async () => {
  const produce = [['p0', 'first'], ['p1', 'second'], ['p2', 'third']];
  const r = await kafkaPython({ api_version: [0, 10, 1], topics: ['old-py'], produce, compression: 'gzip', t0: T0, group: 'py-0101', subscribe: true, expect: 3 });
  for (const req of ['ProduceRequest_v2', 'FetchRequest_v3', 'OffsetRequest_v1', 'JoinGroupRequest_v1']) assert.ok(r.requests.includes(req), `${req} in ${r.requests.join()}`);
  assert.deepEqual(r.messages.map((m) => [m[1], m[2], m[3], m[4]]), produce.map(([k, v], i) => [i, k, v, T0 + i]));
  assert.deepEqual(r.committed, [3]);
});

test('kafka-python as a 0.9 client: group consumer on Fetch v1 (magic 0, no timestamps) and Metadata v0', { skip }, async () => {
  const r = await kafkaPython({ api_version: [0, 9], topics: ['old-mixed'], group: 'py-09', subscribe: true, expect: 5 });
  for (const req of ['FetchRequest_v1', 'MetadataRequest_v0', 'JoinGroupRequest_v0', 'OffsetRequest_v0']) assert.ok(r.requests.includes(req), `${req} in ${r.requests.join()}`);
  assert.deepEqual(keysAndValues(r), MIXED_READ);
  assert.ok(r.messages.every((m) => m[4] === null), 'magic 0 messages carry no timestamp');
  assert.deepEqual(r.committed, [5]);
});

test('kafka-python as 0.8.1 and 0.8.2 clients: Fetch v0, OffsetCommit v0/v1 and, from a new consumer, OffsetFetch v0/v1', { skip }, async () => {
  for (const [av, commitVersion, fetchVersion] of [[[0, 8, 1], 0, 0], [[0, 8, 2], 1, 1]] as const) {
    const group = `py-${av.join('')}`;
    const r = await kafkaPython({ api_version: av, topics: ['old-mixed'], group, expect: 5 });
    assert.ok(r.requests.includes('FetchRequest_v0') && r.requests.includes(`OffsetCommitRequest_v${commitVersion}`), r.requests.join());
    assert.deepEqual(keysAndValues(r), MIXED_READ);
    const again = await kafkaPython({ api_version: av, topics: ['old-mixed'], group, committed_only: true });
    assert.ok(again.requests.includes(`OffsetFetchRequest_v${fetchVersion}`), again.requests.join());
    assert.deepEqual(again.committed, [5], `${av.join('.')} reads back what it committed`);
  }
});
