// Transactional offset commits in the group coordinator (TxnOffsetCommit, KIP-98/447): pending per
// (group, producer) until completeTransaction, committed or dropped by the marker, ordered against
// plain commits by their place in the log, replayed from __consumer_offsets with their markers, and
// kept from expiry while open. An in-memory __consumer_offsets and a manual clock; no sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualScheduler } from '../../../src/coordinator/scheduler.js';
import { GroupCoordinator, type CoordinatorConfig, type KeyValue, type OffsetsLogEntry, type OffsetsTopic, type TxnOffsetCommit, type TxnProducer } from '../../../src/coordinator/group/coordinator.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';
import { appendMarker, appendRecords } from './offsets-log-twin.js';

const CONFIG: CoordinatorConfig = { minSessionTimeoutMs: 1000, maxSessionTimeoutMs: 60_000, initialRebalanceDelayMs: 0, maxSize: 100, offsetMetadataMaxBytes: 16, offsetsRetentionMs: 60_000 };
const P1 = 1000n;
const P2 = 2000n;

/** __consumer_offsets in memory. `landThenHold` appends at once but resolves only on release (the append waits for replicas). */
class TxnOffsetsTopic implements OffsetsTopic {
  readonly logs: OffsetsLogEntry[][] = [[], [], []];
  landThenHold = false;
  holdThenLand = false;
  private held: (() => void)[] = [];
  get partitions(): number {
    return this.logs.length;
  }
  async append(partition: number, records: KeyValue[], producer?: TxnProducer): Promise<number> {
    if (this.holdThenLand) await new Promise<void>((r) => this.held.push(r));
    const first = appendRecords(this.logs[partition], records, producer);
    if (this.landThenHold) await new Promise<void>((r) => this.held.push(r));
    return first;
  }
  get holding(): number {
    return this.held.length;
  }
  release(): void {
    for (const r of this.held.splice(0)) r();
  }
  async *read(partition: number): AsyncIterable<OffsetsLogEntry> {
    yield* this.logs[partition];
  }
}

const txn = (groupId: string, producerId: bigint, entries: [string, number, bigint, string?][], over: Partial<TxnOffsetCommit> = {}): TxnOffsetCommit => ({
  groupId,
  transactionalId: `txn-${producerId}`,
  producerId,
  producerEpoch: 0,
  memberId: '',
  groupInstanceId: null,
  generationId: -1,
  entries: entries.map(([topic, partition, committedOffset, metadata]) => ({ topic, partition, committedOffset, committedLeaderEpoch: 4, metadata: metadata ?? 'm' })),
  ...over,
});

const plain = (topic: string, partition: number, offset: bigint) => [{ topic, partition, offset, leaderEpoch: 1, metadata: 'p' }];

async function started(topic = new TxnOffsetsTopic()): Promise<{ c: GroupCoordinator; topic: TxnOffsetsTopic; clock: ManualScheduler }> {
  const clock = new ManualScheduler();
  const c = new GroupCoordinator(clock, CONFIG, topic);
  await c.load();
  return { c, topic, clock };
}

/** Writes the producer's marker to the group's partition and reports it, as the broker will. */
function end(c: GroupCoordinator, topic: TxnOffsetsTopic, groupId: string, producerId: bigint, committed: boolean): void {
  const p = c.partitionFor(groupId);
  c.completeTransaction(p, producerId, committed, appendMarker(topic.logs[p], producerId, committed));
}

