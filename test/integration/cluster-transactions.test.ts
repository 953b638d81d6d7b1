// Transactions on a three-broker cluster: the coordinator of a transactional id is the leader of
// its __transaction_state partition, and the transaction's partitions are led by all three
// brokers, so markers go out as WriteTxnMarkers to peers and produce verification asks the
// coordinator across brokers. A kafkajs producer commits and aborts; read_committed sees exactly
// the committed records. Then the coordinator's broker is stopped (its partitions move), the
// same producer carries on with the new coordinator, and nothing committed is lost.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { startCluster, type RunningCluster } from '../../src/broker/cluster.js';
import { askBroker, waitUntil } from '../helpers/cluster-admin.js';
import { consumeCommitted } from '../helpers/txn-reads.js';
import type { FindCoordinatorResponse } from '../../src/protocol/generated/index.js';

const { Kafka, logLevel } = kafkajs;
const TOPIC = 'cluster-txn';
const TXN_ID = 'cluster-txn-producer';
const CONFIG = {
  'offsets.topic.num.partitions': '3',
  'transaction.state.log.num.partitions': '3',
  'group.initial.rebalance.delay.ms': '0',
  'replica.fetch.wait.max.ms': '50',
  'controlled.shutdown.retry.backoff.ms': '100',
};

let cluster: RunningCluster;
before(async () => {
  cluster = await startCluster({ brokers: 3, config: CONFIG });
});
after(async () => {
  await cluster.stop();
});

const kafkaOf = () => new Kafka({ brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } });

/** Everything read_committed, as values, sorted (a new group each time, 500 ms more for anything aborted to show). */
async function readCommitted(expected: number): Promise<string[]> {
  return (await consumeCommitted(kafkaOf(), TOPIC, `reader-${Date.now()}`, expected, 500)).map((s) => s.slice(s.indexOf(':') + 1)).sort();
}

async function coordinatorOf(): Promise<number> {
  const r = await askBroker<FindCoordinatorResponse>(cluster.bootstrap.split(',')[0], 10, 2, { key: TXN_ID, keyType: 1 });
  return r.errorCode === 0 ? r.nodeId : -1;
}

test('commit and abort across partitions led by three brokers, then across a coordinator move', async () => {
  const kafka = kafkaOf();
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3, replicationFactor: 3 }], waitForLeaders: true });
  const meta = await admin.fetchTopicMetadata({ topics: [TOPIC] });
  const leaders = new Set(meta.topics[0].partitions.map((p) => p.leader));
  assert.equal(leaders.size, 3, 'each broker leads one partition');
  await admin.disconnect();

  const producer = kafka.producer({ transactionalId: TXN_ID, maxInFlightRequests: 1, idempotent: true });
  await producer.connect();
  const send = async (tag: string, commit: boolean) => {
    const txn = await producer.transaction();
    await txn.send({ topic: TOPIC, messages: [0, 1, 2].map((partition) => ({ partition, value: `${tag}-${partition}` })) });
    await (commit ? txn.commit() : txn.abort());
  };
  await send('c1', true);
  await send('a1', false);
  await send('c2', true);
  assert.deepEqual(await readCommitted(6), ['c1-0', 'c1-1', 'c1-2', 'c2-0', 'c2-1', 'c2-2']);

  // The coordinator's broker goes; its __transaction_state partition moves to a follower, which
  // replays it; the producer finds the new coordinator and continues at the same epoch.
  const coordinator = await coordinatorOf();
  assert.ok(coordinator > 0, 'the transactional id has a coordinator');
  await cluster.stopBroker(coordinator);
  await waitUntil('another broker coordinates the id', async () => {
    const now = await coordinatorOf();
    return now > 0 && now !== coordinator;
  });
  await send('c3', true);
  await send('a2', false);
  await producer.disconnect();
  await cluster.startBroker(coordinator);
  assert.deepEqual(await readCommitted(9), ['c1-0', 'c1-1', 'c1-2', 'c2-0', 'c2-1', 'c2-2', 'c3-0', 'c3-1', 'c3-2']);
});
