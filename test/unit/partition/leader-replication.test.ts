// A partition as leader and as follower, without sockets: the high watermark is the smallest log
// end of the ISR, the ISR shrinks after replica.lag.time.max.ms and grows when a follower catches
// up (proposed through the metadata seam, applied when accepted), and a follower takes the
// leader's batches unchanged with the leader's high watermark capped at its own end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Partition, type PartitionContext } from '../../../src/partition/partition.js';
import { MemoryLog } from '../../../src/storage/memory-log.js';
import { buildBatch } from '../../../src/protocol/records/batch-records.js';
import type { PartitionState } from '../../../src/metadata/metadata-store.js';

const ME = 1;

function batch(n: number): Promise<Buffer> {
  return buildBatch(Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`), timestamp: 1000 })));
}

interface Harness {
  partition: Partition;
  clock: { now: number };
  proposals: { expected: number; next: PartitionState }[];
  accept: boolean;
}

function leaderOf(isr: number[], replicas = [1, 2, 3]): Harness {
  const h: Harness = { clock: { now: 10_000 }, proposals: [], accept: true, partition: null as unknown as Partition };
  const context: PartitionContext = {
    now: () => h.clock.now,
    producerIdExpirationMs: () => 86_400_000,
    onBackgroundError: (what, err) => assert.fail(`${what}: ${String(err)}`),
    proposeState: async (_p, expected, next) => {
      h.proposals.push({ expected, next });
      return h.accept ? { ok: true, version: expected + 1 } : { ok: false };
    },
  };
  h.partition = new Partition('t', 0, new MemoryLog(), context);
  h.partition.applyState({ replicas, isr, leader: ME, leaderEpoch: 3, partitionEpoch: 7 }, 10, ME);
  return h;
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test('the leader commits only what every in-sync replica holds', async () => {
  const { partition } = leaderOf([1, 2, 3]);
  await partition.append(await batch(5), null);
  assert.equal(partition.acknowledgedEnd, 5);
  assert.equal(partition.highWatermark, 0, 'no follower has fetched yet');
  partition.recordFollowerFetch(2, 5);
  assert.equal(partition.highWatermark, 0, 'follower 3 has not fetched');
  partition.recordFollowerFetch(3, 2);
  assert.equal(partition.highWatermark, 2);
  partition.recordFollowerFetch(3, 5);
  assert.equal(partition.highWatermark, 5);
  // A fetch offset past the leader's end (a follower with records the leader lacks) is ignored.
  partition.recordFollowerFetch(2, 9);
  await partition.append(await batch(1), null);
  partition.recordFollowerFetch(3, 6);
  assert.equal(partition.highWatermark, 5, "follower 2's bogus offset does not count as copied");
});

test('a follower that does not catch up for replica.lag.time.max.ms leaves the ISR; the leader then commits without it', async () => {
  const h = leaderOf([1, 2, 3]);
  await h.partition.append(await batch(4), null);
  h.partition.recordFollowerFetch(2, 4);
  h.clock.now += 20_000;
  h.partition.shrinkIsrIfLagging(30_000);
  assert.equal(h.proposals.length, 0, 'within the lag time nobody leaves');
  h.clock.now += 15_000;
  h.partition.recordFollowerFetch(2, 4);
  h.partition.shrinkIsrIfLagging(30_000);
  assert.equal(h.proposals.length, 1);
  assert.deepEqual(h.proposals[0].next.isr, [1, 2]);
  assert.equal(h.proposals[0].next.partitionEpoch, 8);
  assert.equal(h.proposals[0].expected, 10);
  await settle();
  assert.deepEqual(h.partition.inSyncReplicas, [1, 2]);
  assert.equal(h.partition.highWatermark, 4, 'the smaller ISR commits what follower 2 holds');
});

test('a follower joins the ISR once it reaches the high watermark and the current epoch', async () => {
  const h = leaderOf([1, 2], [1, 2, 3]);
  await h.partition.append(await batch(3), null);
  h.partition.recordFollowerFetch(2, 3);
  assert.equal(h.partition.highWatermark, 3);
  h.partition.recordFollowerFetch(3, 1);
  assert.equal(h.proposals.length, 0, 'behind the high watermark');
  h.partition.recordFollowerFetch(3, 3);
  assert.equal(h.proposals.length, 1);
  assert.deepEqual(h.proposals[0].next.isr, [1, 2, 3]);
  await settle();
  assert.deepEqual(h.partition.inSyncReplicas, [1, 2, 3]);
});

test('a lost compare-and-set changes nothing until the metadata brings the winner', async () => {
  const h = leaderOf([1, 2, 3]);
  h.accept = false;
  h.clock.now += 40_000;
  h.partition.shrinkIsrIfLagging(30_000);
  await settle();
  assert.deepEqual(h.partition.inSyncReplicas, [1, 2, 3]);
  // The controller moved leadership meanwhile: the partition follows broker 2 now.
  h.partition.applyState({ replicas: [1, 2, 3], isr: [2, 3], leader: 2, leaderEpoch: 4, partitionEpoch: 9 }, 12, ME);
  assert.equal(h.partition.isLeader, false);
  assert.equal(h.partition.isFollower, true);
  assert.equal(h.partition.leaderEpoch, 4);
  // An older version (the lost proposal's echo) is ignored.
  h.partition.applyState({ replicas: [1, 2, 3], isr: [1, 2, 3], leader: ME, leaderEpoch: 3, partitionEpoch: 7 }, 11, ME);
  assert.equal(h.partition.leaderId, 2);
});

test('a follower appends the leader batches as they are and caps the leader high watermark at its own end', async () => {
  const leader = leaderOf([1]);
  await leader.partition.append(await batch(2), null);
  await leader.partition.append(await batch(3), null);
  const copied = (await leader.partition.readForReplica(0, 1 << 20, true)).records;

  const follower = new Partition('t', 0, new MemoryLog());
  follower.applyState({ replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 3, partitionEpoch: 1 }, 5, 2);
  assert.equal(follower.isFollower, true);
  await follower.appendReplicated(copied.subarray(0, copied.length - 7), 5);
  assert.equal(follower.acknowledgedEnd, 2, 'a trailing partial batch waits for the next fetch');
  assert.equal(follower.highWatermark, 2, "the leader's 5, capped at what the follower holds");
  await follower.appendReplicated(copied.subarray((await follower.readForReplica(0, 1 << 20, true)).records.length), 5);
  assert.equal(follower.acknowledgedEnd, 5);
  assert.equal(follower.highWatermark, 5);
  assert.ok((await follower.readForReplica(0, 1 << 20, true)).records.equals(copied), 'byte for byte');
  assert.deepEqual(follower.log.leaderEpochs.map((e) => e.epoch), [3]);
});

test('while a follower is being added to the ISR, nothing it lacks is committed (KIP-497 maximal ISR)', async () => {
  const h = leaderOf([1, 2]);
  let answer: (ok: boolean) => void = () => undefined;
  const proposals: PartitionState[] = [];
  h.partition = new Partition('t', 0, new MemoryLog(), {
    now: () => h.clock.now,
    producerIdExpirationMs: () => 86_400_000,
    onBackgroundError: (what, err) => assert.fail(`${what}: ${String(err)}`),
    proposeState: (_p, expected, next) => {
      proposals.push(next);
      return new Promise((resolve) => (answer = (ok) => resolve(ok ? { ok: true, version: expected + 1 } : { ok: false })));
    },
  });
  const { partition } = h;
  partition.applyState({ replicas: [1, 2, 3], isr: [1, 2], leader: ME, leaderEpoch: 3, partitionEpoch: 7 }, 10, ME);
  await partition.append(await batch(4), null);
  partition.recordFollowerFetch(2, 4);
  partition.recordFollowerFetch(3, 4);
  assert.equal(partition.highWatermark, 4);
  assert.deepEqual(proposals.map((p) => p.isr), [[1, 2, 3]], 'follower 3 reached the high watermark: proposed');

  // The store has not answered; a record follower 3 does not hold yet arrives and follower 2 copies it.
  await partition.append(await batch(1), null);
  partition.recordFollowerFetch(2, 5);
  assert.equal(partition.highWatermark, 4, 'follower 3 may be elected from the proposed ISR: offset 4 waits for it');
  partition.recordFollowerFetch(3, 5);
  assert.equal(partition.highWatermark, 5);

  // A refused proposal leaves the ISR as it was, and the high watermark follows it again.
  await partition.append(await batch(1), null);
  answer(false);
  await settle();
  partition.recordFollowerFetch(2, 6);
  assert.equal(partition.highWatermark, 6);
  assert.deepEqual(partition.inSyncReplicas, [1, 2]);
});
