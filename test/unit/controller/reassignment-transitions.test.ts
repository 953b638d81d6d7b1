// Partition reassignment (KIP-455) as the controller decides it, on literal states: start (union,
// adding, removing), completion once the targets are in the ISR (leader moves off a removed
// leader), immediate completion of removals and reorders, cancellation, and the codec keeping
// values without a reassignment as they were.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/protocol/error-codes.js';
import type { PartitionState } from '../../../src/metadata/metadata-store.js';
import { cancelReassignment, startReassignment } from '../../../src/controller/reassignment-transitions.js';
import { reconcile } from '../../../src/controller/partition-transitions.js';
import { decide, type ControllerPartition, type ControllerView } from '../../../src/controller/controller-decisions.js';
import { decodePartitionState, encodePartitionState } from '../../../src/metadata/metadata-codec.js';

const facts = (live: number[], shuttingDown: number[] = []) => ({ live: new Set(live), shuttingDown: new Set(shuttingDown) });

function state(replicas: number[], isr: number[], leader: number, extra: Partial<PartitionState> = {}): PartitionState {
  return { replicas, isr, leader, leaderEpoch: 5, partitionEpoch: 7, ...extra };
}

function next(outcome: ReturnType<typeof startReassignment>): PartitionState | null {
  assert.ok('next' in outcome, `refused: ${'message' in outcome ? outcome.message : ''}`);
  return outcome.next;
}

test('a reassignment to new brokers adds them (replicas = target then removed), keeps leader and ISR', () => {
  const s = next(startReassignment(state([1, 2, 3], [1, 2, 3], 1), [4, 5, 1], facts([1, 2, 3, 4, 5])));
  assert.deepEqual(s, state([4, 5, 1, 2, 3], [1, 2, 3], 1, { partitionEpoch: 8, addingReplicas: [4, 5], removingReplicas: [2, 3] }));
});

test('the reassignment completes once every target is in the ISR; a removed leader hands over to the first target in sync', () => {
  const started = state([4, 5, 1, 2, 3], [1, 2, 3, 4], 2, { addingReplicas: [4, 5], removingReplicas: [2, 3] });
  assert.equal(reconcile(started, facts([1, 2, 3, 4, 5]), false), null, '5 is not in sync yet');
  const inSync = { ...started, isr: [1, 2, 3, 4, 5] };
  assert.deepEqual(reconcile(inSync, facts([1, 2, 3, 4, 5]), false), state([4, 5, 1], [1, 4, 5], 4, { leaderEpoch: 6, partitionEpoch: 8 }));
  // The leader stays when it is a target replica; no leader epoch raise.
  assert.deepEqual(reconcile({ ...inSync, leader: 1 }, facts([1, 2, 3, 4, 5]), false), state([4, 5, 1], [1, 4, 5], 1, { partitionEpoch: 8 }));
  // No target in sync may lead (4, 5 and 1 shutting down): the completion waits.
  assert.equal(reconcile(inSync, facts([1, 2, 3, 4, 5], [1, 4, 5]), false), null);
});

test('a removal or a reorder whose targets are in sync completes in the same write', () => {
  assert.deepEqual(next(startReassignment(state([1, 2, 3], [1, 2, 3], 1), [2, 3], facts([1, 2, 3]))), state([2, 3], [2, 3], 2, { leaderEpoch: 6, partitionEpoch: 8 }));
  assert.deepEqual(next(startReassignment(state([1, 2, 3], [1, 2, 3], 1), [3, 2, 1], facts([1, 2, 3]))), state([3, 2, 1], [1, 2, 3], 1, { partitionEpoch: 8 }));
  assert.equal(next(startReassignment(state([1, 2, 3], [1, 2, 3], 1), [1, 2, 3], facts([1, 2, 3]))), null, 'the same replicas: nothing to write');
});

