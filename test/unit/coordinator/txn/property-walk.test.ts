// A seeded random walk over the transaction coordinator: requests from current and zombie
// producers, writes that become durable or fail, markers delivered piecemeal with errors, time,
// sweeps and coordinator moves, with invariants checked after every step. A failure names its
// seed; TXN_WALK_SEED=<n> replays one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Prng } from '../../../helpers/prng.js';
import { ManualScheduler } from '../../../../src/coordinator/scheduler.js';
import { ErrorCode } from '../../../../src/protocol/error-codes.js';
import { TxnCoordinatorShard, type TxnView } from '../../../../src/coordinator/txn/coordinator.js';
import type { MarkerResult } from '../../../../src/coordinator/txn/markers.js';
import { parseTxnKey, parseTxnValue } from '../../../../src/coordinator/txn/records.js';
import { replayTxnRecords } from '../../../../src/coordinator/txn/replay.js';
import { canTransition, TxnState, txnStateName } from '../../../../src/coordinator/txn/txn-state.js';
import type { MarkerWork, Step, TxnLogRecord, TxnWrite, WriteOutcome } from '../../../../src/coordinator/txn/writes.js';
import { CONFIG, SequenceIds } from './harness.js';

const WALK_CONFIG = { ...CONFIG, transactionalIdExpirationMs: 40_000 };
const IDS = ['t0', 't1', 't2'];
const TOPICS = ['a', 'b'];
const APPEND_ERRORS = [ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.REQUEST_TIMED_OUT, ErrorCode.MESSAGE_TOO_LARGE];

interface Handle {
  producerId: bigint;
  producerEpoch: number;
}

interface Pending {
  write: TxnWrite<unknown>;
  onAnswer: (answer: unknown) => void;
}

class Walk {
  readonly rng: Prng;
  readonly clock = new ManualScheduler();
  readonly ids = new SequenceIds();
  readonly log: TxnLogRecord[] = [];
  shard: TxnCoordinatorShard;
  coordinatorEpoch = 0;
  pending: Pending[] = [];
  markers: MarkerWork[] = [];
  /** Producer handles per transactional id, in the order InitProducerId handed them out. */
  readonly handles = new Map<string, Handle[]>();
  /** The highest epoch InitProducerId answered per producer id, and which transactional id it belongs to. */
  readonly maxAnswered = new Map<bigint, { epoch: number; transactionalId: string }>();
  /** The highest in-memory epoch seen per producer id since the last load. */
  memoryEpochs = new Map<bigint, number>();
  readonly trace: string[] = [];
  /** How often the interesting things happened, so a walk that stopped exercising them is noticed. */
  static readonly seen = new Map<string, number>();

  private count(what: string): void {
    Walk.seen.set(what, (Walk.seen.get(what) ?? 0) + 1);
  }

  constructor(readonly seed: number) {
    this.rng = new Prng(seed);
    this.shard = new TxnCoordinatorShard(0, 0, WALK_CONFIG, this.clock, this.ids);
  }

  step(): void {
    const roll = this.rng.int(100);
    if (roll < 10) this.init();
    else if (roll < 25) this.addPartitions();
    else if (roll < 28) this.addOffsets();
    else if (roll < 38) this.endTxn();
    else if (roll < 41) this.verify();
    else if (roll < 66) this.resolveWrite();
    else if (roll < 81) this.deliverMarkers();
    else if (roll < 89) this.advance();
    else if (roll < 93) this.sweep();
    else if (roll < 96) this.expire();
    else if (roll < 98) this.reload();
    else this.toggleAllocator();
  }

  private id(): string {
    return this.rng.pick(IDS);
  }

  /** Mostly the newest producer of the id, sometimes an older one (a zombie). */
  private handle(id: string): Handle | null {
    const list = this.handles.get(id) ?? [];
    if (list.length === 0) return null;
    return this.rng.chance(0.75) ? list[list.length - 1] : this.rng.pick(list);
  }

