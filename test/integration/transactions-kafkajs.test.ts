// Kafka transactions with kafkajs 2.2.4 (InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn,
// TxnOffsetCommit and EndTxn, all v1) against an in-process broker: committed records are read by
// read_committed consumers and aborted ones are not; offsets sent in a transaction land in the
// group only when it commits; a second producer with the same transactional id fences the first
// and aborts its open transaction; and transactions, their producer and the group's offsets carry
// on across a broker restart.
//
// Every end of a transaction writes one control batch (a marker) into each partition it touched,
// which takes an offset: the offsets asserted below count them, as Kafka does.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../helpers/broker.js';
import { tempDir } from '../helpers/storage.js';
import { waitUntil } from '../helpers/kcat-group.js';
import { errorChain, latestOffsets, readTopic, rejectsWithType, values, type Seen } from '../helpers/txn-reads.js';

const { Kafka, logLevel } = kafkajs;
type KafkaClient = InstanceType<typeof Kafka>;

const CONFIG = {
  'group.initial.rebalance.delay.ms': '0',
  'offsets.topic.num.partitions': '3',
  'transaction.state.log.num.partitions': '3',
};

let broker: RunningBroker;
let kafka: KafkaClient;

before(async () => {
  broker = await startBroker({ port: 0, config: CONFIG });
  kafka = client(broker.bootstrap);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: 'txn-two', numPartitions: 2 },
      { topic: 'txn-one', numPartitions: 1 },
      { topic: 'eos-in', numPartitions: 2 },
      { topic: 'eos-out', numPartitions: 2 },
      { topic: 'fence', numPartitions: 2 },
    ],
  });
  await admin.disconnect();
});
after(async () => {
  await broker.stop();
});

function client(bootstrap: string): KafkaClient {
  return new Kafka({ clientId: 'txn-test', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 1000 } });
}

/** A transactional producer as kafkajs' documentation sets one up (bounded retries, so a broken broker fails the test instead of hanging it). */
async function txnProducer(k: KafkaClient, transactionalId: string) {
  const producer = k.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 1000 } });
  await producer.connect();
  return producer;
}

/** A plain record at the end of each partition: a consumer that has read it has read everything before it. */
async function sendSentinels(k: KafkaClient, targets: [string, number][]): Promise<void> {
  const producer = k.producer();
  await producer.connect();
  await producer.sendBatch({ topicMessages: targets.map(([topic, partition]) => ({ topic, messages: [{ value: `end-${topic}-${partition}`, partition }] })) });
  await producer.disconnect();
}

/**
 * Reads `topics` in consumer group `groupId` until every sentinel has arrived; returns what each
 * partition delivered, in delivery order, as `offset:value`, keyed `topic/partition`.
 */
async function consumeUntilSentinels(k: KafkaClient, groupId: string, topics: string[], sentinels: number, readUncommitted: boolean): Promise<Map<string, string[]>> {
  const consumer = k.consumer({ groupId, readUncommitted, maxWaitTimeInMs: 100 });
  const seen = new Map<string, string[]>();
  let ends = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const value = message.value?.toString() ?? '';
        const key = `${topic}/${partition}`;
        seen.set(key, [...(seen.get(key) ?? []), `${message.offset}:${value}`]);
        if (value.startsWith('end-')) ends++;
      },
    });
    await waitUntil(() => ends >= sentinels, `consumer ${groupId} to read all ${sentinels} sentinels`);
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

