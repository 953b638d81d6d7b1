// The delayed-operation queue on a manual clock: watch keys, checkAndComplete, deadlines, aborts
// and shutdown; every operation completes exactly once, and nothing it held (timer, abort
// listener, watcher entry) outlives it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { ManualScheduler } from '../../../src/partition/clock.js';
import { Purgatory, type Completion, type DelayedOperation } from '../../../src/partition/purgatory.js';
import { Prng } from '../../helpers/prng.js';

interface Probe {
  op: DelayedOperation;
  completions: Completion[];
  checks: number;
  ready: boolean;
}

function probe(keys: string[], timeoutMs: number, signal?: AbortSignal, kind = 'fetch'): Probe {
  const p: Probe = {
    completions: [],
    checks: 0,
    ready: false,
    op: {
      kind,
      keys,
      timeoutMs,
      signal,
      tryComplete: () => {
        p.checks++;
        return p.ready;
      },
      onComplete: (how) => p.completions.push(how),
    },
  };
  return p;
}

function setup(): { clock: ManualScheduler; purgatory: Purgatory; errors: unknown[] } {
  const clock = new ManualScheduler();
  const errors: unknown[] = [];
  return { clock, purgatory: new Purgatory({ scheduler: clock, onError: (err) => errors.push(err) }), errors };
}

/** Nothing left behind: no waiting operation, watcher entry or armed timer. */
function assertEmpty(purgatory: Purgatory, clock: ManualScheduler): void {
  assert.equal(purgatory.waiting, 0, 'waiting operations');
  assert.equal(purgatory.watchedKeys, 0, 'watched keys');
  assert.equal(purgatory.watchedSignals, 0, 'abort signals listened to');
  assert.equal(clock.pending, 0, 'armed timers');
}

test('many operations on one key: a check completes exactly those that can, the others keep waiting', () => {
  const { clock, purgatory } = setup();
  const probes = Array.from({ length: 100 }, () => probe(['t-0'], 30_000));
  for (const p of probes) assert.equal(purgatory.tryCompleteElseWatch(p.op), false);
  assert.equal(purgatory.waiting, 100);
  assert.equal(purgatory.waitingOf('fetch'), 100);
  assert.equal(purgatory.watchedKeys, 1);
  assert.equal(clock.pending, 100);

  probes.forEach((p, i) => (p.ready = i % 3 === 0));
  assert.equal(purgatory.checkAndComplete('t-0'), 34);
  assert.deepEqual(
    probes.map((p) => p.completions.join()),
    probes.map((_, i) => (i % 3 === 0 ? 'completed' : '')),
  );
  assert.equal(purgatory.waiting, 66);
  assert.equal(clock.pending, 66, 'completed operations cancelled their timers');

  // A key's other operations are untouched by a check of another key.
  for (const p of probes) p.ready = true;
  assert.equal(purgatory.checkAndComplete('t-1'), 0);
  assert.equal(purgatory.waiting, 66);
  assert.equal(purgatory.checkAndComplete('t-0'), 66);
  assert.ok(probes.every((p) => p.completions.length === 1 && p.completions[0] === 'completed'));
  assertEmpty(purgatory, clock);
});

test('one operation on many keys (one of them named twice): completes at a check of any of them, once, and leaves every key', () => {
  const { clock, purgatory } = setup();
  const p = probe(['a-0', 'b-0', 'c-0', 'a-0'], 5000);
  const other = probe(['c-0'], 5000);
  purgatory.tryCompleteElseWatch(p.op);
  purgatory.tryCompleteElseWatch(other.op);
  assert.equal(purgatory.watchedKeys, 3);

  assert.equal(purgatory.checkAndComplete('b-0'), 0, 'a check that fails completes nothing');
  p.ready = true;
  assert.equal(purgatory.checkAndComplete('b-0'), 1);
  assert.deepEqual(p.completions, ['completed']);
  assert.equal(purgatory.watchedKeys, 1, 'only c-0, which the other operation still watches');
  const checksBefore = p.checks;
  assert.equal(purgatory.checkAndComplete('a-0'), 0);
  assert.equal(purgatory.checkAndComplete('c-0'), 0);
  assert.equal(p.checks, checksBefore, 'a completed operation is checked no more');
  clock.advance(5000);
  assert.deepEqual(p.completions, ['completed'], 'its deadline no longer fires');
  assert.deepEqual(other.completions, ['expired']);
  assertEmpty(purgatory, clock);
});

