// The controller's decisions, rule by rule, on literal views (no store, no timers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/protocol/error-codes.js';
import type { PartitionState } from '../../../src/metadata/metadata-store.js';
import { decide, type ControllerPartition, type ControllerView, type PartitionWrite } from '../../../src/controller/controller-decisions.js';

interface Spec {
  live: number[];
  shuttingDown?: number[];
  unclean?: string[];
  /** [replicas, isr, leader], with leaderEpoch 5 and partitionEpoch 7, topic "t", version 100 + index. */
  partitions: [number[], number[], number][];
}

function viewOf(spec: Spec): ControllerView {
  const parts: ControllerPartition[] = spec.partitions.map(([replicas, isr, leader], i) => ({
    topicId: 't',
    partition: i,
    state: { replicas, isr, leader, leaderEpoch: 5, partitionEpoch: 7 },
    version: 100 + i,
  }));
  return {
    live: new Set(spec.live),
    shuttingDown: new Set(spec.shuttingDown ?? []),
    partitions: () => parts,
    partition: (topicId, p) => parts.find((x) => x.topicId === topicId && x.partition === p),
    uncleanLeaderElection: (topicId) => (spec.unclean ?? []).includes(topicId),
  };
}

/** Writes as [partition, expectedVersion, leader, isr, leaderEpoch, partitionEpoch]. */
function brief(writes: PartitionWrite[]): [number, number, number, readonly number[], number, number][] {
  return writes.map((w) => [w.partition, w.expectedVersion, w.next.leader, w.next.isr, w.next.leaderEpoch, w.next.partitionEpoch]);
}

test('a dead broker leaves every ISR it is in; where it led, the first alive ISR replica in replica order leads', () => {
  const view = viewOf({
    live: [1, 3],
    partitions: [
      [[2, 3, 1], [1, 2, 3], 2], // it led: 3 comes before 1 in replica order
      [[1, 2, 3], [1, 2, 3], 1], // it followed: only the ISR shrinks, leader epoch stays
      [[1, 3], [1, 3], 1], // not a replica: untouched
    ],
  });
  assert.deepEqual(brief(decide(view, { kind: 'broker-gone', nodeId: 2 }).writes), [
    [0, 100, 3, [1, 3], 6, 8],
    [1, 101, 1, [1, 3], 5, 8],
  ]);
});

test('no eligible leader: leader -1 and the ISR keeps its last member', () => {
  const view = viewOf({ live: [1], partitions: [[[2, 1], [2], 2], [[2, 3], [2, 3], 2]] });
  assert.deepEqual(brief(decide(view, { kind: 'reconcile' }).writes), [
    [0, 100, -1, [2], 6, 8],
    [1, 101, -1, [2], 6, 8], // both ISR members dead at once: the old leader stays in it
  ]);
});

test('with unclean.leader.election.enable on the topic, the first alive replica leads alone', () => {
  const view = viewOf({ live: [1, 3], unclean: ['t'], partitions: [[[2, 3, 1], [2], 2]] });
  assert.deepEqual(brief(decide(view, { kind: 'broker-gone', nodeId: 2 }).writes), [[0, 100, 3, [3], 6, 8]]);
});

test('a returning broker leads the leaderless partitions whose ISR holds it; unclean topics take any replica', () => {
  const clean = viewOf({ live: [2], partitions: [[[1, 2], [2], -1], [[1, 2], [1], -1], [[1, 3], [3], -1]] });
  assert.deepEqual(brief(decide(clean, { kind: 'broker-registered', nodeId: 2, bounced: false }).writes), [[0, 100, 2, [2], 6, 8]]);
  const unclean = viewOf({ live: [2], unclean: ['t'], partitions: [[[1, 2], [1], -1]] });
  assert.deepEqual(brief(decide(unclean, { kind: 'broker-registered', nodeId: 2, bounced: false }).writes), [[0, 100, 2, [2], 6, 8]]);
});

test('a bounced broker (new epoch while still live) loses leadership and ISR places it cannot keep, in one write', () => {
  const view = viewOf({ live: [1, 2], partitions: [[[1, 2], [1, 2], 1], [[2, 1], [1, 2], 1], [[1], [1], 1]] });
  assert.deepEqual(brief(decide(view, { kind: 'broker-registered', nodeId: 1, bounced: true }).writes), [
    [0, 100, 2, [2], 6, 8],
    [1, 101, 2, [2], 6, 8],
    [2, 102, 1, [1], 6, 8], // alone: it leads again, under a new leader epoch
  ]);
});