test('a committed transaction over 2 topics / 3 partitions is read, an aborted one is not (read_committed); read_uncommitted reads both', { timeout: 90_000 }, async () => {
  const targets: [string, number][] = [['txn-two', 0], ['txn-two', 1], ['txn-one', 0]];
  const producer = await txnProducer(kafka, 'txn-a');
  const batch = (tag: string, count: number) => ({
    topicMessages: ['txn-two', 'txn-one'].map((topic) => ({
      topic,
      messages: targets.filter(([t]) => t === topic).flatMap(([, partition]) => Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `${tag}-${topic}-${partition}-${i}`, partition }))),
    })),
  });
  try {
    const t1 = await producer.transaction();
    await t1.sendBatch(batch('c1', 2)); // offsets 0-1 of each partition
    await t1.commit(); // marker at 2
    const t2 = await producer.transaction();
    await t2.sendBatch(batch('a2', 2)); // 3-4
    await t2.abort(); // marker at 5
    const t3 = await producer.transaction();
    await t3.send({ topic: 'txn-two', messages: [{ value: 'c3-txn-two-0-0', partition: 0 }, { value: 'c3-txn-two-1-0', partition: 1 }] }); // 6
    await t3.send({ topic: 'txn-one', messages: [{ value: 'c3-txn-one-0-0', partition: 0 }] }); // 6

    // While t3 is open its records are past the last stable offset: read_committed stops before them.
    assert.deepEqual(await latestOffsets(broker.bootstrap, 'txn-two', [0, 1], 1), [6, 6], 'the LSO is the first offset of the open transaction');
    assert.deepEqual(await latestOffsets(broker.bootstrap, 'txn-two', [0, 1], 0), [7, 7], 'the high watermark is past it');
    assert.deepEqual(values(await readTopic(broker.bootstrap, 'txn-one', 'read_committed')), ['c1-txn-one-0-0', 'c1-txn-one-0-1'], 'an open transaction is not read_committed');
    assert.deepEqual(values(await readTopic(broker.bootstrap, 'txn-one', 'read_uncommitted')), ['c1-txn-one-0-0', 'c1-txn-one-0-1', 'a2-txn-one-0-0', 'a2-txn-one-0-1', 'c3-txn-one-0-0']);
    await t3.commit(); // marker at 7
  } finally {
    await producer.disconnect();
  }
  await sendSentinels(kafka, targets); // 8
  for (const [topic] of targets) assert.deepEqual(await latestOffsets(broker.bootstrap, topic, [0], 1), [9], `${topic}: three markers and six records before the sentinel`);

  const committed = (topic: string, p: number) => [`0:c1-${topic}-${p}-0`, `1:c1-${topic}-${p}-1`, `6:c3-${topic}-${p}-0`, `8:end-${topic}-${p}`];
  const everything = (topic: string, p: number) => [`0:c1-${topic}-${p}-0`, `1:c1-${topic}-${p}-1`, `3:a2-${topic}-${p}-0`, `4:a2-${topic}-${p}-1`, `6:c3-${topic}-${p}-0`, `8:end-${topic}-${p}`];
  const expect = (f: (topic: string, p: number) => string[]) => new Map(targets.map(([topic, p]) => [`${topic}/${p}`, f(topic, p)]));

  const rc = await consumeUntilSentinels(kafka, 'txn-rc', ['txn-two', 'txn-one'], 3, false);
  assert.deepEqual(new Map([...rc].sort()), new Map([...expect(committed)].sort()), 'read_committed: exactly the committed records, in offset order, no aborted one');
  const ru = await consumeUntilSentinels(kafka, 'txn-ru', ['txn-two', 'txn-one'], 3, true);
  assert.deepEqual(new Map([...ru].sort()), new Map([...expect(everything)].sort()), 'read_uncommitted: the committed and the aborted records, no marker');

  // librdkafka agrees, read_committed and read_uncommitted.
  const asKcat = (f: (topic: string, p: number) => string[], topic: string, parts: number[]): Seen[] => parts.flatMap((p) => f(topic, p).map((s) => `${p}:${s}`));
  assert.deepEqual(await readTopic(broker.bootstrap, 'txn-two', 'read_committed'), asKcat(committed, 'txn-two', [0, 1]));
  assert.deepEqual(await readTopic(broker.bootstrap, 'txn-two', 'read_uncommitted'), asKcat(everything, 'txn-two', [0, 1]));
  assert.deepEqual(await readTopic(broker.bootstrap, 'txn-one', 'read_committed'), asKcat(committed, 'txn-one', [0]));
});

