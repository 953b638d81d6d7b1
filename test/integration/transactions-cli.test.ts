// The `tributary transactions` commands, run as a user runs them (a child process): list (with
// state, producer id and duration filters, and --json), describe of a kafkajs transaction left
// open, describe-producers, and abort of a hanging transaction (a transactional batch whose marker
// never comes, appended straight to the partition): the last stable offset moves past it and a
// read_committed consumer gets the records behind it, without the aborted ones.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { kcat, parseJsonLines } from '../helpers/kcat.js';
import { buildBatch } from '../../src/protocol/records/batch-records.js';
import type { ListOffsetsResponse } from '../../src/protocol/generated/index.js';
import type { Partition } from '../../src/partition/partition.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../../bin/tributary.js', import.meta.url));

async function tributary(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, 'transactions', ...args, '-b', broker.bootstrap], { timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function ok(...args: string[]): Promise<string> {
  const r = await tributary(...args);
  assert.equal(r.code, 0, `transactions ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** A command that must fail: non-zero exit, one line on stderr matching `pattern`. */
async function fails(pattern: RegExp, ...args: string[]): Promise<void> {
  const r = await tributary(...args);
  assert.notEqual(r.code, 0, `transactions ${args.join(' ')} should fail:\n${r.stdout}`);
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line of error:\n${r.stderr}`);
  assert.match(r.stderr, pattern);
}

/** The table rows of a CLI output after its header line `first`, split on runs of spaces. */
function rows(output: string, first: string): string[][] {
  const lines = output.split('\n');
  const at = lines.findIndex((l) => l.startsWith(first));
  assert.ok(at >= 0, `no ${first} header in:\n${output}`);
  return lines.slice(at + 1).filter((l) => l.trim() !== '').map((l) => l.trim().split(/\s+/));
}

const OPEN_TOPIC = 'cli-txn';
const HANG_TOPIC = 'cli-hang';
const OPEN = 'cli-open';
const DONE = 'cli-done';

let broker: RunningBroker;
let openProducer: kafkajs.Producer;
let openTxn: kafkajs.Transaction;
let hang: Partition;

before(async () => {
  broker = await startBroker({ port: 0, config: { 'transaction.state.log.num.partitions': '3' } });
  const kafka = new kafkajs.Kafka({ brokers: [broker.bootstrap], logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: OPEN_TOPIC, numPartitions: 1 }, { topic: HANG_TOPIC, numPartitions: 1 }] });
  await admin.disconnect();
  const found = broker.partitionForTests(HANG_TOPIC, 0);
  assert.ok(found);
  hang = found;

  const done = kafka.producer({ transactionalId: DONE, maxInFlightRequests: 1, idempotent: true });
  await done.connect();
  const committed = await done.transaction();
  await committed.send({ topic: OPEN_TOPIC, messages: [{ value: 'd0' }] });
  await committed.commit();
  await done.disconnect();

  openProducer = kafka.producer({ transactionalId: OPEN, maxInFlightRequests: 1, idempotent: true });
  await openProducer.connect();
  openTxn = await openProducer.transaction();
  await openTxn.send({ topic: OPEN_TOPIC, messages: [{ value: 'o0' }, { value: 'o1' }, { value: 'o2' }] });
});
after(async () => {
  await openTxn.abort().catch(() => undefined);
  await openProducer.disconnect();
  await broker.stop();
});

