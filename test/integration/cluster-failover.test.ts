// Failover under load: three brokers (child processes) on a real etcd, an idempotent kafkajs
// producer writing with acks=all to an RF=3 topic with min.insync.replicas=2, while the test kills
// the partition's leader with SIGKILL round after round (FAILOVER_ROUNDS, 20 by default) and
// starts it again. Afterwards every acknowledged record is there exactly once, in the order it
// was acknowledged, a consumer reading meanwhile (kcat, librdkafka without a group, so no
// rebalance re-delivers anything) saw offsets only move forward and each offset always with the
// same record, and the three copies of the log are identical byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import kafkajs from 'kafkajs';
import { ProcessCluster } from '../helpers/process-cluster.js';
import { kcat } from '../helpers/kcat.js';
import { bounded, logBytes, untilCopiesAgree } from '../helpers/cluster-waits.js';

const { Kafka, logLevel } = kafkajs;
const ROUNDS = Number(process.env.FAILOVER_ROUNDS ?? 20);
const TOPIC = 'failover';
// Generous: under a loaded machine a client's reconnect backoff alone can take ten seconds.
const BOUND_MS = 120_000;
/** What the kcat watcher said on stderr and whether it exited (for a failure message). */
const watcher: string[] = [];

const CONFIG = {
  'broker.session.timeout.ms': '1000',
  'broker.heartbeat.interval.ms': '200',
  'replica.fetch.wait.max.ms': '100',
  'replica.fetch.backoff.ms': '100',
  'offsets.topic.num.partitions': '3',
  'group.initial.rebalance.delay.ms': '0',
  // The last broker to stop has nobody to hand its leaderships to: it need not retry for 15 s.
  'controlled.shutdown.retry.backoff.ms': '100',
};

/** What each running broker says about the topic (kcat -L), for a failure message. */
async function describe(cluster: ProcessCluster): Promise<string> {
  const views = await Promise.all(
    cluster.nodeIds.filter((id) => cluster.isRunning(id)).map(async (id) => `broker ${id}: ${(await kcat(['-b', cluster.address(id), '-L', '-t', TOPIC], undefined, 5000).catch((err: Error) => ({ stdout: err.message }))).stdout.trim()}`),
  );
  return `${views.join('\n')}\nkcat watcher: ${watcher.slice(-10).join(' ').trim() || '(nothing on stderr, running)'}`;
}