  private partitions(): { topic: string; partition: number }[] {
    const n = 1 + this.rng.int(3);
    return Array.from({ length: n }, () => ({ topic: this.rng.pick(TOPICS), partition: this.rng.int(3) }));
  }

  private take<A>(step: Step<A>, onAnswer: (a: A) => void): void {
    if (step.kind === 'answer') {
      const code = (step.answer as { errorCode?: number }).errorCode;
      if (code !== undefined) this.count(`answer ${code}`);
      onAnswer(step.answer);
    }
    else this.pending.push({ write: step.write, onAnswer: onAnswer as (a: unknown) => void });
  }

  private init(): void {
    const id = this.id();
    const named = this.rng.chance(0.3) ? this.handle(id) : null;
    const timeout = this.rng.pick([1_000, 5_000, 30_000]);
    this.trace.push(`init ${id}${named ? ` naming ${named.producerId}/${named.producerEpoch}` : ''}`);
    this.take(this.shard.initProducerId({ transactionalId: id, transactionTimeoutMs: timeout, producerId: named?.producerId ?? -1n, producerEpoch: named?.producerEpoch ?? -1 }), (a) => {
      if (a.errorCode !== ErrorCode.NONE) return;
      const prior = this.maxAnswered.get(a.producerId);
      assert.ok(!prior || prior.transactionalId === id, `producer id ${a.producerId} handed to ${id} and ${prior?.transactionalId}`);
      assert.ok(!prior || a.producerEpoch >= prior.epoch, `InitProducerId answered ${a.producerId}/${a.producerEpoch} after ${prior?.epoch}`);
      this.maxAnswered.set(a.producerId, { epoch: a.producerEpoch, transactionalId: id });
      const list = this.handles.get(id) ?? [];
      list.push({ producerId: a.producerId, producerEpoch: a.producerEpoch });
      this.handles.set(id, list);
    });
  }

  /** A request that succeeded must come from the newest producer of its producer id. */
  private checkNotZombie(what: string, h: Handle, errorCode: number): void {
    if (errorCode !== ErrorCode.NONE) return;
    const max = this.maxAnswered.get(h.producerId);
    assert.ok(max && max.epoch === h.producerEpoch, `${what} succeeded for ${h.producerId}/${h.producerEpoch}, but epoch ${max?.epoch} was handed out since`);
  }

  private addPartitions(): void {
    const id = this.id();
    const h = this.handle(id);
    if (!h) return;
    const partitions = this.partitions();
    this.trace.push(`add ${id} ${h.producerId}/${h.producerEpoch} ${partitions.map((p) => `${p.topic}-${p.partition}`).join(',')}`);
    this.take(this.shard.addPartitions({ transactionalId: id, ...h, partitions }), (a) => this.checkNotZombie('AddPartitionsToTxn', h, a.errorCode));
  }

  private addOffsets(): void {
    const id = this.id();
    const h = this.handle(id);
    if (!h) return;
    this.trace.push(`offsets ${id} ${h.producerId}/${h.producerEpoch}`);
    this.take(this.shard.addOffsets({ transactionalId: id, ...h, groupId: this.rng.pick(['g1', 'g2']) }), (a) => this.checkNotZombie('AddOffsetsToTxn', h, a.errorCode));
  }

  private endTxn(): void {
    const id = this.id();
    const h = this.handle(id);
    if (!h) return;
    const committed = this.rng.chance(0.6);
    this.trace.push(`end ${id} ${h.producerId}/${h.producerEpoch} ${committed ? 'commit' : 'abort'}`);
    this.take(this.shard.endTxn({ transactionalId: id, ...h, committed }), (a) => {
      this.checkNotZombie('EndTxn', h, a.errorCode);
      if (a.errorCode === ErrorCode.NONE) assert.deepEqual([a.producerId, a.producerEpoch], [h.producerId, h.producerEpoch]);
    });
  }

