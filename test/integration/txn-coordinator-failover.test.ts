// A coordinator that fails between PrepareCommit and its markers: the transaction must still
// complete. Two brokers; the data partition's leader refuses WriteTxnMarkers (the connection is
// closed on them), so the committed transaction stays in PrepareCommit with its records below the
// last stable offset. Stopping the coordinator's broker moves __transaction_state to the other
// broker, which replays it, finds the PrepareCommit and writes the markers itself: the LSO moves
// past the records and a read_committed consumer reads them, once each.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../../src/broker/broker.js';
import { startEtcd, type EtcdServer } from '../helpers/etcd.js';
import { askBroker, waitUntil } from '../helpers/cluster-admin.js';
import { consumeCommitted } from '../helpers/txn-reads.js';
import type { Dispatcher } from '../../src/server/dispatch.js';
import type { FindCoordinatorResponse, ListOffsetsResponse } from '../../src/protocol/generated/index.js';

const { Kafka, logLevel } = kafkajs;
const TOPIC = 'failover-txn';
const TXN_ID = 'failover-producer';
const WRITE_TXN_MARKERS = 27;

let etcd: EtcdServer;
const brokers = new Map<number, RunningBroker>();
/** Brokers that close the connection on WriteTxnMarkers instead of answering. */
const refusing = new Set<number>();

function refuseMarkersOn(nodeId: number): (next: Dispatcher) => Dispatcher {
  return (next) => (frame, services, session, log, closed) => {
    if (refusing.has(nodeId) && frame.readInt16BE(0) === WRITE_TXN_MARKERS) return { responseBytesEstimate: 0, answer: Promise.resolve({ kind: 'close' }) };
    return next(frame, services, session, log, closed);
  };
}

before(async () => {
  etcd = await startEtcd();
  const prefix = `/tributary/txn-failover-${randomBytes(4).toString('hex')}`;
  for (const nodeId of [1, 2]) {
    const broker = await startBroker({
      port: 0,
      nodeId,
      wrapDispatcher: refuseMarkersOn(nodeId),
      config: {
        'tributary.metadata.etcd.endpoints': etcd.endpoint,
        'tributary.metadata.etcd.prefix': prefix,
        'transaction.state.log.num.partitions': '1',
        'transaction.state.log.replication.factor': '2',
        'transaction.state.log.min.isr': '1',
        'replica.fetch.wait.max.ms': '50',
        'controlled.shutdown.retry.backoff.ms': '100',
      },
    });
    brokers.set(nodeId, broker);
  }
});
after(async () => {
  for (const b of brokers.values()) await b.stop();
  await etcd.stop();
});

const bootstrap = () => [...brokers.values()].map((b) => b.bootstrap);

async function coordinatorOf(): Promise<number> {
  const r = await askBroker<FindCoordinatorResponse>(bootstrap()[0], 10, 2, { key: TXN_ID, keyType: 1 });
  return r.errorCode === 0 ? r.nodeId : -1;
}

async function lastStableOffset(at: RunningBroker): Promise<bigint> {
  const r = await askBroker<ListOffsetsResponse>(at.bootstrap, 2, 2, { replicaId: -1, isolationLevel: 1, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, timestamp: -1n }] }] });
  return r.topics[0].partitions[0].offset;
}

test('a transaction whose markers did not go out before its coordinator stopped is completed by the next coordinator', async () => {
  let coordinator = -1;
  await waitUntil('the transactional id has a coordinator', async () => (coordinator = await coordinatorOf()) > 0);
  const other = coordinator === 1 ? 2 : 1;
  const kafka = new Kafka({ brokers: bootstrap(), logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } });
  const admin = kafka.admin();
  await admin.connect();
  // The data partition is led by the broker that is not the coordinator, so its markers go over the wire.
  await admin.createTopics({ topics: [{ topic: TOPIC, replicaAssignment: [{ partition: 0, replicas: [other] }] }], waitForLeaders: true });
  await admin.disconnect();
  refusing.add(other);

  const producer = kafka.producer({ transactionalId: TXN_ID, maxInFlightRequests: 1, idempotent: true });
  await producer.connect();
  const txn = await producer.transaction();
  await txn.send({ topic: TOPIC, messages: [{ value: 'one' }, { value: 'two' }, { value: 'three' }] });
  await txn.commit(); // answered once PrepareCommit is durable; the markers are refused
  await producer.disconnect();
  const dataLeader = brokers.get(other) as RunningBroker;
  assert.equal(await lastStableOffset(dataLeader), 0n, 'no marker was written: the records are not stable yet');

  await brokers.get(coordinator)?.stop();
  brokers.delete(coordinator);
  await waitUntil('the other broker completed the transaction', async () => (await lastStableOffset(dataLeader)) === 4n);

  assert.deepEqual(await consumeCommitted(kafka, TOPIC, 'failover-reader', 3), ['0:one', '0:two', '0:three']);
});