test('transactional offsets stay pending, unseen, until the COMMIT marker; the last per partition wins', async () => {
  const { c, topic } = await started();
  assert.deepEqual(await c.commitOffsets('g', '', null, -1, plain('t', 0, 5n), -1), [0]);
  assert.deepEqual(await c.commitTransactionalOffsets(txn('g', P1, [['t', 0, 10n], ['t', 1, 3n]])), [0, 0]);
  assert.deepEqual(await c.commitTransactionalOffsets(txn('g', P1, [['t', 0, 12n]])), [0], 'a second TxnOffsetCommit of the same transaction');
  const log = topic.logs[c.partitionFor('g')];
  assert.deepEqual(log.slice(1).map((e) => e.kind === 'record' && e.producerId), [P1, P1, P1], 'written as the producer\'s records');
  assert.equal(c.offsets.get('g', 't', 0)?.offset, 5n, 'the committed offset is still served');
  assert.equal(c.offsets.get('g', 't', 1), undefined);
  assert.equal(c.hasPendingOffsets('g', 't', 0), true);
  assert.equal(c.hasPendingOffsets('g', 't', 1), true);
  assert.equal(c.hasPendingOffsets('g', 't', 2), false);
  assert.equal(c.hasPendingOffsets('other', 't', 0), false);

  end(c, topic, 'g', P1, true);
  assert.equal(c.offsets.get('g', 't', 0)?.offset, 12n);
  assert.equal(c.offsets.get('g', 't', 0)?.leaderEpoch, 4);
  assert.equal(c.offsets.get('g', 't', 1)?.offset, 3n);
  assert.equal(c.hasPendingOffsets('g', 't', 0), false);
  // The same marker again (a retried WriteTxnMarkers) finds nothing more to do.
  end(c, topic, 'g', P1, false);
  assert.equal(c.offsets.get('g', 't', 0)?.offset, 12n);
  await c.close();
});

test('a group nobody joined is created, Empty, by a transactional commit; an ABORT drops its offsets; unknown producers change nothing', async () => {
  const { c, topic } = await started();
  assert.deepEqual(await c.commitTransactionalOffsets(txn('fresh', P1, [['t', 0, 10n], ['t', 1, 9n, 'x'.repeat(17)]])), [0, ErrorCode.OFFSET_METADATA_TOO_LARGE]);
  assert.equal(c.groups.get('fresh')?.state, 'Empty');
  assert.equal(c.hasPendingOffsets('fresh', 't', 1), false, 'an entry refused for its metadata is not written');
  c.completeTransaction(c.partitionFor('fresh'), P2, true);
  c.completeTransaction((c.partitionFor('fresh') + 1) % 3, P1, true);
  assert.equal(c.hasPendingOffsets('fresh', 't', 0), true, 'another producer, or another offsets partition, leaves them pending');
  end(c, topic, 'fresh', P1, false);
  assert.equal(c.hasPendingOffsets('fresh', 't', 0), false);
  assert.equal(c.offsets.get('fresh', 't', 0), undefined, 'aborted offsets are never committed');
  await c.close();
});

test('two producers on one group are kept apart: each marker ends only its own offsets', async () => {
  const { c, topic } = await started();
  await c.commitTransactionalOffsets(txn('g', P1, [['t', 0, 10n], ['t', 2, 30n]]));
  await c.commitTransactionalOffsets(txn('g', P2, [['t', 1, 20n], ['t', 2, 31n]]));
  end(c, topic, 'g', P1, true);
  assert.equal(c.offsets.get('g', 't', 0)?.offset, 10n);
  assert.equal(c.offsets.get('g', 't', 2)?.offset, 30n);
  assert.equal(c.offsets.get('g', 't', 1), undefined);
  assert.equal(c.hasPendingOffsets('g', 't', 1), true);
  assert.equal(c.hasPendingOffsets('g', 't', 2), true, 'P2 still has t-2 pending');
  end(c, topic, 'g', P2, false);
  assert.equal(c.offsets.get('g', 't', 2)?.offset, 30n, 'P2 aborted: P1\'s commit stays');
  assert.equal(c.hasPendingOffsets('g', 't', 1), false);
  await c.close();
});