  private verify(): void {
    const id = this.id();
    const h = this.handle(id);
    if (!h) return;
    this.trace.push(`verify ${id}`);
    for (const e of this.shard.verifyPartitions({ transactionalId: id, ...h, partitions: this.partitions() })) {
      this.checkNotZombie('verification', h, e.errorCode);
      if (e.errorCode === ErrorCode.NONE) assert.ok(this.view(id)?.partitions.some((tp) => tp.topic === e.topic && tp.partition === e.partition));
    }
  }

  private outcome(p: Pending, o: WriteOutcome<unknown>): void {
    p.onAnswer(o.answer);
    const code = (o.answer as { errorCode?: number } | null)?.errorCode;
    if (code !== undefined) this.count(`answer ${code}`);
    if (o.markers) {
      assert.equal(o.markers.coordinatorEpoch, this.coordinatorEpoch);
      assert.equal(o.markers.producerEpoch, this.view(o.markers.transactionalId)?.producerEpoch, 'markers carry the epoch of the Prepare record');
      this.markers.push(o.markers);
    }
    if (o.next) this.pending.push({ write: o.next, onAnswer: () => {} });
  }

  private resolveWrite(): void {
    if (this.pending.length === 0) return;
    const p = this.pending.splice(this.rng.int(this.pending.length), 1)[0];
    if (this.rng.chance(0.8)) {
      this.trace.push(`durable ${p.write.records.map((r) => describeRecord(r)).join(' ')}`);
      this.log.push(...p.write.records);
      for (const r of p.write.records) this.count(describeRecord(r).replace(/^[^:]*:|@.*$/g, ''));
      this.outcome(p, p.write.durable());
    } else {
      const code = this.rng.pick(APPEND_ERRORS);
      this.count('failed write');
      this.trace.push(`failed(${code}) ${p.write.records.map((r) => describeRecord(r)).join(' ')}`);
      this.outcome(p, p.write.failed(code));
    }
  }

