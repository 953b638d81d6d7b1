// The cluster commands of the `tributary` CLI, run as a user runs them (a child process) against a
// three-broker cluster on a real etcd: cluster info, topic describe with replicas/ISR/offline, and
// leader elect (routed to the controller from any broker) after a restart moved a leadership, and
// partition reassign --wait / partition reassignments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startCluster, type RunningCluster } from '../../src/broker/cluster.js';
import { askBroker, controllerOf, partitionsOf, waitUntil } from '../helpers/cluster-admin.js';

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