test('an operation that can complete at once is never watched: no timer, no abort listener', () => {
  const { clock, purgatory } = setup();
  const signal = new AbortController().signal;
  const p = probe(['t-0'], 1000, signal);
  p.ready = true;
  assert.equal(purgatory.tryCompleteElseWatch(p.op), true);
  assert.deepEqual(p.completions, ['completed']);
  assert.equal(getEventListeners(signal, 'abort').length, 0);
  assertEmpty(purgatory, clock);
});

test('a change during the first check is not missed: the check runs again once the operation is watched', () => {
  const { clock, purgatory } = setup();
  const p = probe(['t-0'], 1000);
  // As if an append landed between the first check and the watch (the check sees it the second time).
  p.op = { ...p.op, tryComplete: () => ++p.checks === 2 };
  assert.equal(purgatory.tryCompleteElseWatch(p.op), true);
  assert.deepEqual(p.completions, ['completed']);
  assertEmpty(purgatory, clock);
});

test('the deadline expires an operation, and a check or abort afterwards does nothing', () => {
  const { clock, purgatory } = setup();
  const controller = new AbortController();
  const p = probe(['t-0'], 1000, controller.signal);
  purgatory.tryCompleteElseWatch(p.op);
  clock.advance(999);
  assert.deepEqual(p.completions, []);
  clock.advance(1);
  assert.deepEqual(p.completions, ['expired']);
  p.ready = true;
  assert.equal(purgatory.checkAndComplete('t-0'), 0);
  controller.abort();
  purgatory.close();
  assert.deepEqual(p.completions, ['expired']);
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  assertEmpty(purgatory, clock);
});

test('a timeout of 0 or less expires at the next timer turn unless the operation completes at once', () => {
  const { clock, purgatory } = setup();
  const zero = probe(['t-0'], 0);
  const negative = probe(['t-0'], -5);
  purgatory.tryCompleteElseWatch(zero.op);
  purgatory.tryCompleteElseWatch(negative.op);
  assert.equal(purgatory.waiting, 2);
  clock.advance(0);
  assert.deepEqual([zero.completions, negative.completions], [['expired'], ['expired']]);
  assertEmpty(purgatory, clock);
});

test('an abort ends the wait with "aborted" and removes the listener; an aborted signal ends it at once', () => {
  const { clock, purgatory } = setup();
  const controller = new AbortController();
  const p = probe(['t-0'], 1000, controller.signal);
  purgatory.tryCompleteElseWatch(p.op);
  assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
  controller.abort();
  assert.deepEqual(p.completions, ['aborted']);
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  clock.advance(1000);
  p.ready = true;
  purgatory.checkAndComplete('t-0');
  assert.deepEqual(p.completions, ['aborted']);

  const late = probe(['t-0'], 1000, controller.signal);
  late.ready = true;
  assert.equal(purgatory.tryCompleteElseWatch(late.op), true);
  assert.deepEqual(late.completions, ['aborted'], 'an abandoned request is not worked on, even when it could complete');
  assertEmpty(purgatory, clock);
});

