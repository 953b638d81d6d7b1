// Debian's kcat (librdkafka 2.0) against an in-process broker: metadata, produce with every
// compression codec, consume back byte-identical, offsets by timestamp.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { kcat, parseJsonLines } from '../helpers/kcat.js';

const COUNT = 100_000;
let broker: RunningBroker;

before(async () => {
  broker = await startBroker({ port: 0 });
});
after(async () => {
  await broker.stop();
});

test('kcat -L lists this broker and its topics', async () => {
  await kcat(['-b', broker.bootstrap, '-P', '-t', 'listed-topic'], 'one\n');
  const res = await kcat(['-b', broker.bootstrap, '-L', '-J']);
  assert.equal(res.code, 0, res.stderr);
  const md = JSON.parse(res.stdout) as { brokers: { id: number; name: string }[]; topics: { topic: string; partitions: { partition: number; leader: number }[] }[] };
  assert.deepEqual(md.brokers.map((b) => [b.id, b.name]), [[1, broker.bootstrap]]);
  const topic = md.topics.find((t) => t.topic === 'listed-topic');
  assert.ok(topic, 'the auto-created topic is listed');
  assert.deepEqual(topic.partitions.map((p) => [p.partition, p.leader]), [[0, 1]]);
});

for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) {
  test(`kcat produces ${COUNT} keyed messages with ${codec} and reads them back identical, in order`, async () => {
    const topic = `kcat-${codec}`;
    const lines: string[] = [];
    for (let i = 0; i < COUNT; i++) lines.push(`key-${i}\t${codec} value ${i} ${'x'.repeat(i % 50)} é`);
    const produced = await kcat(['-b', broker.bootstrap, '-P', '-t', topic, '-z', codec, '-K', '\t', '-H', 'source=kcat', '-H', `codec=${codec}`, '-X', 'linger.ms=20', '-d', 'msg'], lines.join('\n') + '\n', 120_000);
    assert.equal(produced.code, 0, produced.stderr.slice(-2000));
    // librdkafka silently sends uncompressed batches to brokers it believes cannot take the codec.
    assert.match(produced.stderr, new RegExp(`Produce MessageSet with \\d+ message\\(s\\) \\(.*, ${codec}\\)`), `kcat sent ${codec} batches`);
    assert.doesNotMatch(produced.stderr, /does not support compression/);
    const consumed = await kcat(['-b', broker.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-J'], undefined, 120_000);
    assert.equal(consumed.code, 0, consumed.stderr);
    const messages = parseJsonLines(consumed.stdout);
    assert.equal(messages.length, COUNT);
    for (let i = 0; i < COUNT; i++) {
      const m = messages[i];
      const [key, value] = lines[i].split('\t');
      if (m.offset !== i || m.key !== key || m.payload !== value) {
        assert.fail(`message ${i}: got offset ${m.offset} key ${m.key} value ${m.payload}`);
      }
    }
    assert.deepEqual(messages[0].headers, ['source', 'kcat', 'codec', codec]);
    assert.deepEqual(messages[COUNT - 1].headers, ['source', 'kcat', 'codec', codec]);
  });
}

test('kcat -Q finds offsets by timestamp', async () => {
  const topic = 'kcat-timestamps';
  // Three messages with explicit, increasing timestamps (kcat -P honours per-message timestamps only through JSON mode, so produce them one call at a time).
  const t0 = Date.now();
  for (let i = 0; i < 3; i++) {
    const r = await kcat(['-b', broker.bootstrap, '-P', '-t', topic], `m${i}\n`);
    assert.equal(r.code, 0, r.stderr);
    await new Promise((res) => setTimeout(res, 20));
  }
  const consumed = parseJsonLines((await kcat(['-b', broker.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-J'])).stdout);
  assert.equal(consumed.length, 3);
  const ts1 = consumed[1].ts;
  assert.ok(ts1 >= t0);
  const q = await kcat(['-b', broker.bootstrap, '-Q', '-t', `${topic}:0:${ts1}`]);
  assert.equal(q.code, 0, q.stderr);
  assert.match(q.stdout, new RegExp(`${topic} \\[0\\] offset 1\\b`));
  const past = await kcat(['-b', broker.bootstrap, '-Q', '-t', `${topic}:0:${consumed[2].ts + 60_000}`]);
  assert.match(past.stdout, new RegExp(`${topic} \\[0\\] offset -1\\b`));
});