test('a committed transaction replaces a commit only if it was written after it in the log', async () => {
  const { c, topic } = await started();
  // Plain commit first, then the transaction: the transaction's offset wins.
  await c.commitOffsets('g', '', null, -1, plain('t', 0, 7n), -1);
  await c.commitTransactionalOffsets(txn('g', P1, [['t', 0, 10n]]));
  end(c, topic, 'g', P1, true);
  assert.equal(c.offsets.get('g', 't', 0)?.offset, 10n);
  // The transaction first, then a plain commit before its marker: the plain one is newer and stays.
  await c.commitTransactionalOffsets(txn('g', P1, [['t', 0, 20n]]));
  await c.commitOffsets('g', '', null, -1, plain('t', 0, 15n), -1);
  assert.equal(c.offsets.get('g', 't', 0)?.offset, 15n, 'a plain commit is served at once');
  end(c, topic, 'g', P1, true);
  assert.equal(c.offsets.get('g', 't', 0)?.offset, 15n);
  // A restart replays the same decisions.
  const { c: again } = await started(topic);
  assert.equal(again.offsets.get('g', 't', 0)?.offset, 15n);
  await c.close();
  await again.close();
});

test('members are checked only when the commit names one; routing errors come first', async () => {
  const { c } = await started();
  const joined = await c.membership.join({ groupId: 'g', memberId: '', groupInstanceId: 'inst', clientId: 'c', clientHost: 'h', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }], requireKnownMemberId: false });
  const member = { memberId: joined.memberId, groupInstanceId: 'inst', generationId: 1 };
  assert.deepEqual(await c.commitTransactionalOffsets(txn('g', P1, [['t', 0, 1n]], member)), [0], 'no REBALANCE_IN_PROGRESS for transactional commits (CompletingRebalance)');
  await c.membership.sync({ groupId: 'g', memberId: joined.memberId, groupInstanceId: 'inst', generationId: 1, protocolType: null, protocolName: null, assignments: [] });
  assert.deepEqual(await c.commitTransactionalOffsets(txn('g', P1, [['t', 0, 2n]], member)), [0]);
  assert.deepEqual(await c.commitTransactionalOffsets(txn('g', P1, [['t', 0, 3n], ['t', 1, 3n]], { ...member, generationId: 0 })), [ErrorCode.ILLEGAL_GENERATION, ErrorCode.ILLEGAL_GENERATION]);
  assert.deepEqual(await c.commitTransactionalOffsets(txn('g', P1, [['t', 0, 3n]], { ...member, groupInstanceId: null, memberId: 'nobody' })), [ErrorCode.UNKNOWN_MEMBER_ID]);
  assert.deepEqual(await c.commitTransactionalOffsets(txn('g', P1, [['t', 0, 3n]], { ...member, memberId: 'old-incarnation' })), [ErrorCode.FENCED_INSTANCE_ID]);
  assert.deepEqual(await c.commitTransactionalOffsets(txn('g', P1, [['t', 0, 3n]], { ...member, groupInstanceId: 'unknown-instance' })), [ErrorCode.UNKNOWN_MEMBER_ID]);
  assert.deepEqual(await c.commitTransactionalOffsets(txn('g', P1, [['t', 0, 4n]])), [0], 'v0-2 name no member: accepted though the group has members');
  assert.deepEqual(await c.commitTransactionalOffsets(txn('nobody-joined', P1, [['t', 0, 4n]], { memberId: 'm', generationId: 3 })), [ErrorCode.UNKNOWN_MEMBER_ID]);
  assert.deepEqual(await c.commitTransactionalOffsets(txn('', P1, [['t', 0, 4n]])), [ErrorCode.INVALID_GROUP_ID]);
  assert.equal(c.hasPendingOffsets('g', 't', 1), false, 'refused commits write nothing');
  c.unloadPartition(c.partitionFor('g'));
  assert.deepEqual(await c.commitTransactionalOffsets(txn('g', P1, [['t', 0, 5n]])), [ErrorCode.NOT_COORDINATOR]);
  await c.close();
});

