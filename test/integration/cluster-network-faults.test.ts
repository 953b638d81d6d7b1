// Network faults without root: each broker's etcd link and inbound link (from its peers) go
// through proxies of the test's own (ProcessCluster faultLinks), while the test writes straight to
// a broker's real port with raw frames and reads every error code it answers.
//
// A: the leader loses its peers (inbound black-holed), etcd still reachable. With
//    min.insync.replicas=2 it acknowledges nothing more: REQUEST_TIMED_OUT until
//    replica.lag.time.max.ms drops the followers from the ISR, NOT_ENOUGH_REPLICAS from then on.
//    Healed, the followers catch up and rejoin the ISR.
// B: the leader loses etcd and its peers at once. Its lease lapses, the controller elects another
//    replica; the old leader, still believing it leads, cannot acknowledge acks=all writes (its
//    ISR is frozen with followers that left it). Healed, it follows the new leader and truncates
//    what it appended alone: its log ends up equal to the new leader's, byte for byte.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { ProcessCluster } from '../helpers/process-cluster.js';
import { RawProducer, partitionSeenBy, type PartitionView } from '../helpers/raw-producer.js';
import { until, logBytes, untilCopiesAgree, probeCheck } from '../helpers/cluster-waits.js';
import { kcat } from '../helpers/kcat.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';

const { Kafka, logLevel } = kafkajs;

const CONFIG = {
  'broker.session.timeout.ms': '1000',
  'broker.heartbeat.interval.ms': '200',
  'replica.lag.time.max.ms': '1500',
  'replica.fetch.wait.max.ms': '100',
  'replica.fetch.backoff.ms': '100',
  'replica.socket.timeout.ms': '2000',
  // The last broker of a cluster that stops has nobody to hand its leaderships to: no waiting for that.
  'controlled.shutdown.retry.backoff.ms': '100',
};
/** A write the leader cannot commit answers within this (shorter than replica.lag.time.max.ms). */
const SHORT_TIMEOUT_MS = 300;

let cluster: ProcessCluster;
before(async () => {
  cluster = await ProcessCluster.start({ brokers: 3, config: CONFIG, faultLinks: true });
});
after(async () => {
  cluster.healAll();
  await cluster.close();
});

