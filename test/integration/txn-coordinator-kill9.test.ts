// The transaction coordinator killed -9 between EndTxn and the last marker. Two brokers as child
// processes: A coordinates the transactional id, B leads the data partition. Once the producer
// has written its records, B's inbound link is cut, so after the commit (answered by A once
// PrepareCommit is logged) A's WriteTxnMarkers cannot reach B; A is then killed -9 with the
// transaction half-completed. After B's link heals and A restarts, A replays __transaction_state,
// sends the markers again, the partition's last stable offset moves past the records, and a
// read_committed consumer reads each once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { ProcessCluster } from '../helpers/process-cluster.js';
import { askBroker, waitUntil } from '../helpers/cluster-admin.js';
import { consumeCommitted } from '../helpers/txn-reads.js';
import type { FindCoordinatorResponse, ListOffsetsResponse } from '../../src/protocol/generated/index.js';

const { Kafka, logLevel } = kafkajs;
const TOPIC = 'kill9-coord';
const TXN_ID = 'kill9-coord-producer';
const CONFIG = {
  'transaction.state.log.num.partitions': '1',
  'transaction.state.log.replication.factor': '1',
  'offsets.topic.replication.factor': '1',
  'replica.fetch.wait.max.ms': '50',
};

let cluster: ProcessCluster;
before(async () => {
  cluster = await ProcessCluster.start({ brokers: 2, config: CONFIG, faultLinks: true });
});
after(async () => {
  await cluster.close();
});

async function coordinatorOf(): Promise<number> {
  for (const address of cluster.bootstrap) {
    const r = await askBroker<FindCoordinatorResponse>(address, 10, 2, { key: TXN_ID, keyType: 1 }).catch(() => null);
    if (r && r.errorCode === 0) return r.nodeId;
  }
  return -1;
}

/** Asked at the broker's own port (past its proxy): ListOffsets with the isolation level given. */
async function endOffset(nodeId: number, isolationLevel: 0 | 1): Promise<bigint> {
  const r = await askBroker<ListOffsetsResponse>(cluster.address(nodeId), 2, 2, { replicaId: -1, isolationLevel, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, timestamp: -1n }] }] });
  return r.topics[0].partitions[0].offset;
}

test('a coordinator killed -9 with its markers unwritten completes the transaction after it restarts', { timeout: 120_000 }, async () => {
  let coordinator = -1;
  await waitUntil('the transactional id has a coordinator', async () => (coordinator = await coordinatorOf()) > 0);
  const leader = coordinator === 1 ? 2 : 1;
  const kafka = new Kafka({ brokers: cluster.bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, replicaAssignment: [{ partition: 0, replicas: [leader] }] }], waitForLeaders: true });
  await admin.disconnect();

  const producer = kafka.producer({ transactionalId: TXN_ID, maxInFlightRequests: 1, idempotent: true });
  await producer.connect();
  const txn = await producer.transaction();
  await txn.send({ topic: TOPIC, messages: ['one', 'two', 'three'].map((value) => ({ value })) });
  cluster.links(leader).inbound.cut();
  await txn.commit(); // A logged PrepareCommit; its markers to B are refused from now on
  await producer.disconnect().catch(() => undefined);
  assert.equal(await endOffset(leader, 0), 3n, 'the three records are on the leader');
  assert.equal(await endOffset(leader, 1), 0n, 'and not stable: no marker reached it');

  await cluster.kill(coordinator);
  cluster.links(leader).inbound.restore();
  assert.equal(await endOffset(leader, 1), 0n, 'nobody else completes the transaction while the coordinator is down');
  await cluster.startBroker(coordinator);
  await waitUntil('the restarted coordinator wrote the COMMIT marker', async () => (await endOffset(leader, 1).catch(() => -1n)) === 4n, 60_000);

  assert.deepEqual(await consumeCommitted(kafka, TOPIC, 'kill9-coord-reader', 3), ['0:one', '0:two', '0:three']);
  assert.equal(await endOffset(leader, 0), 4n, 'one marker, written once');
});
