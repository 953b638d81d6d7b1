// ElectLeaders on a three-broker cluster on a real etcd: after a broker restart the partitions it
// preferred are led elsewhere; a preferred election at the controller moves them back (Metadata
// shows it), other brokers answer NOT_CONTROLLER, and an unclean election gives a leaderless
// partition to a live replica outside its ISR.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type RunningCluster } from '../../src/broker/cluster.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { askBroker, controllerOf, partitionsOf, waitUntil } from '../helpers/cluster-admin.js';

interface ElectBody {
  errorCode: number;
  replicaElectionResults: { topic: string; partitionResult: { partitionId: number; errorCode: number; errorMessage: string | null }[] }[];
}

// A broker stopping as the last in-sync replica retries its controlled shutdown: not for 3 x 5 s here.
const CONFIG = { 'replica.fetch.wait.max.ms': '100', 'auto.leader.rebalance.enable': 'false', 'controlled.shutdown.retry.backoff.ms': '100' };

function bootstrapOf(cluster: RunningCluster, nodeId: number): string {
  const b = cluster.brokers.get(nodeId);
  assert.ok(b, `broker ${nodeId} runs`);
  return b.bootstrap;
}

function elect(bootstrap: string, version: number, electionType: number, topicPartitions: { topic: string; partitions: number[] }[] | null): Promise<ElectBody> {
  return askBroker<ElectBody>(bootstrap, 43, version, { electionType, topicPartitions, timeoutMs: 20_000 });
}

function flat(body: ElectBody): [string, number, number][] {
  return body.replicaElectionResults.flatMap((t) => t.partitionResult.map((p): [string, number, number] => [t.topic, p.partitionId, p.errorCode])).sort();
}

async function createPlaced(bootstrap: string, name: string, replicas: number[][]): Promise<void> {
  const body = await askBroker<{ topics: { errorCode: number; errorMessage: string | null }[] }>(bootstrap, 19, 7, {
    topics: [{ name, numPartitions: -1, replicationFactor: -1, assignments: replicas.map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds })), configs: [] }],
    timeoutMs: 30_000,
    validateOnly: false,
  });
  assert.deepEqual(body.topics.map((t) => [t.errorCode, t.errorMessage]), [[0, null]]);
}

test('ElectLeaders: preferred after a restart, NOT_CONTROLLER off the controller, unclean for a leaderless partition', async (t) => {
  const cluster = await startCluster({ brokers: 3, config: CONFIG });
  try {
    const any = bootstrapOf(cluster, 3);
    await createPlaced(any, 'elect', [[1, 2, 3], [2, 3, 1], [1, 3, 2]]);

    await t.test('a restarted broker does not lead its preferred partitions until a preferred election', async () => {
      await cluster.stopBroker(1);
      await cluster.startBroker(1);
      await waitUntil('broker 1 is back in every ISR', async () => (await partitionsOf(bootstrapOf(cluster, 1), 'elect')).every((p) => p.isr.includes(1)));
      const before = await partitionsOf(bootstrapOf(cluster, 2), 'elect');
      assert.deepEqual(before.map((p) => p.leader), [2, 2, 3], 'leadership moved off broker 1 at its shutdown and stays away');

      const controller = await controllerOf(any);
      const other = [1, 2, 3].find((id) => id !== controller) as number;
      const refused = await elect(bootstrapOf(cluster, other), 2, 0, [{ topic: 'elect', partitions: [0] }]);
      assert.equal(refused.errorCode, ErrorCode.NOT_CONTROLLER);
      assert.deepEqual(flat(refused), [['elect', 0, ErrorCode.NOT_CONTROLLER]]);

      const answer = await elect(bootstrapOf(cluster, controller), 2, 0, [{ topic: 'elect', partitions: [0, 1, 2] }, { topic: 'no-such-topic', partitions: [0] }]);
      assert.equal(answer.errorCode, 0);
      assert.deepEqual(flat(answer), [
        ['elect', 0, 0],
        ['elect', 1, ErrorCode.ELECTION_NOT_NEEDED],
        ['elect', 2, 0],
        ['no-such-topic', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ]);
      assert.deepEqual(
        answer.replicaElectionResults.flatMap((x) => x.partitionResult.map((p) => [x.topic, p.partitionId, p.errorMessage])).sort(),
        [
          ['elect', 0, null],
          ['elect', 1, 'Leader election not needed for topic partition.'],
          ['elect', 2, null],
          ['no-such-topic', 0, "Topic 'no-such-topic' does not exist."],
        ],
      );
      // Answered once the controller's broker saw it; every broker's metadata follows.
      for (const id of [1, 2, 3]) {
        await waitUntil(`broker ${id} shows the preferred leaders`, async () => (await partitionsOf(bootstrapOf(cluster, id), 'elect')).map((p) => p.leader).join() === '1,2,1');
      }
      const after = await partitionsOf(bootstrapOf(cluster, controller), 'elect');
      assert.ok(after[0].leaderEpoch > before[0].leaderEpoch, 'a leader change raises the leader epoch');
      assert.equal(after[1].leaderEpoch, before[1].leaderEpoch, 'an election not needed changes nothing');

      // v0 (no election type: preferred) and the whole cluster (null): nothing left to elect, nothing listed.
      const again = await elect(bootstrapOf(cluster, controller), 0, 0, null);
      assert.deepEqual(flat(again), []);
    });

    await t.test('an unclean election gives a leaderless partition to a live replica outside the ISR', async () => {
      await createPlaced(any, 'unclean', [[3, 2]]);
      await waitUntil('both replicas in sync', async () => (await partitionsOf(bootstrapOf(cluster, 1), 'unclean'))[0].isr.length === 2);
      await cluster.stopBroker(2);
      await waitUntil('broker 2 left the ISR', async () => (await partitionsOf(bootstrapOf(cluster, 1), 'unclean'))[0].isr.join() === '3');
      await cluster.stopBroker(3);
      await waitUntil('the partition has no leader', async () => (await partitionsOf(bootstrapOf(cluster, 1), 'unclean'))[0].leader === -1);
      await cluster.startBroker(2);
      const controller = await controllerOf(bootstrapOf(cluster, 1));
      assert.ok(controller === 1 || controller === 2, `controller ${controller}`);
      await waitUntil('broker 1 sees broker 2 back', async () => {
        const p = (await partitionsOf(bootstrapOf(cluster, controller), 'unclean'))[0];
        return p.offline.join() === '3';
      });
      const clean = await elect(bootstrapOf(cluster, controller), 1, 0, [{ topic: 'unclean', partitions: [0] }]);
      assert.deepEqual(flat(clean), [['unclean', 0, ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE]]);
      const answer = await elect(bootstrapOf(cluster, controller), 1, 1, [{ topic: 'unclean', partitions: [0] }]);
      assert.equal(answer.errorCode, 0);
      assert.deepEqual(flat(answer), [['unclean', 0, 0]]);
      const [p] = await partitionsOf(bootstrapOf(cluster, controller), 'unclean');
      assert.deepEqual([p.leader, p.isr], [2, [2]]);
      await cluster.startBroker(3);
    });

    await t.test('an unknown election type is INVALID_REQUEST', async () => {
      const controller = await controllerOf(bootstrapOf(cluster, 1));
      const answer = await elect(bootstrapOf(cluster, controller), 2, 7, [{ topic: 'elect', partitions: [0] }]);
      assert.equal(answer.errorCode, ErrorCode.INVALID_REQUEST);
    });
  } finally {
    await cluster.stop();
  }
});