test('a new reassignment over one under way starts from the current replicas: earlier additions not targeted are removed', () => {
  const s = next(startReassignment(state([4, 1, 2], [1, 2], 1, { addingReplicas: [4], removingReplicas: [2] }), [5, 1], facts([1, 2, 4, 5])));
  assert.deepEqual(s, state([5, 1, 4, 2], [1, 2], 1, { partitionEpoch: 8, addingReplicas: [5], removingReplicas: [4, 2] }));
});

test('cancelling reverts to the replicas before the reassignment; an adding leader hands back; nothing to cancel is NO_REASSIGNMENT_IN_PROGRESS', () => {
  const s = next(cancelReassignment(state([4, 1, 2], [1, 2, 4], 4, { addingReplicas: [4], removingReplicas: [2] }), facts([1, 2, 4]), false, 't-0'));
  assert.deepEqual(s, state([1, 2], [1, 2], 1, { leaderEpoch: 6, partitionEpoch: 8 }));
  assert.deepEqual(cancelReassignment(state([1, 2], [1, 2], 1), facts([1, 2]), false, 't-0'), { refused: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, message: 'No partition reassignment is in progress.' });
  const onlyNewInSync = state([4, 1], [4], 4, { addingReplicas: [4], removingReplicas: [1] });
  assert.deepEqual(cancelReassignment(onlyNewInSync, facts([1, 4]), false, 't-0'), {
    refused: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
    message: 'Unable to revert partition assignment for t-0 because it would require an unclean leader election.',
  });
  assert.deepEqual(next(cancelReassignment(onlyNewInSync, facts([1, 4]), true, 't-0')), state([1], [1], 1, { leaderEpoch: 6, partitionEpoch: 8 }));
});

test('the decision checks targets as Kafka checks a manual assignment and names unknown partitions', () => {
  const parts: ControllerPartition[] = [{ topicId: 't', partition: 0, state: state([1, 2], [1, 2], 1), version: 100 }];
  const view: ControllerView = {
    live: new Set([1, 2, 3]),
    shuttingDown: new Set(),
    partitions: () => parts,
    partition: (topicId, p) => parts.find((x) => x.topicId === topicId && x.partition === p),
    uncleanLeaderElection: () => false,
  };
  const d = decide(view, {
    kind: 'alter-reassignments',
    nameOf: (r) => `${r.topicId}-${r.partition}`,
    partitions: [
      { topicId: 't', partition: 0, target: [1, 7] },
      { topicId: 't', partition: 0, target: [3, 3] },
      { topicId: 't', partition: 0, target: [] },
      { topicId: 't', partition: 9, target: [1] },
      { topicId: 't', partition: 0, target: [2, 3] },
    ],
  });
  assert.deepEqual(
    d.elections.map((e) => [e.partition, e.errorCode, e.errorMessage]),
    [
      [0, ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes broker 7, but no such broker is registered.'],
      [0, ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes the broker 3 more than once.'],
      [0, ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes an empty replica list.'],
      [9, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.'],
      [0, 0, null],
    ],
  );
  assert.deepEqual(d.writes.map((w) => [w.partition, w.expectedVersion, w.next]), [[0, 100, state([2, 3, 1], [1, 2], 1, { partitionEpoch: 8, addingReplicas: [3], removingReplicas: [1] })]]);
});

test('the codec writes adding/removing only during a reassignment and reads values without them as before', () => {
  const plain = state([1, 2], [1, 2], 1);
  assert.equal(encodePartitionState(plain).toString(), '{"replicas":[1,2],"isr":[1,2],"leader":1,"leaderEpoch":5,"partitionEpoch":7}');
  assert.deepEqual(decodePartitionState(encodePartitionState(plain)), plain);
  const moving = state([3, 1, 2], [1, 2], 1, { addingReplicas: [3], removingReplicas: [2] });
  assert.deepEqual(decodePartitionState(encodePartitionState(moving)), moving);
  assert.throws(() => decodePartitionState(Buffer.from('{"replicas":[1],"isr":[1],"leader":1,"leaderEpoch":0,"partitionEpoch":0,"addingReplicas":[4]}')), /reassigning replica 4/);
});
