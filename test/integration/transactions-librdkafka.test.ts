// Kafka transactions with confluent-kafka-python 1.7.0 on librdkafka 2.0.2 (Debian's
// python3-confluent-kafka), run as a child process (test/python/txn_confluent.py) against an
// in-process broker: init_transactions, commit_transaction and abort_transaction,
// send_offsets_to_transaction with the consumer's group metadata, and fencing by a second
// producer. librdkafka takes other request versions than kafkajs (InitProducerId v4, EndTxn v1,
// TxnOffsetCommit v3 with the member's generation and id). What is committed is read back with
// kcat under read_committed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { latestOffsets, readTopic } from '../helpers/txn-reads.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../../../test/python/txn_confluent.py', import.meta.url));
const { Kafka, logLevel } = kafkajs;

let broker: RunningBroker;
let kafka: InstanceType<typeof Kafka>;

before(async () => {
  broker = await startBroker({ port: 0, config: { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '3', 'transaction.state.log.num.partitions': '3' } });
  kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: 'py-txn', numPartitions: 3 },
      { topic: 'py-in', numPartitions: 3 },
      { topic: 'py-out', numPartitions: 3 },
      { topic: 'py-fence', numPartitions: 1 },
    ],
  });
  await admin.disconnect();
});
after(async () => {
  await broker.stop();
});

/** Runs one scenario of the Python program; its last stdout line is its JSON report. */
function runScenario<T>(...args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [SCRIPT, broker.bootstrap, ...args], { timeout: 90_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`txn_confluent.py ${args.join(' ')} failed (${err.message}):\n${stderr}\n${stdout}`));
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as T);
      } catch {
        reject(new Error(`txn_confluent.py ${args.join(' ')} printed no report:\n${stdout}\n${stderr}`));
      }
    });
  });
}

test('commit_transaction and abort_transaction: read_committed reads exactly the committed records', { timeout: 120_000 }, async () => {
  await runScenario('commit-abort', 'py-txn', '3');
  // Per partition: c1 at 0-1, its marker at 2, a2 at 3-4, the abort marker at 5, c3 at 6, its marker at 7.
  const committed = [0, 1, 2].flatMap((p) => [`${p}:0:c1-${p}-0`, `${p}:1:c1-${p}-1`, `${p}:6:c3-${p}-0`]);
  const all = [0, 1, 2].flatMap((p) => [`${p}:0:c1-${p}-0`, `${p}:1:c1-${p}-1`, `${p}:3:a2-${p}-0`, `${p}:4:a2-${p}-1`, `${p}:6:c3-${p}-0`]);
  assert.deepEqual(await readTopic(broker.bootstrap, 'py-txn', 'read_committed'), committed);
  assert.deepEqual(await readTopic(broker.bootstrap, 'py-txn', 'read_uncommitted'), all);
  assert.deepEqual(await latestOffsets(broker.bootstrap, 'py-txn', [0, 1, 2], 1), [8, 8, 8], 'no transaction is left open');
});

test('send_offsets_to_transaction with consumer_group_metadata(): offsets commit with the transaction, not with an aborted one', { timeout: 120_000 }, async () => {
  const PER_PARTITION = 12;
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'py-in', messages: [0, 1, 2].flatMap((p) => Array.from({ length: PER_PARTITION }, (_, i) => ({ key: `k${i}`, value: `in-${p}-${i}`, partition: p }))) });
  await producer.disconnect();

  const report = await runScenario<{ processed: number; transactions: number; committed: Record<string, number> }>('eos', 'py-in', 'py-out', 'py-eos', String(3 * PER_PARTITION));
  assert.equal(report.processed, 3 * PER_PARTITION);
  assert.ok(report.transactions >= 2, `the records went through ${report.transactions} transaction(s); batches of at most 7 need several`);
  assert.deepEqual(report.committed, { '0': PER_PARTITION, '1': PER_PARTITION, '2': PER_PARTITION }, 'the consumer sees the offsets of the committed transactions, not the aborted rewind');

  const out = await readTopic(broker.bootstrap, 'py-out', 'read_committed');
  for (const p of [0, 1, 2]) {
    const got = out.filter((s) => s.startsWith(`${p}:`)).map((s) => s.split(':').slice(2).join(':'));
    assert.deepEqual(got, Array.from({ length: PER_PARTITION }, (_, i) => `out(in-${p}-${i})`), `partition ${p} holds each input once, in order, and not the aborted record`);
  }
  const uncommitted = await readTopic(broker.bootstrap, 'py-out', 'read_uncommitted');
  assert.ok(uncommitted.some((s) => s.endsWith(':aborted')), 'the aborted record was written (and is only invisible to read_committed)');

  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchOffsets({ groupId: 'py-eos', topics: ['py-in'] });
    assert.deepEqual(offsets[0].partitions.map((p) => [p.partition, p.offset]).sort(), [[0, '12'], [1, '12'], [2, '12']], 'the group\'s committed offsets, as another client reads them');
  } finally {
    await admin.disconnect();
  }
});

test('a second producer with the same transactional.id fences the first; its open transaction is aborted', { timeout: 120_000 }, async () => {
  const report = await runScenario<{ fenced: boolean; name?: string; fatal?: boolean; text?: string }>('fence', 'py-fence');
  assert.equal(report.fenced, true, 'the first producer could not commit after the second initialised');
  assert.equal(report.fatal, true, `librdkafka treats fencing as fatal (${report.name}: ${report.text})`);
  assert.match(report.name ?? '', /FENCED|INVALID_PRODUCER_EPOCH/, `a fencing error, got ${report.name}: ${report.text}`);
  assert.deepEqual(await readTopic(broker.bootstrap, 'py-fence', 'read_committed'), ['0:2:successor'], 'zombie (0) was aborted (marker at 1); successor (2) committed');
  const [lso] = await latestOffsets(broker.bootstrap, 'py-fence', [0], 1);
  const [hw] = await latestOffsets(broker.bootstrap, 'py-fence', [0], 0);
  assert.equal(lso, hw, 'nothing is left open');
});