test('a partition still loading answers COORDINATOR_LOAD_IN_PROGRESS; a marker reported meanwhile is read by the replay', async () => {
  const topic = new TxnOffsetsTopic();
  const { c } = await started(topic);
  await c.commitTransactionalOffsets(txn('g', P1, [['t', 0, 10n]]));
  const p = c.partitionFor('g');
  c.unloadPartition(p);
  // The marker lands while the partition is not loaded here: nothing to update in memory.
  appendMarker(topic.logs[p], P1, true);
  c.completeTransaction(p, P1, true);
  let release = () => {};
  const gate = new Promise<void>((r) => (release = r));
  const read = topic.read.bind(topic);
  topic.read = async function* (partition: number) {
    await gate;
    yield* read(partition);
  };
  const loading = c.loadPartition(p, 1);
  assert.deepEqual(await c.commitTransactionalOffsets(txn('g', P1, [['t', 0, 11n]])), [ErrorCode.COORDINATOR_LOAD_IN_PROGRESS]);
  release();
  assert.equal(await loading, 'loaded');
  assert.equal(c.offsets.get('g', 't', 0)?.offset, 10n);
  assert.equal(c.hasPendingOffsets('g', 't', 0), false);
  await c.close();
});

test('a restart replays transactional batches and their markers; a transaction open at the end stays pending', async () => {
  const topic = new TxnOffsetsTopic();
  const { c } = await started(topic);
  await c.commitOffsets('g', '', null, -1, plain('t', 0, 1n), -1);
  await c.commitTransactionalOffsets(txn('g', P1, [['t', 0, 10n], ['t', 1, 11n]]));
  await c.commitTransactionalOffsets(txn('g', P2, [['t', 2, 20n]]));
  end(c, topic, 'g', P1, true);
  await c.commitTransactionalOffsets(txn('g', P1, [['t', 0, 50n]]));
  end(c, topic, 'g', P1, false);
  await c.commitTransactionalOffsets(txn('g', P1, [['t', 1, 60n]]));
  await c.commitTransactionalOffsets(txn('side', P2, [['u', 0, 7n]]));
  // Open at the end: P2's first transaction (g t-2, side u-0: both groups are in partition 1) and P1's third (g t-1).
  const snapshot = (co: GroupCoordinator) => ({
    committed: [0, 1, 2].map((i) => co.offsets.get('g', 't', i)?.offset),
    pending: [0, 1, 2].map((i) => co.hasPendingOffsets('g', 't', i)),
    onlyPending: [co.groups.get('side')?.state, co.hasPendingOffsets('side', 'u', 0)],
  });
  const live = snapshot(c);
  assert.deepEqual(live, { committed: [10n, 11n, undefined], pending: [false, true, true], onlyPending: ['Empty', true] });
  const { c: restarted } = await started(topic);
  assert.deepEqual(snapshot(restarted), live, 'the replay ends where the live coordinator is');
  // The markers still to come end them on the restarted coordinator.
  end(restarted, topic, 'g', P2, true);
  end(restarted, topic, 'g', P1, true);
  assert.deepEqual([0, 1, 2].map((i) => restarted.offsets.get('g', 't', i)?.offset), [10n, 60n, 20n]);
  assert.equal(restarted.offsets.get('side', 'u', 0)?.offset, 7n, 'one marker per offsets partition covers every group of the producer there');
  await c.close();
  await restarted.close();
});

