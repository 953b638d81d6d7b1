// The transaction views across a two-broker cluster (metadata in a real etcd): `tributary
// transactions list` asks every broker and names each id's coordinator, describe goes to the
// id's coordinator whichever broker it starts from, DescribeProducers answers on a follower too
// (as in Kafka, any replica holds the producer state) and NOT_LEADER_OR_FOLLOWER on a broker with
// no replica, and abort started from any broker writes its marker at the partition's leader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { startCluster, type RunningCluster } from '../../src/broker/cluster.js';
import { askBroker, waitUntil } from '../helpers/cluster-admin.js';
import { buildBatch } from '../../src/protocol/records/batch-records.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { DescribeProducersResponse, FindCoordinatorResponse, ListOffsetsResponse } from '../../src/protocol/generated/index.js';
import type { RunningBroker } from '../../src/broker/broker.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../../bin/tributary.js', import.meta.url));

async function tributary(bootstrap: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, 'transactions', ...args, '-b', bootstrap], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

function rows(output: string, first: string): string[][] {
  const lines = output.split('\n');
  const at = lines.findIndex((l) => l.startsWith(first));
  assert.ok(at >= 0, `no ${first} header in:\n${output}`);
  return lines.slice(at + 1).filter((l) => l.trim() !== '').map((l) => l.trim().split(/\s+/));
}

const TOPIC = 'cluster-txn';
/** One replica, on broker 1 (a topic's partitions all have the same replication factor). */
const SOLO = 'cluster-solo';
const broker = (cluster: RunningCluster, id: number) => cluster.brokers.get(id) as RunningBroker;