async function createTopic(topic: string): Promise<void> {
  const kafka = new Kafka({ brokers: cluster.bootstrap, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
  } finally {
    await admin.disconnect();
  }
}

/** How broker `seenBy` sees the partition, once `accept` holds for it. */
function stateWhen(topic: string, seenBy: number, what: string, accept: (p: PartitionView) => boolean): Promise<PartitionView> {
  return until(what, async () => {
    const p = await partitionSeenBy(cluster.address(seenBy), topic);
    return p && accept(p) ? p : null;
  }, cluster);
}

/** Answers given before anything is appended: the same record may be sent again. */
const REFUSED_BEFORE_APPEND = [ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.NOT_ENOUGH_REPLICAS];
/** Answers given after the append, the write not acknowledged: the record may yet be committed. */
const APPENDED_NOT_ACKNOWLEDGED = [ErrorCode.REQUEST_TIMED_OUT, ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND];

/**
 * Writes `value` with acks=all through `producer` until a write is acknowledged, noting it in
 * `record`. A refusal before the append is retried with the same record. A write appended but
 * not acknowledged (a follower slow to fetch on a loaded machine) is not sent again, which would
 * put it in the log twice: it is noted as unacknowledged (at most once in the log) and the next
 * attempt writes a fresh value. Any other answer, or a request that fails, ends the test.
 */
async function produceAcknowledged(producer: RawProducer, topic: string, value: string, record: Written): Promise<void> {
  let attempt = 0;
  let current = value;
  await until(`${value} acknowledged`, async () => {
    const answer = await producer.produce(topic, 0, current, -1, 5000).catch((err: unknown) => ({ errorCode: -1, failure: String(err) }));
    if (answer.errorCode === ErrorCode.NONE) {
      record.acknowledged.push(current);
      return true;
    }
    if (REFUSED_BEFORE_APPEND.includes(answer.errorCode)) return null;
    probeCheck(APPENDED_NOT_ACKNOWLEDGED.includes(answer.errorCode), `${current}: error ${answer.errorCode}${'failure' in answer ? ` (${answer.failure})` : ''}`);
    record.unacknowledged.push(current);
    current = `${value}-again-${++attempt}`;
    return null;
  }, cluster);
}

/** Every record of the topic's partition 0, read through the cluster (kcat), as "offset value". */
async function readAll(topic: string): Promise<{ offset: number; value: string }[]> {
  const { stdout } = await kcat(['-C', '-b', cluster.bootstrap.join(','), '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%o %s\\n']);
  return stdout.split('\n').filter((l) => l !== '').map((l) => {
    const [offset, value] = l.split(' ');
    return { offset: Number(offset), value };
  });
}

function countOf(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

interface Written {
  topic: string;
  acknowledged: string[];
  /** Records the broker refused before appending (NOT_ENOUGH_REPLICAS): never in the log. */
  refused: string[];
  /** Records appended by an isolated leader and never acknowledged: truncated away. */
  truncated: string[];
  /** Records appended and not acknowledged by a leader that kept its leadership: in the log once or not at all. */
  unacknowledged: string[];
}
const written: Written[] = [];

test('A: a leader cut off from its peers acknowledges nothing once its followers lag (NOT_ENOUGH_REPLICAS) and takes them back when healed', { timeout: 120_000 }, async () => {
  const topic = 'isolated-from-peers';
  await createTopic(topic);
  const start = await stateWhen(topic, 1, 'a leader with all three in sync', (p) => p.leader > 0 && p.isr.length === 3);
  const leader = start.leader;
  const other = cluster.nodeIds.find((id) => id !== leader) ?? -1;
  const record: Written = { topic, acknowledged: [], refused: [], truncated: [], unacknowledged: [] };
  written.push(record);
  const producer = await RawProducer.open(cluster.address(leader));
  try {
    for (let i = 0; i < 5; i++) {
      await produceAcknowledged(producer, topic, `a-before-${i}`, record);
    }

    cluster.links(leader).inbound.blackhole();
    const answers: { value: string; errorCode: number }[] = [];
    await until('NOT_ENOUGH_REPLICAS three times from the isolated leader', async () => {
      const value = `a-during-${answers.length}`;
      const answer = await producer.produce(topic, 0, value, -1, SHORT_TIMEOUT_MS);
      answers.push({ value, errorCode: answer.errorCode });
      probeCheck(answer.errorCode !== ErrorCode.NONE, `the isolated leader acknowledged ${value}`);
      return answers.filter((a) => a.errorCode === ErrorCode.NOT_ENOUGH_REPLICAS).length >= 3 ? true : null;
    }, cluster);
    const codes = answers.map((a) => a.errorCode);
    assert.equal(codes[0], ErrorCode.REQUEST_TIMED_OUT, `before replica.lag.time.max.ms the write times out (answers: ${codes.join(',')})`);
    const firstRefusal = codes.indexOf(ErrorCode.NOT_ENOUGH_REPLICAS);
    // The write under way when the ISR shrank may be committed by the shrink alone: NOT_ENOUGH_REPLICAS_AFTER_APPEND.
    for (const c of codes.slice(0, firstRefusal)) assert.ok(c === ErrorCode.REQUEST_TIMED_OUT || c === ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, `answers before the refusal: ${codes.join(',')}`);
    assert.ok(codes.slice(firstRefusal).every((c) => c === ErrorCode.NOT_ENOUGH_REPLICAS), `once the ISR shrank, every write is refused: ${codes.join(',')}`);
    record.refused.push(...answers.filter((a) => a.errorCode === ErrorCode.NOT_ENOUGH_REPLICAS).map((a) => a.value));
    record.unacknowledged.push(...answers.filter((a) => APPENDED_NOT_ACKNOWLEDGED.includes(a.errorCode)).map((a) => a.value));
    const shrunk = await stateWhen(topic, other, 'the ISR without the followers', (p) => p.isr.length === 1);
    assert.deepEqual(shrunk.isr, [leader]);
    assert.equal(shrunk.leader, leader, 'with etcd reachable the leader keeps its leadership');

    cluster.links(leader).inbound.restore();
    await stateWhen(topic, other, 'the followers back in the ISR', (p) => p.isr.length === 3 && p.leader === leader);
    for (let i = 0; i < 5; i++) {
      await produceAcknowledged(producer, topic, `a-after-${i}`, record);
    }
  } finally {
    producer.close();
  }
});

test('B: a leader cut off from etcd and its peers is replaced, cannot acknowledge meanwhile, and truncates what it took alone when it returns', { timeout: 120_000 }, async () => {
  const topic = 'isolated-from-all';
  await createTopic(topic);
  const start = await stateWhen(topic, 1, 'a leader with all three in sync', (p) => p.leader > 0 && p.isr.length === 3);
  const oldLeader = start.leader;
  const witness = cluster.nodeIds.find((id) => id !== oldLeader) ?? -1;
  const record: Written = { topic, acknowledged: [], refused: [], truncated: [], unacknowledged: [] };
  written.push(record);
  const toOld = await RawProducer.open(cluster.address(oldLeader));
  let toNew: RawProducer | null = null;
  try {
    for (let i = 0; i < 5; i++) {
      await produceAcknowledged(toOld, topic, `b-before-${i}`, record);
    }

    cluster.links(oldLeader).etcd.blackhole();
    cluster.links(oldLeader).inbound.blackhole();
    // Write to the isolated leader until another one is elected, and a few times after that.
    let elected: PartitionView | null = null;
    let writesAfterElection = 0;
    await until('a new leader elected while the old one keeps taking writes', async () => {
      const value = `b-isolated-${record.truncated.length}`;
      const answer = await toOld.produce(topic, 0, value, -1, SHORT_TIMEOUT_MS);
      probeCheck(answer.errorCode !== ErrorCode.NONE, `the isolated leader acknowledged ${value}`);
      // It still leads in its own eyes (it never heard otherwise): it appends, and the write times out.
      probeCheck(answer.errorCode === ErrorCode.REQUEST_TIMED_OUT, `${value}: error ${answer.errorCode}, not REQUEST_TIMED_OUT`);
      record.truncated.push(value);
      if (elected) writesAfterElection++;
      else {
        const seen = await partitionSeenBy(cluster.address(witness), topic);
        if (seen && seen.leader > 0 && seen.leader !== oldLeader && seen.leaderEpoch > start.leaderEpoch) elected = seen;
      }
      return writesAfterElection >= 3 ? true : null;
    }, cluster);
    const newState = elected as PartitionView | null;
    assert.ok(newState);
    assert.ok(!newState.isr.includes(oldLeader), `the old leader left the ISR: ${newState.isr.join(',')}`);
    const newLeader = newState.leader;
    toNew = await RawProducer.open(cluster.address(newLeader));
    for (let i = 0; i < 5; i++) {
      await produceAcknowledged(toNew, topic, `b-new-${i}`, record);
    }
    const still = await toOld.produce(topic, 0, 'b-isolated-last', -1, SHORT_TIMEOUT_MS);
    assert.notEqual(still.errorCode, ErrorCode.NONE, 'the isolated leader acknowledged a write after the election');
    if (still.errorCode === ErrorCode.REQUEST_TIMED_OUT) record.truncated.push('b-isolated-last');

    cluster.links(oldLeader).etcd.restore();
    cluster.links(oldLeader).inbound.restore();
    await stateWhen(topic, oldLeader, 'the old leader following the new one', (p) => p.leader === newLeader && p.leaderEpoch >= newState.leaderEpoch);
    await stateWhen(topic, newLeader, 'the old leader back in the ISR', (p) => p.isr.length === 3);
    for (let i = 0; i < 3; i++) {
      await produceAcknowledged(toNew, topic, `b-after-${i}`, record);
    }
    const refusedNow = await toOld.produce(topic, 0, 'b-to-follower', -1, SHORT_TIMEOUT_MS);
    assert.equal(refusedNow.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER, 'the old leader now follows');
  } finally {
    toOld.close();
    toNew?.close();
  }
});

test('after both faults: acknowledged records once each, refused and truncated ones gone, every copy identical byte for byte', { timeout: 120_000 }, async () => {
  assert.equal(written.length, 2, 'tests A and B ran');
  for (const w of written) {
    await stateWhen(w.topic, 1, `${w.topic} fully in sync`, (p) => p.isr.length === 3);
    const records = await until(`${w.topic} read back`, async () => {
      const got = await readAll(w.topic);
      return got.length >= w.acknowledged.length ? got : null;
    }, cluster);
    const counts = countOf(records.map((r) => r.value));
    assert.deepEqual(w.acknowledged.filter((v) => counts.get(v) !== 1), [], `${w.topic}: acknowledged records missing or duplicated`);
    assert.deepEqual(w.refused.filter((v) => counts.has(v)), [], `${w.topic}: records refused with NOT_ENOUGH_REPLICAS are in the log`);
    assert.deepEqual(w.truncated.filter((v) => counts.has(v)), [], `${w.topic}: records the isolated leader took alone survived`);
    assert.deepEqual(w.unacknowledged.filter((v) => (counts.get(v) ?? 0) > 1), [], `${w.topic}: records appended once are in the log more than once`);
    assert.deepEqual(records.map((r) => r.offset), records.map((_, i) => i), `${w.topic}: offsets contiguous from 0`);
  }
  for (const w of written) await untilCopiesAgree(cluster, w.topic, [0]);
  for (const id of cluster.nodeIds) await cluster.stopBroker(id);
  for (const w of written) {
    const copies = await Promise.all(cluster.nodeIds.map((id) => logBytes(join(cluster.dataDir(id), `${w.topic}-0`))));
    for (const [i, c] of copies.entries()) assert.ok(c.equals(copies[0]), `${w.topic}: broker ${i + 1}'s copy differs from broker 1's (${c.length} vs ${copies[0].length} bytes)`);
  }
});
