// The cluster commands of the `tributary` CLI, run as a user runs them (a child process) against a
// three-broker cluster on a real etcd: cluster info, topic describe with replicas/ISR/offline, and
// leader elect (routed to the controller from any broker) after a restart moved a leadership, and
// partition reassign --wait / partition reassignments; the group commands from any broker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { startCluster, type RunningCluster } from '../../src/broker/cluster.js';
import { askBroker, controllerOf, partitionsOf, waitUntil } from '../helpers/cluster-admin.js';

const { Kafka, logLevel } = kafkajs;
const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../../bin/tributary.js', import.meta.url));

async function tributary(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** The table rows of a CLI output after its header line `first`, split on runs of spaces. */
function rows(output: string, first: string): string[][] {
  const lines = output.split('\n');
  const at = lines.findIndex((l) => l.startsWith(first));
  assert.ok(at >= 0, `no ${first} header in:\n${output}`);
  return lines.slice(at + 1).filter((l) => l.trim() !== '').map((l) => l.trim().split(/\s+/));
}

const bootstrapOf = (cluster: RunningCluster, id: number) => (cluster.brokers.get(id) as { bootstrap: string }).bootstrap;

test('tributary cluster info, topic describe, leader elect and partition reassign against a three-broker cluster', async () => {
  // A broker stopping as the last in-sync replica retries its controlled shutdown: not 3 x 5 s here.
  const cluster = await startCluster({ brokers: 3, config: { 'replica.fetch.wait.max.ms': '100', 'auto.leader.rebalance.enable': 'false', 'controlled.shutdown.retry.backoff.ms': '100' } });
  try {
    const created = await askBroker<{ topics: { errorCode: number }[] }>(bootstrapOf(cluster, 1), 19, 7, {
      topics: [{ name: 'cli-topic', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2, 3] }, { partitionIndex: 1, brokerIds: [2, 3, 1] }], configs: [] }],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    assert.deepEqual(created.topics.map((t) => t.errorCode), [0]);
    const controller = await controllerOf(bootstrapOf(cluster, 1));

    const infoOut = await tributary('cluster', 'info', '-b', bootstrapOf(cluster, 2));
    assert.equal(infoOut.code, 0, infoOut.stderr);
    assert.match(infoOut.stdout, new RegExp(`^Cluster id: ${(cluster.brokers.get(1) as { clusterId: string }).clusterId}$`, 'm'));
    assert.match(infoOut.stdout, new RegExp(`^Controller: broker ${controller}$`, 'm'));
    assert.deepEqual(
      rows(infoOut.stdout, 'ID').map((r) => [r[0], `${r[1]}:${r[2]}`, r[4] ?? '']),
      [1, 2, 3].map((id) => [String(id), bootstrapOf(cluster, id), id === controller ? 'yes' : '']),
    );

    const describe = async () => {
      const out = await tributary('topic', 'describe', 'cli-topic', '-b', bootstrapOf(cluster, 3));
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stdout, /PartitionCount: 2 {2}ReplicationFactor: 3/);
      return rows(out.stdout, 'PARTITION').map((r) => [r[0], r[1], r[3], r[4], r[5]]);
    };
    assert.deepEqual(await describe(), [
      ['0', '1', '1,2,3', '1,2,3', '-'],
      ['1', '2', '2,3,1', '2,3,1', '-'],
    ]);

    // Broker 1 restarts: partition 0 is led by broker 2 and broker 1 is offline meanwhile.
    await cluster.stopBroker(1);
    await waitUntil('broker 3 sees broker 1 offline', async () => (await partitionsOf(bootstrapOf(cluster, 3), 'cli-topic'))[0].offline.join() === '1');
    const whileDown = await describe();
    assert.deepEqual(whileDown[0], ['0', '2', '1,2,3', '2,3', '1']);
    await cluster.startBroker(1);
    await waitUntil('broker 1 back in the ISRs', async () => (await partitionsOf(bootstrapOf(cluster, 3), 'cli-topic')).every((p) => p.isr.includes(1)));
    assert.equal((await describe())[0][1], '2', 'leadership stays away after the restart');

    // From a broker that is not (necessarily) the controller: the CLI finds the controller.
    const elected = await tributary('leader', 'elect', '--topic', 'cli-topic', '--partition', '0', '-b', bootstrapOf(cluster, 3));
    assert.equal(elected.code, 0, elected.stderr);
    assert.equal(elected.stdout.trim(), 'Successfully completed leader election (PREFERRED) for partitions cli-topic-0');
    await waitUntil('broker 3 shows broker 1 leading again', async () => (await partitionsOf(bootstrapOf(cluster, 3), 'cli-topic'))[0].leader === 1);
    assert.equal((await describe())[0][1], '1');

    const whole = await tributary('leader', 'elect', '--topic', 'cli-topic', '-b', bootstrapOf(cluster, 2));
    assert.equal(whole.stdout.trim(), 'Valid replica already elected for partitions cli-topic-0, cli-topic-1');
    const all = await tributary('leader', 'elect', '-b', bootstrapOf(cluster, 2));
    assert.equal(all.stdout.trim(), 'No partition needed a leader election.');

    const unclean = await tributary('leader', 'elect', '--unclean', '--topic', 'cli-topic', '--partition', '1', '-b', bootstrapOf(cluster, 2));
    assert.equal(unclean.stdout.trim(), 'Valid replica already elected for partitions cli-topic-1');

    // partition reassign --wait: partition 1 moves off its leader (2) to 3,1.
    const moved = await tributary('partition', 'reassign', '--topic', 'cli-topic', '--partition', '1', '--replicas', '3,1', '--wait', '-b', bootstrapOf(cluster, 1));
    assert.equal(moved.code, 0, moved.stderr);
    const lines = moved.stdout.trim().split('\n');
    assert.equal(lines[0], 'Reassignment of cli-topic-1 to replicas 3,1 started.');
    assert.match(lines[1], /^Reassignment of cli-topic-1 complete: replicas 3,1, leader 3, ISR (3,1|1,3)\.$/);
    await waitUntil('broker 2 shows the move', async () => (await partitionsOf(bootstrapOf(cluster, 2), 'cli-topic'))[1].replicas.join() === '3,1');
    assert.deepEqual((await describe())[1].slice(0, 3), ['1', '3', '3,1']);
    assert.equal((await tributary('partition', 'reassignments', '-b', bootstrapOf(cluster, 2))).stdout.trim(), 'No reassignments in progress.');
    const badMove = await tributary('partition', 'reassign', '--topic', 'cli-topic', '--partition', '1', '--replicas', '1,9', '-b', bootstrapOf(cluster, 2));
    assert.equal(badMove.code, 1);
    assert.equal(badMove.stderr.trim(), 'cli-topic-1: INVALID_REPLICA_ASSIGNMENT: The manual partition assignment includes broker 9, but no such broker is registered.');
    const noneToCancel = await tributary('partition', 'reassign', '--topic', 'cli-topic', '--partition', '1', '--cancel', '-b', bootstrapOf(cluster, 2));
    assert.equal(noneToCancel.code, 1);
    assert.match(noneToCancel.stderr, /NO_REASSIGNMENT_IN_PROGRESS/);

    const missing = await tributary('topic', 'describe', 'no-such-topic', '-b', bootstrapOf(cluster, 2));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /UNKNOWN_TOPIC_OR_PARTITION/);
    const bad = await tributary('leader', 'elect', '--partition', '0', '-b', bootstrapOf(cluster, 2));
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--partition needs --topic/);
  } finally {
    await cluster.stop();
  }
});

