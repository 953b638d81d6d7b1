// A seeded random walk of brokers dying, returning, bouncing and shutting down cleanly, with
// elections and rebalance checks in between, through the controller's view and decisions: the
// invariants of Kafka's partition states hold after every event.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MetadataChange, PartitionState, RegisteredBroker } from '../../../src/metadata/metadata-store.js';
import { decide, type ControllerEvent } from '../../../src/controller/controller-decisions.js';
import { ClusterControllerView } from '../../../src/controller/controller-view.js';
import { assignReplicas } from '../../../src/controller/replica-assignment.js';
import { initialPartitionState } from '../../../src/metadata/metadata-store.js';
import { Prng } from '../../helpers/prng.js';

const BROKERS = [1, 2, 3, 4, 5];

function registered(nodeId: number, epoch: number): RegisteredBroker {
  return { nodeId, epoch, incarnationId: `i${nodeId}`, endpoints: [], rack: null };
}

function checkInvariants(view: ClusterControllerView, where: string): void {
  for (const p of view.partitions()) {
    const s = p.state;
    assert.ok(s.isr.every((r) => s.replicas.includes(r)), `${where}: ISR ${s.isr} ⊄ replicas ${s.replicas}`);
    assert.ok(s.isr.length > 0, `${where}: empty ISR for ${p.topicId}-${p.partition}`);
    assert.equal(new Set(s.isr).size, s.isr.length, `${where}: duplicate in ISR`);
    // A dead broker stays in an ISR only as its last member (Kafka keeps it), the partition leaderless.
    const dead = s.isr.filter((r) => !view.live.has(r));
    assert.ok(dead.length === 0 || (s.isr.length === 1 && s.leader === -1), `${where}: dead ${dead} left in ISR ${s.isr} (leader ${s.leader})`);
    if (s.leader !== -1) {
      assert.ok(s.isr.includes(s.leader), `${where}: leader ${s.leader} not in ISR ${s.isr}`);
      assert.ok(view.live.has(s.leader), `${where}: leader ${s.leader} is not live`);
    } else {
      // Leaderless only when no ISR member may lead (unclean topics: no replica may).
      const candidates = p.topicId === 'unclean' ? s.replicas : s.isr;
      assert.ok(!candidates.some((r) => view.live.has(r) && !view.shuttingDown.has(r)), `${where}: ${p.topicId}-${p.partition} leaderless with eligible ${candidates}`);
    }
  }
}

for (const seed of [1, 2, 3, Date.now() % 1_000_000]) {
  test(`random broker failures keep partition states valid (seed ${seed})`, () => {
    const prng = new Prng(seed);
    const view = new ClusterControllerView(false);
    let revision = 1;
    const epochs = new Map<number, number>();
    const changes: MetadataChange[] = [];
    for (const b of BROKERS) {
      epochs.set(b, ++revision);
      changes.push({ kind: 'broker', nodeId: b, broker: registered(b, revision) });
    }
    for (const topicId of ['clean', 'unclean']) {
      changes.push({ kind: 'topic', name: topicId, topic: { name: topicId, topicId, partitions: 30, configs: topicId === 'unclean' ? { 'unclean.leader.election.enable': 'true' } : {} } });
      const replicas = assignReplicas(BROKERS.map((nodeId) => ({ nodeId, rack: null })), { partitions: 30, replicationFactor: 1 + prng.int(3) }, (n) => prng.int(n));
      replicas.forEach((r, partition) => changes.push({ kind: 'partition', topicId, partition, state: { partition, state: initialPartitionState(r, (id) => BROKERS.includes(id)), version: ++revision } }));
    }
    view.apply(changes);
    checkInvariants(view, 'start');

    for (let step = 0; step < 400; step++) {
      const nodeId = prng.pick(BROKERS);
      const roll = prng.int(10);
      let events: ControllerEvent[];
      if (roll < 3 && view.live.has(nodeId) && view.live.size > 1) {
        events = view.apply([{ kind: 'broker', nodeId, broker: null }]);
      } else if (roll < 6) {
        // A return, or (when still live) a bounce under a new epoch.
        events = view.apply([{ kind: 'broker', nodeId, broker: registered(nodeId, ++revision) }]);
      } else if (roll < 7 && view.live.has(nodeId)) {
        view.shuttingDown.add(nodeId);
        events = [{ kind: 'controlled-shutdown', nodeId }];
      } else if (roll < 8) {
        const parts = [...view.partitions()].filter(() => prng.chance(0.2)).map((p) => ({ topicId: p.topicId, partition: p.partition }));
        events = [{ kind: 'elect-leaders', type: prng.chance(0.5) ? 'preferred' : 'unclean', partitions: parts }];
      } else if (roll < 9) {
        events = [{ kind: 'rebalance-check', imbalancePercentage: prng.int(30) }];
      } else {
        events = [{ kind: 'reconcile' }];
      }
      for (const event of events) {
        const where = `seed ${seed} step ${step} ${JSON.stringify(event)}`;
        const before = new Map([...view.partitions()].map((p) => [`${p.topicId}:${p.partition}`, p]));
        const { writes } = decide(view, event);
        const written = new Set<string>();
        for (const w of writes) {
          const k = `${w.topicId}:${w.partition}`;
          assert.ok(!written.has(k), `${where}: two writes for ${k}`);
          written.add(k);
          const prev = before.get(k);
          assert.ok(prev, `${where}: write for an unknown partition`);
          assert.equal(w.expectedVersion, prev.version, `${where}: CAS on a stale version`);
          const a: PartitionState = prev.state;
          assert.equal(w.next.partitionEpoch, a.partitionEpoch + 1, `${where}: partition epoch must rise by one`);
          assert.ok(w.next.leaderEpoch === a.leaderEpoch || w.next.leaderEpoch === a.leaderEpoch + 1, `${where}: leader epoch jumped`);
          if (w.next.leader !== a.leader) assert.equal(w.next.leaderEpoch, a.leaderEpoch + 1, `${where}: leader changed without a new leader epoch`);
          assert.deepEqual(w.next.replicas, a.replicas, `${where}: replicas changed`);
          view.recordWrite(w.topicId, w.partition, w.next, ++revision);
        }
        // Elections and rebalances start from a settled view; the invariants hold after every event.
        checkInvariants(view, where);
      }
    }
  });
}
