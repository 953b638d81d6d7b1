// The TransactionCoordinator that drives the shards: loading a partition from its log, appending
// writes and turning failed appends into the client's error, sending markers again until each
// partition has one, waiting out CONCURRENT_TRANSACTIONS, and closing with work still pending.
// The log and the marker channel are in-memory seams; time is a ManualScheduler.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualScheduler } from '../../../../src/coordinator/scheduler.js';
import { TransactionCoordinator, type MarkerChannel, type TxnStateLog } from '../../../../src/coordinator/txn/transaction-coordinator.js';
import type { MarkerResult } from '../../../../src/coordinator/txn/markers.js';
import type { ReplayRecord } from '../../../../src/coordinator/txn/replay.js';
import type { MarkerWork, TxnLogRecord } from '../../../../src/coordinator/txn/writes.js';
import { ErrorCode, KafkaError } from '../../../../src/protocol/error-codes.js';
import { CONFIG } from './harness.js';

const TIMINGS = { abortTimedOutIntervalMs: 10_000, removeExpiredIntervalMs: 3_600_000, retryBackoffMs: 100, concurrentWaitMs: 1000 };
const ID = 'app-1';
const TP = { topic: 'out', partition: 0 };

class MemoryLog implements TxnStateLog {
  readonly records: TxnLogRecord[] = [];
  failWith: number | null = null;
  /** Appends wait for this before they land (a slow disk); null: at once. */
  gate: Promise<void> | null = null;

  async append(_partition: number, records: readonly TxnLogRecord[]): Promise<void> {
    if (this.gate) await this.gate;
    if (this.failWith !== null) throw new KafkaError(this.failWith, 'refused');
    this.records.push(...records);
  }

  async *read(): AsyncIterable<ReplayRecord> {
    for (const r of [...this.records]) yield r;
  }
}

class Markers implements MarkerChannel {
  readonly sent: MarkerWork[] = [];
  /** Codes to answer, one per round, before answering NONE. */
  failures: number[] = [];
  /** Rounds wait for this before they are answered (a slow partition leader); null: at once. */
  gate: Promise<void> | null = null;

  async write(work: MarkerWork): Promise<MarkerResult[]> {
    this.sent.push(work);
    if (this.gate) await this.gate;
    const code = this.failures.shift() ?? ErrorCode.NONE;
    return work.partitions.map((tp) => ({ ...tp, errorCode: code }));
  }
}

function rig(log = new MemoryLog()) {
  const scheduler = new ManualScheduler();
  const markers = new Markers();
  let next = 5000n;
  const reports: string[] = [];
  const coordinator = new TransactionCoordinator(CONFIG, scheduler, log, markers, { nextId: async () => next++ }, TIMINGS, (err, what) => reports.push(`${what}: ${String(err)}`));
  return { scheduler, log, markers, coordinator, reports };
}

/** Lets promise chains run (the in-memory seams resolve in microtasks and immediate turns). */
const settle = () => new Promise((r) => setImmediate(r));