test('the operations of one connection share one abort listener, removed when the last of them leaves', () => {
  const { clock, purgatory } = setup();
  const connection = new AbortController();
  const probes = Array.from({ length: 100 }, (_, i) => probe([`t-${i % 4}`], 1000 + i, connection.signal));
  for (const p of probes) purgatory.tryCompleteElseWatch(p.op);
  assert.equal(getEventListeners(connection.signal, 'abort').length, 1);
  assert.equal(purgatory.watchedSignals, 1);
  for (const p of probes.slice(0, 50)) p.ready = true;
  for (const key of ['t-0', 't-1', 't-2', 't-3']) purgatory.checkAndComplete(key);
  assert.equal(getEventListeners(connection.signal, 'abort').length, 1, 'still held for the 50 that wait');
  connection.abort();
  assert.deepEqual(
    probes.map((p) => p.completions.join()),
    probes.map((_, i) => (i < 50 ? 'completed' : 'aborted')),
  );
  assert.equal(getEventListeners(connection.signal, 'abort').length, 0);

  const other = new AbortController();
  const expiring = Array.from({ length: 3 }, (_, i) => probe(['t-0'], 10 * (i + 1), other.signal));
  for (const p of expiring) purgatory.tryCompleteElseWatch(p.op);
  clock.advance(20);
  assert.equal(getEventListeners(other.signal, 'abort').length, 1);
  clock.advance(10);
  assert.equal(getEventListeners(other.signal, 'abort').length, 0, 'the last expiry removed it');
  assertEmpty(purgatory, clock);
});

test('closing completes every waiting operation with "shutdown" and every later one at once', () => {
  const { clock, purgatory } = setup();
  const controller = new AbortController();
  const probes = [probe(['a-0'], 1000, controller.signal), probe(['a-0', 'b-0'], 2000), probe(['b-0'], 3000, undefined, 'produce')];
  for (const p of probes) purgatory.tryCompleteElseWatch(p.op);
  assert.deepEqual([purgatory.waitingOf('fetch'), purgatory.waitingOf('produce')], [2, 1]);
  purgatory.close();
  assert.deepEqual(probes.map((p) => p.completions), [['shutdown'], ['shutdown'], ['shutdown']]);
  assert.deepEqual([purgatory.waitingOf('fetch'), purgatory.waitingOf('produce')], [0, 0]);
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  const after = probe(['a-0'], 1000);
  assert.equal(purgatory.tryCompleteElseWatch(after.op), true);
  assert.deepEqual(after.completions, ['shutdown']);
  assertEmpty(purgatory, clock);
});

test('a check that throws counts as "can complete"; an onComplete that throws is reported and the others still complete', () => {
  const { clock, purgatory, errors } = setup();
  const throwing = probe(['t-0'], 1000);
  let throwNow = false;
  throwing.op = {
    ...throwing.op,
    tryComplete: () => {
      if (throwNow) throw new Error('partition gone');
      return false;
    },
  };
  const failingCallback = probe(['t-0'], 1000);
  failingCallback.op = {
    ...failingCallback.op,
    onComplete: () => {
      throw new Error('callback failed');
    },
  };
  const healthy = probe(['t-0'], 1000);
  for (const p of [throwing, failingCallback, healthy]) purgatory.tryCompleteElseWatch(p.op);
  throwNow = true;
  failingCallback.ready = true;
  healthy.ready = true;
  assert.equal(purgatory.checkAndComplete('t-0'), 3);
  assert.deepEqual(throwing.completions, ['completed']);
  assert.deepEqual(healthy.completions, ['completed']);
  assert.deepEqual(
    errors.map((e) => (e as Error).message),
    ['callback failed'],
  );
  assertEmpty(purgatory, clock);
});

test('an operation that starts a new wait from its onComplete (a fetch waiting again) is watched normally', () => {
  const { clock, purgatory } = setup();
  const second = probe(['t-0'], 1000);
  const first = probe(['t-0'], 1000);
  first.op = { ...first.op, onComplete: (how) => (first.completions.push(how), purgatory.tryCompleteElseWatch(second.op)) };
  purgatory.tryCompleteElseWatch(first.op);
  first.ready = true;
  purgatory.checkAndComplete('t-0');
  assert.deepEqual([first.completions, second.completions], [['completed'], []]);
  assert.equal(purgatory.waiting, 1);
  clock.advance(1000);
  assert.deepEqual(second.completions, ['expired']);
  assertEmpty(purgatory, clock);
});