test('consume-transform-produce with sendOffsets: offsets commit with the transaction, an aborted one leaves them unchanged', { timeout: 90_000 }, async () => {
  const GROUP = 'eos-group';
  const seed = kafka.producer();
  await seed.connect();
  const input = (from: number, count: number, partition: number) => Array.from({ length: count }, (_, i) => ({ key: `k${from + i}`, value: `in-${partition}-${from + i}`, partition }));
  await seed.send({ topic: 'eos-in', messages: [...input(0, 10, 0), ...input(0, 10, 1)] });

  const producer = await txnProducer(kafka, 'eos-txn');
  /** What a transaction of the loop failed with: the test stops waiting at once and reports it. */
  let loopError: unknown = null;
  /** One transaction per batch the consumer hands over: the transformed records and the batch's next offset, committed together. */
  const runLoop = async () => {
    const consumer = kafka.consumer({ groupId: GROUP, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topics: ['eos-in'], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const txn = await producer.transaction().catch((err: unknown) => {
          loopError ??= err;
          throw err;
        });
        try {
          await txn.send({ topic: 'eos-out', messages: batch.messages.map((m) => ({ key: m.key, value: `out(${m.value?.toString() ?? ''})`, partition: batch.partition })) });
          await txn.sendOffsets({ consumerGroupId: GROUP, topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: String(Number(batch.lastOffset()) + 1) }] }] });
          await txn.commit();
        } catch (err) {
          loopError ??= err;
          if (txn.isActive()) await txn.abort().catch(() => undefined);
          throw err;
        }
      },
    });
    return consumer;
  };
  const expected = (partition: number, to: number) => Array.from({ length: to }, (_, i) => `out(in-${partition}-${i})`);
  const pollUntil = async (cond: () => Promise<boolean>, what: string) => {
    const deadline = Date.now() + 30_000;
    while (!(await cond())) {
      if (loopError !== null) throw new Error(`the consume-transform-produce loop failed: ${errorChain(loopError).text}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const outValues = async (partition: number) =>
    (await readTopic(broker.bootstrap, 'eos-out', 'read_committed')).filter((s) => s.startsWith(`${partition}:`)).map((s) => s.split(':').slice(2).join(':'));
  const admin = kafka.admin();
  await admin.connect();
  const groupOffsets = async () => (await admin.fetchOffsets({ groupId: GROUP, topics: ['eos-in'] }))[0].partitions.map((p) => [p.partition, p.offset]).sort();
  try {
    let consumer = await runLoop();
    await pollUntil(async () => (await readTopic(broker.bootstrap, 'eos-out', 'read_committed')).length >= 20, 'the 20 transformed records to be committed');
    await consumer.disconnect();
    assert.deepEqual(await outValues(0), expected(0, 10));
    assert.deepEqual(await outValues(1), expected(1, 10));
    // Visible once the last transaction's marker reaches __consumer_offsets, just after its commit.
    await pollUntil(async () => JSON.stringify(await groupOffsets()) === JSON.stringify([[0, '10'], [1, '10']]), 'the offsets sent in the transactions to be committed');

    // An aborted transaction's records and offsets come to nothing, also while it is open.
    const txn = await producer.transaction();
    await txn.send({ topic: 'eos-out', messages: [{ value: 'aborted', partition: 0 }] });
    await txn.sendOffsets({ consumerGroupId: GROUP, topics: [{ topic: 'eos-in', partitions: [{ partition: 0, offset: '3' }, { partition: 1, offset: '4' }] }] });
    assert.deepEqual(await groupOffsets(), [[0, '10'], [1, '10']], 'offsets of an open transaction are not committed yet');
    await txn.abort();
    assert.deepEqual(await groupOffsets(), [[0, '10'], [1, '10']], 'an aborted transaction leaves the group\'s offsets unchanged');
    assert.deepEqual(await outValues(0), expected(0, 10), 'and its record is not read_committed');

    // The group resumes at the transactional offsets: only the new input is processed.
    await seed.send({ topic: 'eos-in', messages: input(10, 3, 0) });
    consumer = await runLoop();
    await pollUntil(async () => (await outValues(0)).length >= 13, 'the 3 new records to be transformed');
    await consumer.disconnect();
    assert.deepEqual(await outValues(0), expected(0, 13), 'nothing before the committed offset is processed again');
    assert.deepEqual(await outValues(1), expected(1, 10));
    await pollUntil(async () => JSON.stringify(await groupOffsets()) === JSON.stringify([[0, '13'], [1, '10']]), 'the new offsets to be committed');
  } finally {
    await admin.disconnect();
    await producer.disconnect();
    await seed.disconnect();
  }
});

test('a second producer with the same transactional id fences the first and aborts its open transaction', { timeout: 90_000 }, async () => {
  const zombie = await txnProducer(kafka, 'fenced-id');
  const successor = await txnProducer(client(broker.bootstrap), 'fenced-id');
  try {
    const open = await zombie.transaction();
    await open.send({ topic: 'fence', messages: [{ value: 'zombie-0', partition: 0 }] });

    const t = await successor.transaction(); // InitProducerId: bumps the epoch and aborts the zombie's transaction
    await t.send({ topic: 'fence', messages: [{ value: 'successor-0', partition: 0 }] });
    await t.commit();

    // kafkajs speaks v1 of every transactional API, where Kafka answers a fenced producer with
    // INVALID_PRODUCER_EPOCH (PRODUCER_FENCED, code 90, is only for newer versions, and kafkajs does not know it).
    await rejectsWithType(open.send({ topic: 'fence', messages: [{ value: 'zombie-1', partition: 0 }] }), 'INVALID_PRODUCER_EPOCH', 'Produce at the old epoch');
    await rejectsWithType(open.send({ topic: 'fence', messages: [{ value: 'zombie-2', partition: 1 }] }), 'INVALID_PRODUCER_EPOCH', 'AddPartitionsToTxn at the old epoch');
    await rejectsWithType(open.sendOffsets({ consumerGroupId: 'fence-group', topics: [{ topic: 'fence', partitions: [{ partition: 0, offset: '1' }] }] }), 'INVALID_PRODUCER_EPOCH', 'AddOffsetsToTxn at the old epoch');
    await rejectsWithType(open.commit(), 'INVALID_PRODUCER_EPOCH', 'EndTxn at the old epoch');

    // The successor goes on committing.
    const t2 = await successor.transaction();
    await t2.send({ topic: 'fence', messages: [{ value: 'successor-1', partition: 1 }] });
    await t2.commit();
  } finally {
    await zombie.disconnect();
    await successor.disconnect();
  }
  // p0: zombie-0 (0), the abort marker (1), successor-0 (2), its commit marker (3); p1: successor-1 (0), marker (1).
  assert.deepEqual(await readTopic(broker.bootstrap, 'fence', 'read_committed'), ['0:2:successor-0', '1:0:successor-1'], 'the zombie\'s records are aborted');
  assert.deepEqual(await readTopic(broker.bootstrap, 'fence', 'read_uncommitted'), ['0:0:zombie-0', '0:2:successor-0', '1:0:successor-1']);
  assert.deepEqual(await latestOffsets(broker.bootstrap, 'fence', [0, 1], 1), [4, 2], 'nothing is left open: the LSO is the high watermark');
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchOffsets({ groupId: 'fence-group', topics: ['fence'] });
    assert.deepEqual(offsets[0].partitions.map((p) => p.offset), ['-1', '-1'], 'the fenced producer committed no offsets');
  } finally {
    await admin.disconnect();
  }
});

test('across broker restarts the producer goes on, committed data and group offsets survive, and an open transaction is aborted by the next producer', { timeout: 120_000 }, async () => {
  const { dir, cleanup } = await tempDir('tributary-txn-restart-');
  const GROUP = 'restart-group';
  let b = await startBroker({ port: 0, dataDir: dir, config: CONFIG });
  const port = b.port;
  const k = client(b.bootstrap);
  const restart = async () => {
    await b.stop();
    b = await startBroker({ port, dataDir: dir, config: CONFIG });
  };
  const producer = await txnProducer(k, 'restart-txn');
  let successor: Awaited<ReturnType<typeof txnProducer>> | null = null;
  const admin = k.admin();
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'rs-out', numPartitions: 2 }, { topic: 'rs-in', numPartitions: 1 }] });
    const groupOffset = async () => (await admin.fetchOffsets({ groupId: GROUP, topics: ['rs-in'] }))[0].partitions.map((p) => p.offset);
    // EndTxn is answered once the commit is logged; the offsets become visible when the marker
    // reaches their partition, a moment later (as in Kafka: clients wait with require_stable).
    const groupOffsetBecomes = async (expected: string[], what?: string) => {
      let got = await groupOffset();
      for (const deadline = Date.now() + 10_000; got.join() !== expected.join() && Date.now() < deadline; got = await groupOffset()) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(got, expected, what);
    };
    const inTxn = async (p: Awaited<ReturnType<typeof txnProducer>>, tag: string, offset: string) => {
      const t = await p.transaction();
      await t.send({ topic: 'rs-out', messages: [{ value: `${tag}-0`, partition: 0 }, { value: `${tag}-1`, partition: 1 }] });
      await t.sendOffsets({ consumerGroupId: GROUP, topics: [{ topic: 'rs-in', partitions: [{ partition: 0, offset }] }] });
      return t;
    };

    await (await inTxn(producer, 'r1', '5')).commit();
    await restart();
    assert.deepEqual(values(await readTopic(b.bootstrap, 'rs-out', 'read_committed')), ['r1-0', 'r1-1'], 'committed records survive the restart');
    assert.deepEqual(await groupOffset(), ['5'], 'so do the offsets committed by the transaction');

    // The same producer (same id and epoch, kept by the coordinator's log) goes on.
    await (await inTxn(producer, 'r2', '8')).commit();
    await groupOffsetBecomes(['8']);

    // A transaction open at the restart: once a new producer with the id initialises, it is aborted
    // and read_committed consumers get past it.
    const open = await inTxn(producer, 'r3', '9');
    await restart();
    successor = await txnProducer(k, 'restart-txn');
    await (await inTxn(successor, 'r4', '11')).commit();
    await rejectsWithType(open.send({ topic: 'rs-out', messages: [{ value: 'late', partition: 0 }] }), 'INVALID_PRODUCER_EPOCH', 'the producer from before the restart is fenced (Produce)');
    await rejectsWithType(open.commit(), 'INVALID_PRODUCER_EPOCH', 'the producer from before the restart is fenced (EndTxn)');
    assert.deepEqual(values(await readTopic(b.bootstrap, 'rs-out', 'read_committed')), ['r1-0', 'r2-0', 'r4-0', 'r1-1', 'r2-1', 'r4-1']);
    assert.deepEqual(values(await readTopic(b.bootstrap, 'rs-out', 'read_uncommitted')), ['r1-0', 'r2-0', 'r3-0', 'r4-0', 'r1-1', 'r2-1', 'r3-1', 'r4-1']);
    await groupOffsetBecomes(['11'], 'the aborted transaction\'s offset (9) never lands');

    // And all of it survives one more restart.
    await restart();
    assert.deepEqual(values(await readTopic(b.bootstrap, 'rs-out', 'read_committed')), ['r1-0', 'r2-0', 'r4-0', 'r1-1', 'r2-1', 'r4-1']);
    // A stop right after EndTxn is answered may come before the markers' completion is logged;
    // the restarted coordinator then writes the markers again, as Kafka's does, so the offsets
    // may hold an extra marker: only "nothing left open" is asserted.
    assert.deepEqual(await latestOffsets(b.bootstrap, 'rs-out', [0, 1], 1), await latestOffsets(b.bootstrap, 'rs-out', [0, 1], 0), 'no transaction is left open');
    assert.deepEqual(await groupOffset(), ['11']);
  } finally {
    await admin.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await successor?.disconnect().catch(() => undefined);
    await b.stop();
    await cleanup();
  }
});