async function openTransaction(c: TransactionCoordinator) {
  const init = await c.initProducerId({ transactionalId: ID, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
  assert.equal(init.errorCode, ErrorCode.NONE);
  const added = await c.addPartitions({ transactionalId: ID, producerId: init.producerId, producerEpoch: init.producerEpoch, partitions: [TP] });
  assert.equal(added.errorCode, ErrorCode.NONE);
  return init;
}

test('requests wait for the load, and a second coordinator replays what the first wrote', async () => {
  const r = rig();
  assert.equal((await r.coordinator.initProducerId({ transactionalId: ID, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 })).errorCode, ErrorCode.NOT_COORDINATOR);
  await r.coordinator.loadPartition(0, 0);
  const p = await openTransaction(r.coordinator);
  const second = rig(r.log);
  const loading = second.coordinator.loadPartition(0, 1);
  assert.equal(second.coordinator.owns(ID), 'loading');
  assert.equal((await second.coordinator.addPartitions({ transactionalId: ID, producerId: p.producerId, producerEpoch: p.producerEpoch, partitions: [TP] })).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  assert.equal(await loading, 'loaded');
  const view = second.coordinator.describe(ID);
  assert.ok(typeof view !== 'number');
  assert.equal(view.stateName, 'Ongoing');
  assert.deepEqual(view.partitions, [TP]);
  assert.equal(view.producerId, p.producerId);
});

test('a failed append answers the client with the coordinator error and changes nothing', async () => {
  const r = rig();
  await r.coordinator.loadPartition(0, 0);
  r.log.failWith = ErrorCode.NOT_LEADER_OR_FOLLOWER;
  const init = await r.coordinator.initProducerId({ transactionalId: ID, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
  assert.equal(init.errorCode, ErrorCode.NOT_COORDINATOR);
  r.log.failWith = ErrorCode.NOT_ENOUGH_REPLICAS;
  assert.equal((await r.coordinator.initProducerId({ transactionalId: ID, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 })).errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  assert.equal(r.log.records.length, 0);
  r.log.failWith = null;
  assert.equal((await r.coordinator.initProducerId({ transactionalId: ID, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 })).errorCode, ErrorCode.NONE);
});

test('markers refused with retriable errors are sent again after the backoff until the transaction completes', async () => {
  const r = rig();
  await r.coordinator.loadPartition(0, 0);
  const p = await openTransaction(r.coordinator);
  r.markers.failures = [ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.NOT_ENOUGH_REPLICAS];
  const end = await r.coordinator.endTxn({ transactionalId: ID, producerId: p.producerId, producerEpoch: p.producerEpoch, committed: true });
  assert.equal(end.errorCode, ErrorCode.NONE);
  await settle();
  assert.equal(r.markers.sent.length, 1);
  r.scheduler.advance(100);
  await settle();
  assert.equal(r.markers.sent.length, 2);
  r.scheduler.advance(100);
  await settle();
  await settle();
  assert.equal(r.markers.sent.length, 3);
  assert.ok(r.markers.sent.every((w) => w.committed && w.producerId === p.producerId && w.partitions.length === 1));
  const view = r.coordinator.describe(ID);
  assert.ok(typeof view !== 'number');
  assert.equal(view.stateName, 'CompleteCommit');
  assert.equal(r.reports.length, 0, 'retriable marker errors are not reported as failures');
});

test('the next AddPartitionsToTxn waits for the completion of the previous transaction instead of answering CONCURRENT_TRANSACTIONS', async () => {
  const r = rig();
  await r.coordinator.loadPartition(0, 0);
  const p = await openTransaction(r.coordinator);
  let release!: () => void;
  // The partition leader takes its time with the markers.
  r.markers.gate = new Promise<void>((res) => (release = res));
  assert.equal((await r.coordinator.endTxn({ transactionalId: ID, producerId: p.producerId, producerEpoch: p.producerEpoch, committed: true })).errorCode, ErrorCode.NONE);
  const next = r.coordinator.addPartitions({ transactionalId: ID, producerId: p.producerId, producerEpoch: p.producerEpoch, partitions: [TP] });
  await settle();
  const pending = r.coordinator.describe(ID);
  assert.ok(typeof pending !== 'number');
  assert.equal(pending.stateName, 'PrepareCommit', 'the request arrived while the markers were out');
  release();
  assert.equal((await next).errorCode, ErrorCode.NONE);
  const view = r.coordinator.describe(ID);
  assert.ok(typeof view !== 'number');
  assert.equal(view.stateName, 'Ongoing');
});

test('CONCURRENT_TRANSACTIONS is answered once the wait bound passes', async () => {
  const r = rig();
  await r.coordinator.loadPartition(0, 0);
  const p = await openTransaction(r.coordinator);
  r.markers.failures = Array.from({ length: 100 }, () => ErrorCode.NOT_LEADER_OR_FOLLOWER);
  await r.coordinator.endTxn({ transactionalId: ID, producerId: p.producerId, producerEpoch: p.producerEpoch, committed: true });
  const next = r.coordinator.addPartitions({ transactionalId: ID, producerId: p.producerId, producerEpoch: p.producerEpoch, partitions: [TP] });
  for (let i = 0; i < 11; i++) {
    r.scheduler.advance(100);
    await settle();
  }
  assert.equal((await next).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
  await r.coordinator.close();
});

test('close() ends marker retries and waits; the transaction stays prepared for the next load', async () => {
  const r = rig();
  await r.coordinator.loadPartition(0, 0);
  const p = await openTransaction(r.coordinator);
  r.markers.failures = Array.from({ length: 100 }, () => ErrorCode.NOT_LEADER_OR_FOLLOWER);
  await r.coordinator.endTxn({ transactionalId: ID, producerId: p.producerId, producerEpoch: p.producerEpoch, committed: false });
  await settle();
  await r.coordinator.close();
  const sent = r.markers.sent.length;
  r.scheduler.advance(10_000);
  await settle();
  assert.equal(r.markers.sent.length, sent, 'nothing is sent after close');
  const next = rig(r.log);
  await next.coordinator.loadPartition(0, 1);
  await settle();
  await settle();
  assert.equal(next.markers.sent.length, 1, 'the new coordinator resends the markers');
  assert.equal(next.markers.sent[0].committed, false);
  assert.equal(next.markers.sent[0].coordinatorEpoch, 1);
  const view = next.coordinator.describe(ID);
  assert.ok(typeof view !== 'number');
  assert.equal(view.stateName, 'CompleteAbort');
});