async function coordinatorOf(bootstrap: string, transactionalId: string): Promise<number> {
  for (;;) {
    const res = await askBroker<FindCoordinatorResponse>(bootstrap, 10, 3, { key: transactionalId, keyType: 1 });
    if (res.errorCode === ErrorCode.NONE) return res.nodeId;
    // __transaction_state is created at the first FindCoordinator and its leaders are still being elected.
    assert.ok(res.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE || res.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, `FindCoordinator ${transactionalId}: ${res.errorCode}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('list, describe, describe-producers and abort across two brokers', async () => {
  const cluster = await startCluster({ brokers: 2, config: { 'replica.fetch.wait.max.ms': '100', 'transaction.state.log.num.partitions': '4', 'auto.leader.rebalance.enable': 'false', 'controlled.shutdown.retry.backoff.ms': '100' } });
  const producers: kafkajs.Producer[] = [];
  try {
    const b1 = broker(cluster, 1).bootstrap;
    const b2 = broker(cluster, 2).bootstrap;
    const created = await askBroker<{ topics: { errorCode: number }[] }>(b1, 19, 7, {
      topics: [
        { name: TOPIC, numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }], configs: [] },
        { name: SOLO, numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1] }], configs: [] },
      ],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    assert.deepEqual(created.topics.map((t) => t.errorCode), [0, 0]);

    // One transactional id coordinated by each broker (the leaders of __transaction_state's partitions).
    const idFor = new Map<number, string>();
    for (let i = 0; idFor.size < 2 && i < 40; i++) {
      const id = `cluster-txn-${i}`;
      const node = await coordinatorOf(b1, id);
      if (!idFor.has(node)) idFor.set(node, id);
    }
    assert.deepEqual([...idFor.keys()].sort(), [1, 2], 'both brokers coordinate some of the ids');

    const kafka = new kafkajs.Kafka({ brokers: [b1, b2], logLevel: kafkajs.logLevel.NOTHING });
    for (const id of idFor.values()) {
      const p = kafka.producer({ transactionalId: id, maxInFlightRequests: 1, idempotent: true });
      producers.push(p);
      await p.connect();
      const txn = await p.transaction();
      await txn.send({ topic: TOPIC, messages: [{ value: id, partition: 0 }] });
    }

    const listing = await tributary(b2, 'list', '--states', 'Ongoing');
    assert.equal(listing.code, 0, listing.stderr);
    assert.deepEqual(rows(listing.stdout, 'TRANSACTIONAL-ID').map((r) => [r[0], r[1], r[3]]).sort(), [...idFor].map(([node, id]) => [id, String(node), 'Ongoing']).sort(), 'each id listed once, by its coordinator');

    const away = idFor.get(2) as string;
    const described = await tributary(b1, 'describe', away);
    assert.equal(described.code, 0, described.stderr);
    const [coordinator, id, , , state, , , , partitions] = rows(described.stdout, 'COORDINATOR')[0];
    assert.deepEqual([coordinator, id, state, partitions], ['2', away, 'Ongoing', `${TOPIC}-0`], 'found at its coordinator, broker 2, from broker 1');

    // The follower's copy of the producer state, once it has replicated the batches.
    await waitUntil('broker 2 to replicate both transactional batches', async () => {
      const res = await askBroker<DescribeProducersResponse>(b2, 61, 0, { topics: [{ name: TOPIC, partitionIndexes: [0] }] });
      const p = res.topics[0].partitions[0];
      return p.errorCode === ErrorCode.NONE && p.activeProducers.filter((s) => s.currentTxnStartOffset >= 0n).length === 2;
    });
    const atFollower = await tributary(b1, 'describe-producers', '--topic', TOPIC, '--partition', '0', '--broker-id', '2');
    assert.equal(atFollower.code, 0, atFollower.stderr);
    const atLeader = await tributary(b2, 'describe-producers', '--topic', TOPIC, '--partition', '0');
    assert.equal(atLeader.code, 0, atLeader.stderr);
    const starts = (out: string) => rows(out, 'PRODUCER-ID').map((r) => [r[0], r[5]]).sort();
    assert.deepEqual(starts(atFollower.stdout), starts(atLeader.stdout), 'the follower describes the producers as the leader does');
    assert.deepEqual(starts(atLeader.stdout).map((r) => r[1]), ['0', '1']);

    // The solo topic lives on broker 1 alone.
    const notHere = await askBroker<DescribeProducersResponse>(b2, 61, 0, { topics: [{ name: SOLO, partitionIndexes: [0] }] });
    assert.equal(notHere.topics[0].partitions[0].errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const cliNotHere = await tributary(b1, 'describe-producers', '--topic', SOLO, '--partition', '0', '--broker-id', '2');
    assert.equal(cliNotHere.code, 1);
    assert.match(cliNotHere.stderr, /^producers of cluster-solo-0 at broker 2: NOT_LEADER_OR_FOLLOWER/);

    // A hanging transaction there, aborted from broker 2: the marker goes to the leader, broker 1.
    const hanging = broker(cluster, 1).partitionForTests(SOLO, 0);
    assert.ok(hanging);
    await hanging.append(await buildBatch([{ key: null, value: Buffer.from('h'), timestamp: Date.now() }], { producerId: 4242n, producerEpoch: 1, baseSequence: 0, transactional: true }), null);
    await hanging.append(await buildBatch([{ key: null, value: Buffer.from('behind'), timestamp: Date.now() }]), null);
    const lso = async () => {
      const res = await askBroker<ListOffsetsResponse>(b1, 2, 5, { replicaId: -1, isolationLevel: 1, topics: [{ name: SOLO, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }] });
      return res.topics[0].partitions[0].offset;
    };
    assert.equal(await lso(), 0n);
    const aborted = await tributary(b2, 'abort', '--topic', SOLO, '--partition', '0', '--start-offset', '0');
    assert.equal(aborted.code, 0, aborted.stderr);
    assert.match(aborted.stdout, /producer 4242 \(epoch 1\)/);
    assert.equal(await lso(), 3n, 'the ABORT marker at 2; everything before 3 is stable');
  } finally {
    for (const p of producers) await p.disconnect().catch(() => undefined);
    await cluster.stop();
  }
});