test('list, describe and describe-producers show the open kafkajs transaction', async () => {
  const listing = rows(await ok('list'), 'TRANSACTIONAL-ID');
  assert.deepEqual(listing.map((r) => [r[0], r[1], r[3]]), [[DONE, '1', 'CompleteCommit'], [OPEN, '1', 'Ongoing']]);
  const openId = (listing.find((r) => r[0] === OPEN) as string[])[2];

  assert.deepEqual(rows(await ok('list', '--states', 'Ongoing'), 'TRANSACTIONAL-ID').map((r) => r[0]), [OPEN]);
  assert.deepEqual(rows(await ok('list', '--states', 'CompleteCommit,Empty'), 'TRANSACTIONAL-ID').map((r) => r[0]), [DONE]);
  assert.deepEqual(rows(await ok('list', '--producer-ids', openId), 'TRANSACTIONAL-ID').map((r) => r[0]), [OPEN]);
  assert.match(await ok('list', '--duration-filter', '3600000'), /^No transactions\.$/m, 'both started less than an hour ago');
  const unknown = await tributary('list', '--states', 'Bogus');
  assert.equal(unknown.code, 0);
  assert.match(unknown.stdout, /^No transactions\.$/m);
  assert.match(unknown.stderr, /Unknown transaction state\(s\) Bogus/);
  const json = JSON.parse(await ok('list', '--json', '--states', 'Ongoing')) as { transactions: { transactionalId: string; coordinator: number; producerId: number; state: string }[]; unknownStateFilters: string[] };
  assert.deepEqual(json, { transactions: [{ transactionalId: OPEN, coordinator: 1, producerId: Number(openId), state: 'Ongoing' }], unknownStateFilters: [] });
  await fails(/--producer-ids must be a whole number/, 'list', '--producer-ids', 'x');

  const described = rows(await ok('describe', OPEN), 'COORDINATOR');
  assert.equal(described.length, 1);
  const [coordinator, id, producerId, epoch, state, timeout, start, duration, partitions] = described[0];
  assert.deepEqual([coordinator, id, producerId, epoch, state, timeout, partitions], ['1', OPEN, openId, '0', 'Ongoing', '60000', `${OPEN_TOPIC}-0`]);
  assert.match(start, /^\d+$/);
  assert.match(duration, /^\d+$/);
  const describedJson = JSON.parse(await ok('describe', DONE, '--json')) as Record<string, unknown>;
  assert.deepEqual([describedJson.transactionalId, describedJson.state, describedJson.partitions, describedJson.coordinatorId], [DONE, 'CompleteCommit', [], 1]);
  await fails(/^transactional id never-seen: TRANSACTIONAL_ID_NOT_FOUND/m, 'describe', 'never-seen');

  // The committed transaction is at offset 0 and its marker at 1, so the open one starts at 2.
  const producers = rows(await ok('describe-producers', '--topic', OPEN_TOPIC, '--partition', '0'), 'PRODUCER-ID');
  const open = producers.find((r) => r[0] === openId);
  assert.ok(open, `the open producer is listed:\n${producers.join('\n')}`);
  assert.deepEqual([open[1], open[2], open[3], open[5]], ['0', '-1', '2', '2'], 'epoch 0, no marker yet, sequences 0-2, the transaction from offset 2');
  const committedRow = producers.find((r) => r[0] !== openId);
  assert.deepEqual(committedRow && [committedRow[3], committedRow[5]], ['0', '-'], 'the committed producer has no open transaction');
  const producersJson = JSON.parse(await ok('describe-producers', '--topic', OPEN_TOPIC, '--partition', '0', '--json')) as { producers: { producerId: number; currentTxnStartOffset: number }[] };
  assert.deepEqual(producersJson.producers.find((p) => p.producerId === Number(openId))?.currentTxnStartOffset, 2);
  await fails(/^topic cli-txn has no partition 5$/m, 'describe-producers', '--topic', OPEN_TOPIC, '--partition', '5');
  await fails(/UNKNOWN_TOPIC_OR_PARTITION/, 'describe-producers', '--topic', 'no-such-topic', '--partition', '0');
});

async function lastStableOffset(): Promise<bigint> {
  const c = await RawClient.open(broker.bootstrap);
  try {
    c.sendRequest(2, 5, 1, { replicaId: -1, isolationLevel: 1, topics: [{ name: HANG_TOPIC, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }] });
    const res = (await c.response(2, 5))?.body as ListOffsetsResponse;
    return res.topics[0].partitions[0].offset;
  } finally {
    c.close();
  }
}