test('a key nobody watches costs a lookup and leaves no entry', () => {
  const { clock, purgatory } = setup();
  for (let i = 0; i < 1000; i++) assert.equal(purgatory.checkAndComplete(`t-${i}`), 0);
  assertEmpty(purgatory, clock);
});

/** An operation of the race test with what the model expects of it. */
interface Raced {
  p: Probe;
  controller: AbortController;
  state: 'idle' | 'waiting' | 'done';
  deadline: number;
  expected: Completion | null;
}

/**
 * Races, seeded: operations over a few keys with deadlines, abort signals, checks that start to
 * pass, and a close, in a random order; a model says which event comes first for each. Each
 * operation completes once, with that event, and at the end nothing is left behind.
 */
test('under random interleavings of deadline, completion, abort and shutdown, each operation completes exactly once, with the first event', () => {
  for (const seed of [1, 2, 3, 42, 1234, 99_991]) {
    const rng = new Prng(seed);
    const { clock, purgatory } = setup();
    const keys = ['a-0', 'a-1', 'b-0', 'c-7'];
    const ops: Raced[] = Array.from({ length: 400 }, () => {
      const controller = new AbortController();
      const own = keys.filter(() => rng.chance(0.4));
      return { p: probe(own.length > 0 ? own : [rng.pick(keys)], rng.int(400), controller.signal), controller, state: 'idle', deadline: 0, expected: null };
    });
    const inState = (state: Raced['state']) => ops.filter((o) => o.state === state);
    const finish = (o: Raced, how: Completion) => {
      o.state = 'done';
      o.expected = how;
    };
    let closed = false;
    for (let step = 0; step < 3000; step++) {
      const roll = rng.int(1000);
      if (roll < 120) {
        const idle = inState('idle');
        if (idle.length === 0) continue;
        const o = rng.pick(idle);
        // Some start completable, some with a signal already aborted.
        o.p.ready = rng.chance(0.1);
        if (rng.chance(0.05)) o.controller.abort();
        const at: Completion | null = closed ? 'shutdown' : o.controller.signal.aborted ? 'aborted' : o.p.ready ? 'completed' : null;
        assert.equal(purgatory.tryCompleteElseWatch(o.p.op), at !== null, `seed ${seed}`);
        if (at) finish(o, at);
        else [o.state, o.deadline] = ['waiting', clock.now() + o.p.op.timeoutMs];
      } else if (roll < 500) {
        for (const o of inState('waiting')) if (rng.chance(0.15)) o.p.ready = true;
        const key = rng.pick(keys);
        for (const o of inState('waiting')) if (o.p.ready && o.p.op.keys.includes(key)) finish(o, 'completed');
        purgatory.checkAndComplete(key);
      } else if (roll < 750) {
        const ms = rng.int(50);
        for (const o of inState('waiting')) if (o.deadline <= clock.now() + ms) finish(o, 'expired');
        clock.advance(ms);
      } else if (roll < 995) {
        const o = rng.pick(ops);
        if (o.state === 'waiting') finish(o, 'aborted');
        o.controller.abort();
      }
      if (step === 2700) {
        // Late in the run, so the other outcomes get their turn first; later starts meet a closed queue.
        for (const o of inState('waiting')) finish(o, 'shutdown');
        purgatory.close();
        closed = true;
      }
    }
    for (const o of inState('waiting')) finish(o, 'expired');
    clock.advance(10_000);
    const watched = ops.filter((o) => o.state === 'done');
    assert.ok(watched.length > 300, `seed ${seed}: only ${watched.length} operations ran`);
    const seen = new Set(watched.map((o) => o.expected));
    assert.ok(seen.size >= 4, `seed ${seed}: the interleaving reached only ${[...seen].join(', ')}`);
    for (const [i, o] of ops.entries()) {
      if (o.state === 'idle') continue;
      assert.deepEqual(o.p.completions, [o.expected], `seed ${seed}: operation ${i}`);
      assert.equal(getEventListeners(o.controller.signal, 'abort').length, 0, `seed ${seed}: operation ${i} left its abort listener`);
    }
    assertEmpty(purgatory, clock);
  }
});
