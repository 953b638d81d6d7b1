// Test scaffolding for the transaction coordinator: a manual clock, a producer id source, and an
// in-memory __transaction_state that appends a step's records and reports the outcome, following
// any further writes, collecting markers.
import assert from 'node:assert/strict';
import { ManualScheduler } from '../../../../src/coordinator/scheduler.js';
import { KafkaError, ErrorCode } from '../../../../src/protocol/error-codes.js';
import { TXN_COORDINATOR_DEFAULTS, type ProducerIdAllocator, type TxnCoordinatorConfig } from '../../../../src/coordinator/txn/config.js';
import { TxnCoordinatorShard, type TxnView } from '../../../../src/coordinator/txn/coordinator.js';
import { replayTxnRecords } from '../../../../src/coordinator/txn/replay.js';
import type { MarkerWork, Step, TxnLogRecord, TxnWrite, WriteOutcome } from '../../../../src/coordinator/txn/writes.js';
import type { TxnState } from '../../../../src/coordinator/txn/txn-state.js';

/** One partition for the whole topic, so every id is this shard's. */
export const CONFIG: TxnCoordinatorConfig = { ...TXN_COORDINATOR_DEFAULTS, transactionStatePartitions: 1, transactionMaxTimeoutMs: 60_000, transactionalIdExpirationMs: 3_600_000 };

export class SequenceIds implements ProducerIdAllocator {
  failWith: number | null = null;
  constructor(public next = 1000n) {}
  allocate(): bigint {
    if (this.failWith !== null) throw new KafkaError(this.failWith);
    return this.next++;
  }
}

export class TxnLog {
  readonly records: TxnLogRecord[] = [];
  readonly markers: MarkerWork[] = [];

  /** Appends the write and reports it durable, then does the same for every follow-up write. */
  commit<A>(write: TxnWrite<A>): WriteOutcome<A> {
    this.records.push(...write.records);
    const out = write.durable();
    if (out.markers) this.markers.push(out.markers);
    let next = out.next;
    while (next) {
      this.records.push(...next.records);
      const o = next.durable();
      if (o.markers) this.markers.push(o.markers);
      next = o.next;
    }
    return out;
  }

  /** The step's answer: at once, or after its write is durable. */
  run<A>(step: Step<A>): A {
    return step.kind === 'answer' ? step.answer : this.commit(step.write).answer;
  }

  /** The last marker work handed out, taken off the list. */
  takeMarkers(): MarkerWork {
    const m = this.markers.pop();
    assert.ok(m, 'markers were handed out');
    return m;
  }
}

export interface Rig {
  clock: ManualScheduler;
  ids: SequenceIds;
  log: TxnLog;
  shard: TxnCoordinatorShard;
}

export function rig(config: TxnCoordinatorConfig = CONFIG, coordinatorEpoch = 0): Rig {
  const clock = new ManualScheduler();
  const ids = new SequenceIds();
  return { clock, ids, log: new TxnLog(), shard: new TxnCoordinatorShard(0, coordinatorEpoch, config, clock, ids) };
}

/** A new shard over the rig's log, as a newly elected leader builds it; the rig now uses it. */
export function reload(r: Rig, coordinatorEpoch: number, config: TxnCoordinatorConfig = CONFIG): { markers: readonly MarkerWork[]; writes: readonly TxnWrite<null>[] } {
  r.shard.close();
  const replayed = replayTxnRecords(r.log.records);
  assert.deepEqual(replayed.skipped, []);
  const loaded = TxnCoordinatorShard.load(0, coordinatorEpoch, replayed.txns, config, r.clock, r.ids);
  r.shard = loaded.shard;
  return { markers: loaded.markers, writes: loaded.writes };
}

export function expectWrite<A>(step: Step<A>): TxnWrite<A> {
  assert.equal(step.kind, 'write', `expected a write, got the answer ${JSON.stringify(step.kind === 'answer' ? step.answer : null, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`);
  return (step as { write: TxnWrite<A> }).write;
}

export function expectAnswer<A>(step: Step<A>): A {
  assert.equal(step.kind, 'answer', 'expected an answer now, got a write');
  return (step as { answer: A }).answer;
}

export function view(r: Rig, id: string): TxnView {
  const v = r.shard.describe(id);
  assert.ok(v, `${id} is known`);
  return v;
}

export function stateOf(r: Rig, id: string): TxnState {
  return view(r, id).state;
}

export const ok = ErrorCode.NONE;

/** InitProducerId with no previous id, committed; returns producer id and epoch. */
export function init(r: Rig, id: string, timeoutMs = 30_000): { producerId: bigint; producerEpoch: number } {
  const a = r.log.run(r.shard.initProducerId({ transactionalId: id, transactionTimeoutMs: timeoutMs, producerId: -1n, producerEpoch: -1 }));
  assert.equal(a.errorCode, ok, `InitProducerId ${id}`);
  return { producerId: a.producerId, producerEpoch: a.producerEpoch };
}

export function add(r: Rig, id: string, p: { producerId: bigint; producerEpoch: number }, partitions: [string, number][]): number {
  return r.log.run(r.shard.addPartitions({ transactionalId: id, ...p, partitions: partitions.map(([topic, partition]) => ({ topic, partition })) })).errorCode;
}

/** EndTxn, durable; the markers it hands out are left in r.log.markers. */
export function end(r: Rig, id: string, p: { producerId: bigint; producerEpoch: number }, committed: boolean): number {
  return r.log.run(r.shard.endTxn({ transactionalId: id, ...p, committed })).errorCode;
}

/** Every marker of `work` written, then the completion record made durable. */
export function deliverAll(r: Rig, work: MarkerWork): void {
  const progress = r.shard.markersWritten(work, work.partitions.map((tp) => ({ ...tp, errorCode: ok })));
  assert.equal(progress.cancelled, false);
  assert.ok(progress.completion, 'the completion write follows the last marker');
  r.log.commit(progress.completion);
}
