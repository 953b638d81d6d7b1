// Debian's segmentio/kafka-go 0.2.1 (golang-github-segmentio-kafka-go-dev), built from
// test/go/kafkago-check, against an in-process broker. kafka-go never sends ApiVersions and
// hard-codes old versions: Produce v2 and Fetch v2 carry message format 1 (no headers), so the
// broker up-converts what it writes and down-converts what it reads. Every request goes through
// a recording proxy; the last test checks each (API, version) it sent is one the broker serves.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningBroker } from '../helpers/broker.js';
import { startRecordedBroker, type ApiVersionRecorder, formatUses, servedVersions, unserved } from '../helpers/api-version-recorder.js';
import { events, runGo, toJsonLines } from '../helpers/go-programs.js';
import { assertConsumed, assertKcatCopy, kafkajsCommitted, sampleMessages } from '../helpers/go-fixtures.js';
import { kcatRecords } from '../helpers/kcat.js';

let broker: RunningBroker;
let recorder: ApiVersionRecorder;
let stop: () => Promise<void>;

before(async () => {
  ({ broker, recorder, stop } = await startRecordedBroker());
});
after(() => stop());

function kafkaGo(scenario: string, args: string[], input = '') {
  recorder.label = 'kafka-go 0.2.1';
  return runGo('kafkago-check', ['-broker', recorder.bootstrap, '-scenario', scenario, ...args], input);
}

async function createTopic(topic: string, partitions: number): Promise<void> {
  const res = await kafkaGo('create', ['-topic', topic, '-partitions', String(partitions)]);
  const [create, listed] = events(res, 'step');
  assert.deepEqual([create.step, create.error], ['create', null]);
  assert.deepEqual(listed.partitions, Array.from({ length: partitions }, (_, i) => i), 'Conn.ReadPartitions lists the new partitions');
}

for (const codec of ['gzip', 'none']) {
  test(`kafka-go Writer (${codec}) and group Reader round trip: content, order, counts, commits; kcat reads the same`, async () => {
    const topic = `kafkago-${codec}`;
    const group = `kafkago-${codec}-group`;
    await createTopic(topic, 3);
    const messages = sampleMessages(90, 3, { headers: false, tag: topic });
    const written = events(await kafkaGo('write', ['-topic', topic, '-codec', codec], toJsonLines(messages)), 'written');
    assert.deepEqual(written.map((w) => [w.count, w.error]), [[90, null]]);
    recorder.label = 'kcat';
    assertKcatCopy(await kcatRecords(broker.bootstrap, topic), messages, { headers: false, what: `${topic} stored` });
    const read = await kafkaGo('read-group', ['-topic', topic, '-group', group, '-expect', '90']);
    assert.deepEqual(read.lines.filter((l) => l.event !== 'consumed'), [], `no errors; stderr: ${read.stderr.slice(-2000)}`);
    const consumed = events(read, 'consumed');
    const ordered = [...consumed].sort((x, y) => Number(x.partition) - Number(y.partition) || Number(x.offset) - Number(y.offset));
    // Headers: message format 1 has none; everything else must be identical, except that kafka-go
    // 0.2.1 decodes a zero-length value as nil (readNewBytes), so the empty value reads as null
    // (kcat above and Sarama's Fetch v3 test show the broker sends it as empty, not null).
    assertConsumed(ordered, messages, { headers: false, emptyAsNull: true, what: `kafka-go group Reader (${codec})` });
    for (const p of [0, 1, 2]) {
      const offsets = consumed.filter((c) => c.partition === p).map((c) => c.offset);
      assert.deepEqual(offsets, Array.from({ length: 30 }, (_, i) => i), `partition ${p} read in offset order`);
    }
    recorder.label = 'kafkajs';
    assert.deepEqual([...(await kafkajsCommitted(broker.bootstrap, group, topic))].sort(), [[0, 30], [1, 30], [2, 30]], 'ReadMessage committed every message');
  });
}

test('kafka-go Conn.ReadOffset(time), ReadFirstOffset and ReadLastOffset', async () => {
  const topic = 'kafkago-by-time';
  await createTopic(topic, 2);
  const messages = sampleMessages(40, 2, { headers: false, tag: topic });
  const written = events(await kafkaGo('write', ['-topic', topic, '-codec', 'gzip'], toJsonLines(messages)), 'written');
  assert.deepEqual(written.map((w) => w.error), [null]);
  const times = messages.flatMap((m) => [m.timestamp, m.timestamp - 1]);
  const last = messages[messages.length - 1].timestamp;
  times.push(last + 1);
  const res = await kafkaGo('offsets', ['-topic', topic, '-partitions', '2', '-times', times.join(',')]);
  const got = events(res, 'offset');
  assert.deepEqual(got.filter((o) => o.error !== null), [], 'no errors');
  for (const partition of [0, 1]) {
    const mine = messages.filter((m) => m.partition === partition);
    const firstOffset = (t: number) => {
      const i = mine.findIndex((m) => m.timestamp >= t);
      return i < 0 ? -1 : i;
    };
    const expected = [['first', null, 0], ['last', null, mine.length], ...times.map((t) => ['time', t, firstOffset(t)])];
    assert.deepEqual(got.filter((o) => o.partition === partition).map((o) => [o.query, o.time ?? null, o.offset]), expected, `partition ${partition}`);
  }
});

test('every (API, version) kafka-go sent is one the broker serves (listed below)', async (t) => {
  recorder.label = 'table';
  const uses = recorder.uses().filter((u) => u.client.startsWith('kafka-go'));
  for (const line of `kafka-go 0.2.1 sent (through the recording proxy):\n${formatUses(uses)}`.split('\n')) t.diagnostic(line);
  const sent = new Set(uses.map((u) => `${u.name} v${u.apiVersion}`));
  for (const expected of ['Produce v2', 'Fetch v2', 'ListOffsets v1', 'Metadata v1', 'CreateTopics v0', 'FindCoordinator v0', 'JoinGroup v1', 'SyncGroup v0', 'OffsetFetch v1', 'OffsetCommit v2']) {
    assert.ok(sent.has(expected), `recorded ${expected}`);
  }
  assert.ok(!sent.has('ApiVersions v0'), 'kafka-go 0.2.1 never sends ApiVersions');
  assert.deepEqual(unserved(uses, await servedVersions(broker.bootstrap)), [], 'every version sent is advertised');
});