  private deliverMarkers(): void {
    if (this.markers.length === 0) return;
    const i = this.rng.int(this.markers.length);
    const work = this.markers[i];
    const sent = work.partitions.filter(() => this.rng.chance(0.7));
    const results: MarkerResult[] = sent.map((tp) => {
      const roll = this.rng.next();
      if (roll < 0.85) return { ...tp, errorCode: ErrorCode.NONE };
      if (roll < 0.95) return { ...tp, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
      if (roll < 0.98) return { ...tp, deleted: true as const };
      return { ...tp, errorCode: ErrorCode.INVALID_PRODUCER_EPOCH };
    });
    this.trace.push(`markers ${work.transactionalId} ${results.map((r) => `${r.topic}-${r.partition}:${'deleted' in r ? 'deleted' : r.errorCode}`).join(',')}`);
    const progress = this.shard.markersWritten(work, results);
    const left = work.partitions.filter((tp) => !sent.includes(tp));
    const again = [...left, ...(progress.retry?.partitions ?? [])];
    if (progress.cancelled || again.length === 0) this.markers.splice(i, 1);
    else this.markers[i] = { ...work, partitions: again };
    if (progress.completion) {
      assert.equal(again.length, 0, 'completion only once every partition is in');
      this.pending.push({ write: progress.completion, onAnswer: () => {} });
    }
  }

  private advance(): void {
    const ms = this.rng.int(20_000);
    this.trace.push(`advance ${ms}`);
    this.clock.advance(ms);
  }

  private sweep(): void {
    this.trace.push('abort timed out');
    for (const write of this.shard.abortTimedOutTransactions()) {
      this.count('timeout abort');
      this.pending.push({ write, onAnswer: () => {} });
    }
  }

  private expire(): void {
    this.trace.push('expire ids');
    for (const write of this.shard.expireTransactionalIds(2)) this.pending.push({ write, onAnswer: () => {} });
  }

  private toggleAllocator(): void {
    this.ids.failWith = this.ids.failWith === null ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : null;
  }

  /** Leadership moves: writes in flight either made it to the log or not; their late outcomes answer NOT_COORDINATOR. */
  reload(): void {
    this.trace.push('reload');
    const old = this.shard;
    old.close();
    for (const p of this.pending) {
      if (this.rng.chance(0.5)) {
        this.log.push(...p.write.records);
        const o = p.write.durable();
        assert.equal(o.markers, null, 'a closed shard hands out no markers');
        assert.equal(o.next, null);
        const answer = o.answer as { errorCode?: number } | null;
        if (answer) assert.equal(answer.errorCode, ErrorCode.NOT_COORDINATOR);
      } else {
        p.write.failed(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      }
    }
    this.pending = [];
    this.markers = [];
    const replayed = replayTxnRecords(this.log);
    assert.deepEqual(replayed.skipped, []);
    this.coordinatorEpoch++;
    const loaded = TxnCoordinatorShard.load(0, this.coordinatorEpoch, replayed.txns, WALK_CONFIG, this.clock, this.ids);
    this.shard = loaded.shard;
    this.markers.push(...loaded.markers);
    if (loaded.markers.length > 0) this.count('markers resent after a load');
    for (const write of loaded.writes) this.pending.push({ write, onAnswer: () => {} });
    this.memoryEpochs = new Map();
  }

  view(id: string): TxnView | null {
    return this.shard.describe(id);
  }

  /** Every invariant, after every step. */
  check(): void {
    const fromLog = replayTxnRecords(this.log).txns;
    for (const v of this.shard.list().concat(IDS.map((id) => this.view(id)).filter((v): v is TxnView => v !== null && v.pendingState === TxnState.Dead))) {
      const name = `${v.transactionalId} (${v.stateName}, pending ${v.pendingState === null ? 'none' : txnStateName(v.pendingState)})`;
      if (v.state === TxnState.Ongoing) assert.ok(v.partitions.length > 0, `${name}: Ongoing with no partitions`);
      if (v.state === TxnState.Empty || v.state === TxnState.CompleteCommit || v.state === TxnState.CompleteAbort) assert.equal(v.partitions.length, 0, `${name}: partitions left`);
      if (v.state === TxnState.Empty) assert.equal(v.txnStartTimestamp, -1, name);
      assert.ok(v.state !== TxnState.Dead && v.state !== TxnState.PrepareEpochFence, `${name}: never a current state`);
      if (v.pendingState !== null) {
        assert.notEqual(v.pendingState, TxnState.PrepareEpochFence, `${name}: a fence never outlives its call`);
        assert.ok(canTransition(v.state, v.pendingState), `${name}: pending a transition the table forbids`);
      }
      assert.ok(v.producerEpoch >= -1 && v.producerEpoch <= 32767, name);
      const seen = this.memoryEpochs.get(v.producerId) ?? -1;
      assert.ok(v.producerEpoch >= seen, `${name}: epoch went from ${seen} to ${v.producerEpoch}`);
      this.memoryEpochs.set(v.producerId, v.producerEpoch);
      const answered = this.maxAnswered.get(v.producerId);
      if (answered) assert.ok(v.producerEpoch >= answered.epoch, `${name}: below an epoch already handed out`);

      // Memory agrees with the log for ids at rest: the log is what a new coordinator would know.
      const logged = fromLog.get(v.transactionalId);
      if (v.pendingState !== null) continue;
      if (!logged) {
        assert.equal(v.producerEpoch, -1, `${name}: in memory, never written, but has an epoch`);
        continue;
      }
      assert.equal(v.state, logged.state, `${name}: state differs from the log`);
      assert.equal(v.producerId, logged.producerId, name);
      assert.equal(v.txnTimeoutMs, logged.txnTimeoutMs, name);
      assert.equal(v.txnStartTimestamp, logged.txnStartTimestamp, name);
      const lead = v.producerEpoch - logged.producerEpoch;
      assert.ok(lead === 0 || (lead === 1 && v.state === TxnState.Ongoing), `${name}: epoch ${v.producerEpoch} in memory, ${logged.producerEpoch} in the log (only a failed fence may lead by one)`);
      if (v.state !== TxnState.PrepareCommit && v.state !== TxnState.PrepareAbort) assert.deepEqual(v.partitions, logged.partitions.list(), `${name}: partitions differ from the log`);
    }
    for (const id of fromLog.keys()) assert.ok(this.view(id), `${id} is in the log but not in memory`);
    // Per producer id, epochs in the log never go down.
    const logEpochs = new Map<bigint, number>();
    for (const rec of this.log) {
      if (rec.value === null) continue;
      const v = parseTxnValue(rec.value);
      assert.ok(v.producerEpoch >= (logEpochs.get(v.producerId) ?? -1), `the log lowers the epoch of ${v.producerId}`);
      logEpochs.set(v.producerId, v.producerEpoch);
      const open = v.state === TxnState.Ongoing || v.state === TxnState.PrepareCommit || v.state === TxnState.PrepareAbort;
      assert.equal(v.partitions.length > 0, open, `a ${txnStateName(v.state)} record with ${v.partitions.length} topics`);
    }
  }

  /** Everything settles once writes succeed and markers arrive: a reload clears what Kafka leaves stuck, then no id is left mid-transaction. */
  drain(): void {
    this.ids.failWith = null;
    this.reload();
    for (let round = 0; round < 50 && (this.pending.length > 0 || this.markers.length > 0); round++) {
      for (const p of this.pending.splice(0)) {
        this.log.push(...p.write.records);
        this.outcome(p, p.write.durable());
      }
      for (const work of this.markers.splice(0)) {
        const progress = this.shard.markersWritten(work, work.partitions.map((tp) => ({ ...tp, errorCode: ErrorCode.NONE })));
        assert.equal(progress.cancelled, false);
        if (progress.completion) this.pending.push({ write: progress.completion, onAnswer: () => {} });
      }
      this.check();
    }
    for (const v of this.shard.list()) {
      assert.equal(v.pendingState, null, `${v.transactionalId} still pending after the drain`);
      assert.notEqual(v.state, TxnState.PrepareCommit, v.transactionalId);
      assert.notEqual(v.state, TxnState.PrepareAbort, v.transactionalId);
    }
  }
}

function describeRecord(r: TxnLogRecord): string {
  const k = parseTxnKey(r.key);
  const id = k.kind === 'txn' ? k.transactionalId : '?';
  if (r.value === null) return `${id}:tombstone`;
  const v = parseTxnValue(r.value);
  return `${id}:${txnStateName(v.state)}@${v.producerId}/${v.producerEpoch}`;
}

function walk(seed: number, steps: number): void {
  const w = new Walk(seed);
  let i = 0;
  try {
    for (; i < steps; i++) {
      w.step();
      w.check();
    }
    w.drain();
  } catch (err) {
    const detail = err instanceof assert.AssertionError ? ` (actual ${String(err.actual)}, expected ${String(err.expected)})` : '';
    const message = (err instanceof Error ? err.message : String(err)) + detail;
    assert.fail(`seed ${seed}, step ${i}: ${message}\nlast events:\n  ${w.trace.slice(-15).join('\n  ')}`);
  }
}

test('random walks keep every invariant (seeded; TXN_WALK_SEED replays one)', () => {
  const only = process.env.TXN_WALK_SEED;
  const seeds = only ? [Number(only)] : Array.from({ length: 40 }, (_, k) => 1000 + k);
  for (const seed of seeds) walk(seed, 300);
  if (only) return;
  const seen = Object.fromEntries(Walk.seen);
  for (const what of ['CompleteCommit', 'CompleteAbort', 'tombstone', 'timeout abort', 'markers resent after a load', 'failed write', `answer ${ErrorCode.PRODUCER_FENCED}`, `answer ${ErrorCode.CONCURRENT_TRANSACTIONS}`, `answer ${ErrorCode.INVALID_TXN_STATE}`, `answer ${ErrorCode.NOT_COORDINATOR}`]) {
    assert.ok((seen[what] ?? 0) >= 5, `the walks rarely reached ${what}: ${JSON.stringify(seen)}`);
  }
});