async function until<T>(what: string, probe: () => Promise<T | null>, cluster: ProcessCluster): Promise<T> {
  const deadline = Date.now() + BOUND_MS;
  for (;;) {
    const got = await probe().catch(() => null);
    if (got !== null) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${await describe(cluster)}\n${cluster.nodeIds.map((id) => `--- broker ${id}\n${cluster.logTail(id, 30)}`).join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test(`failover under load: ${ROUNDS} leader kills lose no acknowledged record and duplicate none`, { timeout: 600_000 }, async (t) => {
  const cluster = await ProcessCluster.start({ brokers: 3, config: CONFIG });
  t.after(() => cluster.close());
  const kafka = new Kafka({ brokers: cluster.bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 100, initialRetryTime: 50, maxRetryTime: 500 } });
  const admin = kafka.admin();
  let producing = true;
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
    const metadataOf = async () => (await admin.fetchTopicMetadata({ topics: [TOPIC] })).topics[0].partitions[0];

    // The producer writes one record at a time (ids in order) and notes each acknowledgement.
    // kafkajs's idempotent producer is dead once it got OUT_OF_ORDER_SEQUENCE_NUMBER after a
    // failed send (tulios/kafkajs#598: it does not reset its sequence, as Java's and librdkafka's
    // epoch bump does): after three failures in a row it is replaced by a new one (a new producer
    // id), and the errors are reported with the test.
    const newProducer = async () => {
      const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: { retries: 1000, initialRetryTime: 50, maxRetryTime: 300 } });
      await p.connect();
      cleanups.push(() => p.disconnect());
      return p;
    };
    let producer = await newProducer();
    const acknowledged: string[] = [];
    const producerErrors: string[] = [];
    const sentAgain = new Set<string>();
    /** Where and when each record was acknowledged, to name a lost one. */
    const acknowledgedAt = new Map<string, string>();
    let replaced = 0;
    const producing$ = (async () => {
      let failuresInARow = 0;
      for (let i = 0; producing; i++) {
        try {
          const [answer] = await producer.send({ topic: TOPIC, acks: -1, timeout: 5000, messages: [{ value: `r${i}` }] });
          acknowledged.push(`r${i}`);
          acknowledgedAt.set(`r${i}`, `offset ${answer?.baseOffset} at ${Date.now()}`);
          failuresInARow = 0;
        } catch (err) {
          producerErrors.push(String(err));
          // A failed send's outcome is unknown (it may be in the log): the record is sent again.
          sentAgain.add(`r${i}`);
          i--;
          if (++failuresInARow >= 3 && producing) {
            const old = producer;
            producer = await newProducer();
            replaced++;
            failuresInARow = 0;
            void old.disconnect().catch(() => undefined);
          }
        }
      }
    })();
    t.after(() => {
      if (producerErrors.length > 0) t.diagnostic(`producer errors (${producerErrors.length}, producer replaced ${replaced} times): ${[...new Set(producerErrors)].slice(0, 10).join(' | ')}`);
    });

    // A consumer reads meanwhile (librdkafka follows leader changes by itself): offsets only move
    // forward. Should kcat exit, it is started again after the last offset it printed (and says so).
    const consumed: { offset: number; value: string }[] = [];
    let watching = true;
    let follower: ChildProcess;
    let followerDone: Promise<void> = Promise.resolve();
    const watch = (from: string) => {
      const child = spawn('kcat', ['-C', '-b', cluster.bootstrap.join(','), '-t', TOPIC, '-p', '0', '-o', from, '-u', '-q', '-f', '%o %s\\n', '-X', 'topic.metadata.refresh.interval.ms=200'], { stdio: ['ignore', 'pipe', 'pipe'] });
      follower = child;
      let pending = '';
      child.stdout.on('data', (chunk: Buffer) => {
        pending += chunk.toString('utf8');
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          const [offset, value] = line.split(' ');
          consumed.push({ offset: Number(offset), value });
        }
      });
      child.stderr.on('data', (chunk: Buffer) => watcher.push(chunk.toString('utf8')));
      followerDone = new Promise<void>((resolve) =>
        child.once('exit', (code, signal) => {
          watcher.push(`[kcat exited: code ${code}, signal ${signal}]`);
          resolve();
          if (watching) watch(consumed.length === 0 ? 'beginning' : String(consumed[consumed.length - 1].offset + 1));
        }),
      );
    };
    watch('beginning');
    cleanups.push(async () => {
      watching = false;
      follower.kill('SIGKILL');
    });

    for (let round = 1; round <= ROUNDS; round++) {
      const before = acknowledged.length;
      const state = await until('a leader with all three replicas in sync', async () => {
        const p = await metadataOf();
        return p.leader >= 0 && p.isr.length === 3 ? p : null;
      }, cluster);
      await until('some records acknowledged by this leader', async () => (acknowledged.length > before + 5 ? true : null), cluster);
      await cluster.kill(state.leader);
      const afterKill = acknowledged.length;
      await until(`a record acknowledged after killing leader ${state.leader} (round ${round})`, async () => (acknowledged.length > afterKill ? true : null), cluster);
      const moved = await metadataOf();
      assert.notEqual(moved.leader, state.leader, `round ${round}: the killed broker still leads`);
      await cluster.startBroker(state.leader);
    }
    producing = false;
    await producing$;
    await producer.disconnect();

    // Everything caught up: the consumer has read every acknowledged record.
    await until('all replicas in sync at the end', async () => ((await metadataOf()).isr.length === 3 ? true : null), cluster);
    await until('the consumer to read everything acknowledged', async () => (consumed.length >= acknowledged.length ? true : null), cluster).catch((err: Error) => {
      const read = new Set(consumed.map((c) => c.value));
      const missing = acknowledged.filter((v) => !read.has(v)).slice(0, 5);
      throw new Error(`${err.message}\nacknowledged but not read: ${missing.map((v) => `${v} (${acknowledgedAt.get(v)})`).join(', ')}`);
    });
    watching = false;
    follower!.kill('SIGTERM');
    await followerDone;
    for (let i = 1; i < consumed.length; i++) assert.ok(consumed[i].offset > consumed[i - 1].offset, `the consumer went back from offset ${consumed[i - 1].offset} to ${consumed[i].offset}`);

    // Read the whole log again from the start: every acknowledged record exactly once, in order.
    const values: string[] = [];
    const reader = kafka.consumer({ groupId: 'failover-audit', maxWaitTimeInMs: 100 });
    await reader.connect();
    await reader.subscribe({ topics: [TOPIC], fromBeginning: true });
    const offsets: number[] = [];
    await reader.run({ eachMessage: async ({ message }) => void (values.push(message.value?.toString() ?? ''), offsets.push(Number(message.offset))) });
    await until('the audit read', async () => (values.length >= acknowledged.length ? true : null), cluster);
    await reader.disconnect();
    const counts = new Map<string, number>();
    for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
    const lost = acknowledged.filter((v) => !counts.has(v));
    // Only a record whose send failed and was sent again may be there twice (once per attempt).
    const duplicated = [...counts].filter(([v, n]) => n > 1 && !(sentAgain.has(v) && n === 2)).map(([v]) => v);
    assert.deepEqual(lost, [], 'acknowledged records lost');
    assert.deepEqual(duplicated, [], 'records written twice');
    const wasAcknowledged = new Set(acknowledged);
    const order = [...new Set(values.filter((v) => wasAcknowledged.has(v)))];
    assert.deepEqual(order, acknowledged, 'acknowledged records out of order');
    assert.deepEqual(offsets, offsets.map((_, i) => offsets[0] + i), 'offsets are contiguous');
    assert.ok(acknowledged.length > ROUNDS * 5, `only ${acknowledged.length} records acknowledged`);
    // What the follower saw at each offset is what is in the log there.
    for (const c of consumed) assert.equal(c.value, values[c.offset - offsets[0]], `offset ${c.offset} changed its record`);
    await untilCopiesAgree(cluster, TOPIC, [0]);
  } finally {
    producing = false;
    // Clients of a failed run may be retrying against stopped brokers: their cleanup is bounded.
    for (const c of cleanups) await bounded(c());
    await bounded(admin.disconnect());
    for (const id of cluster.nodeIds) await cluster.stopBroker(id);
  }
  const copies = await Promise.all(cluster.nodeIds.map((id) => logBytes(join(cluster.dataDir(id), `${TOPIC}-0`))));
  for (const [i, c] of copies.entries()) assert.ok(c.equals(copies[0]), `broker ${i + 1}'s copy differs from broker 1's (${c.length} vs ${copies[0].length} bytes)`);
});