test('controlled shutdown moves leadership to another ISR member and leaves follower ISRs; RF=1 and sole-ISR partitions keep it', () => {
  const view = viewOf({
    live: [1, 2, 3],
    shuttingDown: [1],
    partitions: [
      [[1, 2, 3], [1, 2, 3], 1],
      [[2, 1, 3], [2, 1, 3], 2],
      [[1], [1], 1],
      [[1, 2], [1], 1],
    ],
  });
  assert.deepEqual(brief(decide(view, { kind: 'controlled-shutdown', nodeId: 1 }).writes), [
    [0, 100, 2, [2, 3], 6, 8],
    [1, 101, 2, [2, 3], 5, 8],
  ]);
});

test('a broker in controlled shutdown is never elected by a reconcile', () => {
  const view = viewOf({ live: [1, 3], shuttingDown: [1], partitions: [[[2, 1, 3], [1, 2, 3], 2]] });
  assert.deepEqual(brief(decide(view, { kind: 'broker-gone', nodeId: 2 }).writes), [[0, 100, 3, [1, 3], 6, 8]]);
});

test('preferred election: replicas[0] leads if alive and in sync, else ElectLeaders answers as Kafka', () => {
  const view = viewOf({ live: [1, 2], partitions: [[[1, 2], [1, 2], 2], [[1, 2], [1, 2], 1], [[3, 2], [2, 3], 2], [[1, 2], [2], 2]] });
  const d = decide(view, {
    kind: 'elect-leaders',
    type: 'preferred',
    partitions: [0, 1, 2, 3, 9, 0].map((partition) => ({ topicId: 't', partition })),
  });
  assert.deepEqual(brief(d.writes), [[0, 100, 1, [1, 2], 6, 8]]);
  assert.deepEqual(
    d.elections.map((e) => [e.partition, e.errorCode]),
    [[0, 0], [1, ErrorCode.ELECTION_NOT_NEEDED], [2, ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE], [3, ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE], [9, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], [0, 0]],
  );
  assert.match(d.elections[2].errorMessage ?? '', /Failed to elect leader for partition 2 under strategy PreferredReplicaPartitionLeaderElectionStrategy/);
});

test('unclean election via ElectLeaders: only leaderless partitions, ISR first, else any alive replica', () => {
  const view = viewOf({ live: [2], partitions: [[[1, 2], [1], -1], [[2, 1], [2], 2], [[1, 3], [1], -1]] });
  const d = decide(view, { kind: 'elect-leaders', type: 'unclean', partitions: [0, 1, 2].map((partition) => ({ topicId: 't', partition })) });
  assert.deepEqual(brief(d.writes), [[0, 100, 2, [2], 6, 8]]);
  assert.deepEqual(d.elections.map((e) => e.errorCode), [0, ErrorCode.ELECTION_NOT_NEEDED, ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE]);
});

test('the auto rebalance check moves leadership back only for brokers above leader.imbalance.per.broker.percentage', () => {
  const led = (leader: number): [number[], number[], number] => [[1, 2], [1, 2], leader];
  // Broker 1 is preferred for 10 partitions and leads 9 (10% off); broker 2 preferred for 4, leads 2 (50% off).
  const partitions = [...Array.from({ length: 9 }, () => led(1)), led(2), ...[2, 2, 1, 1].map((l): [number[], number[], number] => [[2, 1], [1, 2], l])];
  const view = viewOf({ live: [1, 2], partitions });
  assert.deepEqual(brief(decide(view, { kind: 'rebalance-check', imbalancePercentage: 10 }).writes), [
    [12, 112, 2, [1, 2], 6, 8],
    [13, 113, 2, [1, 2], 6, 8],
  ]);
  assert.equal(decide(view, { kind: 'rebalance-check', imbalancePercentage: 9 }).writes.length, 3);
});

test('nothing to change means no writes', () => {
  const view = viewOf({ live: [1, 2], partitions: [[[1, 2], [1, 2], 1]] });
  assert.deepEqual(decide(view, { kind: 'reconcile' }).writes, []);
  assert.deepEqual(decide(view, { kind: 'broker-registered', nodeId: 2, bounced: false }).writes, []);
});

export type { PartitionState };