async function readCommitted(): Promise<string[]> {
  const r = await kcat(['-b', broker.bootstrap, '-C', '-t', HANG_TOPIC, '-o', 'beginning', '-e', '-J', '-X', 'isolation.level=read_committed']);
  assert.equal(r.code, 0, r.stderr);
  return parseJsonLines(r.stdout).map((m) => String(m.payload));
}

const timestamp = Date.now();
const transactional = (producerId: bigint, producerEpoch: number, ...values: string[]) =>
  buildBatch(values.map((v) => ({ key: null, value: Buffer.from(v), timestamp })), { producerId, producerEpoch, baseSequence: 0, transactional: true });
const plain = async (value: string) => hang.append(await buildBatch([{ key: null, value: Buffer.from(value), timestamp }]), null);

test('abort ends a hanging transaction: the last stable offset moves past it, read_committed consumers read on', async () => {
  // Producer 9001 writes a transactional batch whose coordinator never sends a marker; a plain
  // record lands behind it and stays invisible to read_committed consumers.
  await hang.append(await transactional(9001n, 3, 'h0', 'h1'), null); // 0-1
  await plain('after-1'); // 2
  assert.equal(await lastStableOffset(), 0n);
  assert.deepEqual(await readCommitted(), []);

  const hanging = rows(await ok('describe-producers', '--topic', HANG_TOPIC, '--partition', '0'), 'PRODUCER-ID');
  assert.deepEqual(hanging.map((r) => [r[0], r[1], r[2], r[3], r[5]]), [['9001', '3', '-1', '1', '0']]);

  await fails(/--producer-id, --producer-epoch and --coordinator-epoch/, 'abort', '--topic', HANG_TOPIC, '--partition', '0', '--producer-id', '9001');
  await fails(/either --start-offset or all of/, 'abort', '--topic', HANG_TOPIC, '--partition', '0');
  await fails(/INVALID_PRODUCER_EPOCH/, 'abort', '--topic', HANG_TOPIC, '--partition', '0', '--producer-id', '9001', '--producer-epoch', '2', '--coordinator-epoch', '-1');
  assert.equal(await lastStableOffset(), 0n, 'a refused abort changes nothing');

  const aborted = await ok('abort', '--topic', HANG_TOPIC, '--partition', '0', '--producer-id', '9001', '--producer-epoch', '3', '--coordinator-epoch', '-1');
  assert.match(aborted, /Aborted the transaction of producer 9001 \(epoch 3\) on cli-hang-0/);
  // The ABORT marker is at 3: everything up to it is stable.
  assert.equal(await lastStableOffset(), 4n);
  assert.deepEqual(await readCommitted(), ['after-1'], 'the aborted records are dropped, the one behind them is read');
  const afterAbort = rows(await ok('describe-producers', '--topic', HANG_TOPIC, '--partition', '0'), 'PRODUCER-ID');
  assert.deepEqual(afterAbort.map((r) => [r[0], r[2], r[5]]), [['9001', '0', '-']], 'no open transaction; the marker took coordinator epoch 0');

  // A second hanging transaction, found by its start offset as kafka-transactions.sh --start-offset does.
  await hang.append(await transactional(9002n, 0, 'g0'), null); // 4
  await plain('after-2'); // 5
  assert.equal(await lastStableOffset(), 4n);
  await fails(/no open transaction starts at offset 5 on cli-hang-0/, 'abort', '--topic', HANG_TOPIC, '--partition', '0', '--start-offset', '5');
  const byOffset = JSON.parse(await ok('abort', '--topic', HANG_TOPIC, '--partition', '0', '--start-offset', '4', '--json')) as { aborted: Record<string, unknown> };
  assert.deepEqual(byOffset.aborted, { topic: HANG_TOPIC, partition: 0, producerId: 9002, producerEpoch: 0, coordinatorEpoch: 0 });
  assert.equal(await lastStableOffset(), 7n);
  assert.deepEqual(await readCommitted(), ['after-1', 'after-2']);
});