test('tributary group list, describe, reset-offsets and delete from any broker of a cluster: coordinators and leaders found, every broker\'s groups listed', { timeout: 120_000 }, async () => {
  const cluster = await startCluster({ brokers: 3, config: { 'offsets.topic.num.partitions': '6', 'offsets.topic.replication.factor': '1', 'replica.fetch.wait.max.ms': '100' } });
  const kafka = new Kafka({ brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
  const admin = kafka.admin();
  try {
    await admin.connect();
    // One partition led by each broker, 10 records in each.
    await admin.createTopics({ topics: [{ topic: 'grouped', replicaAssignment: [{ partition: 0, replicas: [1, 2] }, { partition: 1, replicas: [2, 3] }, { partition: 2, replicas: [3, 1] }] }] });
    const producer = kafka.producer();
    await producer.connect();
    for (let p = 0; p < 3; p++) await producer.send({ topic: 'grouped', acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ partition: p, value: `p${p}-${i}` })) });
    await producer.disconnect();
    const groups = ['ga', 'gb', 'gc', 'gd', 'ge', 'gf'];
    for (const [i, groupId] of groups.entries()) await admin.setOffsets({ groupId, topic: 'grouped', partitions: [0, 1, 2].map((partition) => ({ partition, offset: String(i) })) });
    const coordinators = new Map<string, number>();
    for (const groupId of groups) {
      const found = await askBroker<{ coordinators: { nodeId: number; errorCode: number }[] }>(bootstrapOf(cluster, 1), 10, 4, { keyType: 0, coordinatorKeys: [groupId] });
      coordinators.set(groupId, found.coordinators[0].nodeId);
    }
    assert.ok(new Set(coordinators.values()).size >= 2, `the groups have more than one coordinator (${[...coordinators].join(' ')})`);

    for (const id of [1, 2, 3]) {
      const listed = await tributary('group', 'list', '-b', bootstrapOf(cluster, id));
      assert.equal(listed.code, 0, listed.stderr);
      assert.deepEqual(rows(listed.stdout, 'GROUP').map((r) => r[0]), groups, `every group, asked of broker ${id}`);
    }
    // Asked of a broker that does not coordinate it: members, committed offsets, each partition's end offset from its leader.
    for (const [i, groupId] of groups.entries()) {
      const elsewhere = [1, 2, 3].find((id) => id !== coordinators.get(groupId)) ?? 1;
      const described = await tributary('group', 'describe', groupId, '-b', bootstrapOf(cluster, elsewhere));
      assert.equal(described.code, 0, described.stderr);
      assert.match(described.stdout, new RegExp(`^Group ${groupId}: state Empty`, 'm'));
      assert.deepEqual(rows(described.stdout, 'TOPIC').map((r) => r.slice(0, 5)), [0, 1, 2].map((p) => ['grouped', String(p), String(i), '10', String(10 - i)]));
    }
    const target = groups[0];
    const notItsCoordinator = [1, 2, 3].find((id) => id !== coordinators.get(target)) ?? 1;
    const reset = await tributary('group', 'reset-offsets', target, '--topic', 'grouped', '--to-latest', '--execute', '-b', bootstrapOf(cluster, notItsCoordinator));
    assert.equal(reset.code, 0, reset.stderr);
    const offsets = await admin.fetchOffsets({ groupId: target, topics: ['grouped'] });
    assert.deepEqual(offsets[0].partitions.map((p) => [p.partition, p.offset]).sort(), [[0, '10'], [1, '10'], [2, '10']]);
    const deleted = await tributary('group', 'delete', 'gf', '-b', bootstrapOf(cluster, [1, 2, 3].find((id) => id !== coordinators.get('gf')) ?? 1));
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(deleted.stdout.trim(), 'Deleted group gf.');
    assert.deepEqual(rows((await tributary('group', 'list', '-b', bootstrapOf(cluster, 1))).stdout, 'GROUP').map((r) => r[0]), groups.slice(0, 5));
  } finally {
    await admin.disconnect();
    await cluster.stop();
  }
});