test('a marker reported while a commit of the producer is still being appended meets the commit it follows in the log', async () => {
  const { c, topic } = await started();
  const p = c.partitionFor('g');
  // Landed before the marker, acknowledged after it was reported: committed.
  topic.landThenHold = true;
  const before = c.commitTransactionalOffsets(txn('g', P1, [['t', 0, 10n]]));
  while (topic.holding === 0) await new Promise((r) => setImmediate(r));
  c.completeTransaction(p, P1, true, appendMarker(topic.logs[p], P1, true));
  topic.release();
  assert.deepEqual(await before, [0]);
  assert.equal(c.offsets.get('g', 't', 0)?.offset, 10n);
  assert.equal(c.hasPendingOffsets('g', 't', 0), false);
  // Landed after the marker: it opens the producer's next transaction and stays pending.
  topic.landThenHold = false;
  topic.holdThenLand = true;
  const after = c.commitTransactionalOffsets(txn('g', P1, [['t', 0, 20n]]));
  while (topic.holding === 0) await new Promise((r) => setImmediate(r));
  c.completeTransaction(p, P1, false, appendMarker(topic.logs[p], P1, false));
  topic.release();
  assert.deepEqual(await after, [0]);
  assert.equal(c.hasPendingOffsets('g', 't', 0), true);
  assert.equal(c.offsets.get('g', 't', 0)?.offset, 10n);
  const { c: restarted } = await started(topic);
  assert.equal(restarted.hasPendingOffsets('g', 't', 0), true, 'the replay agrees');
  assert.equal(restarted.offsets.get('g', 't', 0)?.offset, 10n);
  await c.close();
  await restarted.close();
});

test('open transactions keep an empty group and the offsets they replace from expiry and topic deletion', async () => {
  const { c, topic, clock } = await started();
  await c.commitOffsets('g', '', null, -1, [...plain('t', 0, 1n), ...plain('t', 1, 1n)], -1);
  await c.commitTransactionalOffsets(txn('g', P1, [['t', 0, 10n]]));
  await c.commitTransactionalOffsets(txn('h', P1, [['gone', 0, 10n]]));
  clock.advance(61_000);
  assert.equal(await c.expireOffsets(), 1, 't-1 expires; t-0 has a transaction pending');
  assert.equal(c.offsets.get('g', 't', 0)?.offset, 1n);
  assert.equal(await c.deleteTopicOffsets(new Set(['gone'])), 1, 'a deleted topic\'s pending offset gets a tombstone too');
  assert.equal(c.hasPendingOffsets('h', 'gone', 0), false);
  assert.equal(c.groups.get('h')?.state, 'Empty', 'the group stays while its transaction is open');
  end(c, topic, 'h', P1, true);
  assert.equal(c.offsets.get('h', 'gone', 0), undefined, 'the tombstone dropped it: the commit brings nothing back');
  end(c, topic, 'g', P1, true);
  assert.equal(c.offsets.get('g', 't', 0)?.offset, 10n);
  clock.advance(61_000);
  assert.equal(await c.expireOffsets(), 1);
  assert.equal(c.groups.has('g'), false, 'with nothing left and no transaction open the group goes');
  await c.close();
});

test('DeleteGroups deletes an Empty group with a transaction open: its pending offsets get tombstones, the marker then commits nothing', async () => {
  const { c, topic } = await started();
  await c.commitOffsets('g', '', null, -1, plain('t', 0, 1n), -1);
  await c.commitTransactionalOffsets(txn('g', P1, [['t', 0, 10n], ['t', 1, 11n]]));
  assert.equal(await c.deleteGroup('g'), ErrorCode.NONE);
  assert.equal(c.groups.has('g'), false);
  assert.equal(c.hasPendingOffsets('g', 't', 1), false);
  const tombstones = topic.logs[c.partitionFor('g')].filter((e) => e.kind === 'record' && e.value === null && e.producerId === null);
  assert.equal(tombstones.length, 3, 't-0, t-1 (pending only) and the group');
  end(c, topic, 'g', P1, true);
  assert.equal(c.offsets.hasOffsets('g'), false);
  const { c: restarted } = await started(topic);
  assert.equal(restarted.offsets.hasOffsets('g'), false);
  assert.equal(restarted.groups.has('g'), false);
  await c.close();
  await restarted.close();
});
